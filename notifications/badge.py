"""The inbox badge in the navigation: how many of the user's inbox notifications are not yet
acknowledged, on every page. Counted once and kept in the cache under a version of each
recipient agency's inbox, which every write to that inbox moves on (``inbox_changed``): a page
costs one cache read (the versions and the user's last count together) instead of a count over
the notifications. A count taken in the transaction that changed an inbox is not kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache

from rsoits.generations import Generation, move_all
from rsoits.principal import principal_for

from .models import Notification

# A safety net only: every write through the services moves the version at once.
COUNT_SECONDS = 300


def _version_key(agency_id: int) -> str:
    return f"notifications:inbox-version:{agency_id}"


def _inbox(agency_id: int) -> Generation:
    return Generation(_version_key(agency_id))


def inbox_unread_count(user: Any) -> int:
    roles_by_agency = principal_for(user).roles_by_agency
    if not roles_by_agency:
        return 0
    agencies = sorted(roles_by_agency)
    inboxes = [_inbox(a) for a in agencies]
    count_key = f"notifications:inbox-unread:{user.pk}"
    unread = Notification.objects.inbox_of(user).filter(acknowledged_at__isnull=True)
    # The versions and the user's last count in one read: the count stands while the scope it
    # was taken under (the versions and the roles) is the current one.
    found = cache.get_many([*(g.key for g in inboxes), count_key])
    versions = [g.accept(found.get(g.key)) for g in inboxes]
    if None in versions:
        return unread.count()  # an inbox this transaction changed: counted, not kept (it may roll back)
    # Whose count it is: the user, each agency with the roles held in it, and its inbox version.
    scope = "|".join(f"{a}:{','.join(sorted(roles_by_agency[a]))}:{v}" for a, v in zip(agencies, versions, strict=True))
    scope = hashlib.blake2b(scope.encode(), digest_size=12).hexdigest()
    stored = found.get(count_key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == scope:
        return stored[1]
    count = unread.count()
    cache.set(count_key, (scope, count), COUNT_SECONDS)
    return count


def inbox_changed(agency_ids: Iterable[int]) -> None:
    """Call where inbox notifications of these agencies are written or acknowledged: each
    agency's inbox version moves now and once more when the transaction commits (a count taken
    in between, without the change, is not used after it), in one cache write each
    (``rsoits.generations``)."""
    move_all([_inbox(a) for a in sorted({a for a in agency_ids if a is not None})], robust=True)
