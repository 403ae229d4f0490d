from django.apps import AppConfig


class RsoitsConfig(AppConfig):
    name = "rsoits"
    verbose_name = "RSOITS core"

    def ready(self) -> None:
        from . import auth  # noqa: F401  (signal receivers)
        from .principal import connect_cache_invalidation

        connect_cache_invalidation()
