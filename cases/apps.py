from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"

    def ready(self) -> None:
        from rsoits.management.commands.seed_demo import seed_steps
        from rsoits.registry import register_timeline_provider

        from .demo import seed_hits
        from .selectors import hit_timeline_entries

        # The registrant timeline shows the hits confirmed against the registrant.
        register_timeline_provider(hit_timeline_entries)
        if seed_hits not in seed_steps:
            seed_steps.append(seed_hits)
