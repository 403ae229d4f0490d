"""Notifications app: routing rules, the outbox and its delivery, disclosures, deadline checks."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from rsoits.management.commands.seed_demo import seed_steps
        from rsoits.registry import register_timeline_provider

        from . import deadlines  # noqa: F401 - registers this app's deadline checks
        from .demo import seed_notifications
        from .routing import connect_routing_invalidation
        from .selectors import registrant_timeline

        connect_routing_invalidation()
        register_timeline_provider(registrant_timeline, sources=[("notifications.Disclosure", "registrant")])
        if seed_notifications not in seed_steps:
            seed_steps.append(seed_notifications)
