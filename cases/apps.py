from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"

    def ready(self) -> None:
        from rsoits.management.commands.seed_demo import seed_steps

        from .demo_dod import seed_dod

        for step in (seed_dod,):
            if step not in seed_steps:
                seed_steps.append(step)
