"""The inbox badge in the navigation: how many of the user's inbox notifications are not yet
acknowledged, on every page. Counted once and kept in the cache under a version of each
recipient agency's inbox, which every write to that inbox moves on (``inbox_changed``): a page
costs one cache read (the versions and the user's last count together) instead of a count over the notifications."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from rsoits.principal import principal_for

from .models import Notification

# A safety net only: every write through the services moves the version at once.
COUNT_SECONDS = 300


def _version_key(agency_id: int) -> str:
    return f"notifications:inbox-version:{agency_id}"


def inbox_unread_count(user: Any) -> int:
    roles_by_agency = principal_for(user).roles_by_agency
    if not roles_by_agency:
        return 0
    agencies = sorted(roles_by_agency)
    keys = [_version_key(a) for a in agencies]
    count_key = f"notifications:inbox-unread:{user.pk}"
    # The versions and the user's last count in one read: the count stands while the scope it
    # was taken under (the versions and the roles) is the current one.
    found = cache.get_many([*keys, count_key])
    if any(key not in found for key in keys):
        for key in keys:
            if key not in found:
                cache.add(key, time.time_ns(), None)  # a new epoch: nothing counted before it applies
        found = cache.get_many([*keys, count_key])
    # Whose count it is: the user, each agency with the roles held in it, and its inbox version.
    scope = "|".join(f"{a}:{','.join(sorted(roles_by_agency[a]))}:{found.get(_version_key(a))}" for a in agencies)
    scope = hashlib.blake2b(scope.encode(), digest_size=12).hexdigest()
    stored = found.get(count_key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == scope:
        return stored[1]
    count = Notification.objects.inbox_of(user).filter(acknowledged_at__isnull=True).count()
    cache.set(count_key, (scope, count), COUNT_SECONDS)
    return count


def inbox_changed(agency_ids: Iterable[int]) -> None:
    """Call where inbox notifications of these agencies are written or acknowledged. The version
    moves now (a page counting from here on counts again) and once more when the transaction
    commits (a count taken in between, without the change, is not used after it)."""
    agencies = sorted({a for a in agency_ids if a is not None})
    if not agencies:
        return

    def move_on() -> None:
        # A fresh random version for each agency, all in one round trip (not an increment each).
        cache.set_many({_version_key(agency_id): secrets.token_hex(8) for agency_id in agencies}, None)

    move_on()
    transaction.on_commit(move_on, robust=True)
