from django.apps import AppConfig


class RegistrantsConfig(AppConfig):
    name = "registrants"

    def ready(self) -> None:
        from rsoits.management.commands.seed_demo import seed_steps

        from .demo import seed_registrants

        if seed_registrants not in seed_steps:
            seed_steps.append(seed_registrants)
