"""Housekeeping tasks of the core app."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="rsoits.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Delete API tokens past their expiry (they are refused already); returns how many."""
    from knox.models import get_token_model

    deleted, _ = get_token_model().objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
