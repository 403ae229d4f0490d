from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"

    def ready(self) -> None:
        from rsoits.management.commands.seed_demo import seed_steps
        from rsoits.registry import register_timeline_provider

        from .demo import seed_travel_and_cases
        from .demo_dod import seed_dod
        from .demo_hits import seed_hits
        from .selectors import registrant_travel_timeline
        from .selectors_hits import hit_timeline_entries

        register_timeline_provider(
            registrant_travel_timeline, sources=[("cases.TravelNotice", "registrant"), ("cases.Case", "registrant")]
        )
        # hits confirmed against the registrant
        register_timeline_provider(hit_timeline_entries, sources=[("cases.Hit", "registrant")])
        for step in (seed_hits, seed_travel_and_cases, seed_dod):
            if step not in seed_steps:
                seed_steps.append(step)
        self._ready_foreign()

    def _ready_foreign(self) -> None:
        """USNCB's records and passport actions: the home-page panels and their demo data."""
        from rsoits.management.commands.seed_demo import seed_steps
        from rsoits.registry import register_home_panel, register_timeline_provider

        from .dashboard import PROVIDERS
        from .demo_foreign import seed_foreign_and_passport
        from .selectors_foreign import registrant_foreign_timeline

        for provider in PROVIDERS:
            register_home_panel(provider)
        register_timeline_provider(
            registrant_foreign_timeline,
            sources=[("cases.ForeignNotice", "registrant"), ("cases.PassportAction", "registrant")],
        )
        if seed_foreign_and_passport not in seed_steps:
            seed_steps.append(seed_foreign_and_passport)
