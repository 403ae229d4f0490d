"""The shared generations under which processes keep what they read (``rsoits.generations``):
a change makes it stale at once and on commit, and the transaction that made it keeps nothing
until it commits; a change rolled back leaves nothing behind."""

import pytest
from django.db import connection, transaction

from rsoits.generations import Generation

pytestmark = pytest.mark.django_db(transaction=True)


class RolledBack(Exception):
    pass


@pytest.fixture
def generation():
    from django.core.cache import cache

    key = "tests:generation"
    cache.delete(key)
    return Generation(key)


def test_a_generation_is_created_once_and_then_read(generation):
    first = generation.current()
    assert first
    assert generation.current() == first


def test_a_change_outside_a_transaction_moves_it_at_once(generation):
    before = generation.current()
    generation.move()
    after = generation.current()
    assert after and after != before


def test_the_transaction_that_moved_it_keeps_nothing_until_it_commits(generation):
    before = generation.current()
    with transaction.atomic():
        generation.move()
        assert generation.current() is None
        at_once = generation.accept(_read(generation))
        assert at_once is None
    after = generation.current()
    assert after not in (None, before)


def test_many_changes_in_one_transaction_move_it_once_more_on_commit(generation):
    with transaction.atomic():
        generation.move()
        hooks = len(connection.run_on_commit)
        for _ in range(50):
            generation.move()
        assert len(connection.run_on_commit) == hooks


def test_a_change_rolled_back_lets_the_thread_keep_again(generation):
    before = generation.current()

    def change():
        with transaction.atomic():
            generation.move()
            assert generation.current() is None
            raise RolledBack

    with pytest.raises(RolledBack):
        change()
    assert generation.current() not in (None, before)  # (moved at once; kept under again)


def test_a_savepoint_rolled_back_inside_an_open_transaction(generation):
    def change():
        with transaction.atomic():
            generation.move()
            raise RolledBack

    with transaction.atomic():
        with pytest.raises(RolledBack):
            change()
        assert generation.current() is not None  # the change went with its savepoint
        generation.move()  # a change that stays
        assert generation.current() is None


def _read(generation):
    from django.core.cache import cache

    return cache.get(generation.key)
