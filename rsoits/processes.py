"""Helper processes started afresh (multiprocessing's "spawn" method) that run Django code.

This module imports nothing of Django at import time: a spawned process imports it before
Django is set up, to find the initializer below.
"""

from __future__ import annotations


def database_names() -> dict[str, str]:
    """The database each connection alias of this process uses (a test run renames them)."""
    from django.db import connections

    return {alias: connections[alias].settings_dict["NAME"] for alias in connections}


def start_django_process(names: dict[str, str]) -> None:
    """Initializer of a spawned process: Django set up from the same settings module (the
    environment is inherited), on the same databases as the process that started it."""
    import django
    from django.conf import settings

    django.setup()
    for alias, name in names.items():
        settings.DATABASES[alias]["NAME"] = name
