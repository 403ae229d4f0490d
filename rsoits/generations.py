"""Shared generations: what a process keeps between requests (the routing configuration, a
user's principal, an inbox's unread count, the list of agencies) is kept under a token read from
the shared cache (Redis in service), and is valid while that token is the current one.

A change moves the token at once and again when its transaction commits: a request that read
the old rows before the commit may have kept them under the token set at once, and the second
move makes that stale. The thread that moved a token keeps nothing under it while its
transaction is open: what it reads there are rows that may yet be rolled back. Should the
transaction (or the savepoint around the change) roll back, keeping resumes under the same
token: nothing was kept under it from the rolled-back rows.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from typing import Any

_local = threading.local()


def _pending() -> dict[str, Callable[[], None]]:
    """The keys this thread moved in a transaction not yet committed, with their commit hooks."""
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = {}
    return pending


def _hook_waiting(hook: Callable[[], None]) -> bool:
    """Whether ``hook`` still waits for its transaction's commit: a rollback of the transaction,
    or of the savepoint it was registered in, drops it from the connection's list."""
    from django.db import connection

    return any(entry[1] is hook for entry in connection.run_on_commit)


def _token() -> str:
    return secrets.token_hex(8)


class Generation:
    def __init__(self, key: str) -> None:
        self.key = key

    def _moved_here(self) -> bool:
        """Whether this thread's open transaction moved the key (and has not rolled that back)."""
        pending = _pending()
        hook = pending.get(self.key)
        if hook is None:
            return False
        if _hook_waiting(hook):
            return True
        del pending[self.key]  # (rolled back: nothing was kept from its rows)
        return False

    def accept(self, token: Any) -> str | None:
        """The generation to keep under, from ``token`` as read from the cache (alone, or with
        other keys in one round trip); None when nothing may be kept now."""
        from django.core.cache import cache

        if self._moved_here():
            return None
        if token is None:  # (never set, or evicted: a new one, never an old one again)
            cache.add(self.key, _token(), None)
            token = cache.get(self.key)
        return token

    def current(self) -> str | None:
        from django.core.cache import cache

        return self.accept(cache.get(self.key))

    def move(self) -> None:
        """Make whatever was kept under the current generation stale, at once and on commit."""
        move_all([self])


def move_all(generations: Iterable[Generation], *, robust: bool = False) -> None:
    """Move several generations in one cache write now and one on commit (``robust``: a cache
    that fails on commit is logged, not raised, the data having committed already)."""
    from django.core.cache import cache
    from django.db import transaction

    # (a generation this transaction moved already is moved again by its commit)
    moving = list({g.key: g for g in generations if not g._moved_here()})
    if not moving:
        return
    cache.set_many({key: _token() for key in moving}, None)
    pending = _pending()

    def committed() -> None:
        for key in moving:
            pending.pop(key, None)
        cache.set_many({key: _token() for key in moving}, None)

    for key in moving:
        pending[key] = committed
    transaction.on_commit(committed, robust=robust)  # (at once, outside a transaction)
