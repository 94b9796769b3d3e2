"""``reference_cached`` (diagnopet/reference_cache.py): the shared entry, and this process's copy of it, follow the
version token and the entry's expiry exactly."""

import time

import pytest
from django.core.management import call_command
from django.db import transaction

from diagnopet import reference_cache
from diagnopet.reference_cache import reference_cache_invalidate, reference_cached, reference_name, reference_versions

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def loads():
    calls = []

    def load():
        calls.append(1)
        return {"rows": len(calls)}

    load.calls = calls
    reference_cache._IN_PROCESS.clear()
    yield load
    reference_cache._IN_PROCESS.clear()


def test_the_process_keeps_the_value_while_its_token_is_current(loads):
    first = reference_cached("test-name", loads)
    assert reference_cached("test-name", loads) is first
    assert loads.calls == [1]


def test_another_process_reads_the_shared_entry(loads):
    first = reference_cached("test-name", loads)
    reference_cache._IN_PROCESS.clear()  # as a worker that has not read it yet
    assert reference_cached("test-name", loads) == first
    assert loads.calls == [1]


def test_an_invalidation_is_seen_at_once(loads):
    reference_cached("test-name", loads)
    reference_cache_invalidate("test-name")  # what another process's save does: a new token
    assert reference_cached("test-name", loads) == {"rows": 2}


def test_the_copy_lives_no_longer_than_the_shared_entry(loads, monkeypatch):
    monkeypatch.setattr(reference_cache, "PER_PROCESS_TIMEOUT", 1)  # tests run on the per-process cache
    reference_cached("test-name", loads)
    time.sleep(1.1)
    assert reference_cached("test-name", loads) == {"rows": 2}


def test_a_copy_made_from_another_processs_entry_expires_with_that_entry(loads, monkeypatch):
    monkeypatch.setattr(reference_cache, "PER_PROCESS_TIMEOUT", 2)
    reference_cached("test-name", loads)  # another process loads it: the entry lives until t0 + 2 s
    time.sleep(1.2)
    reference_cache._IN_PROCESS.clear()  # this process reads that entry at t0 + 1.2 s
    assert reference_cached("test-name", loads) == {"rows": 1}
    time.sleep(1.0)  # t0 + 2.2 s: the entry is gone, and so is the copy (not t0 + 1.2 + 2 s)
    assert reference_cached("test-name", loads) == {"rows": 2}


def test_a_transaction_that_changed_the_rows_reads_them_itself(loads):
    reference_cached("test-name", loads)
    with transaction.atomic():
        reference_cache_invalidate("test-name")
        assert reference_cached("test-name", loads) == {"rows": 2}
        assert reference_cached("test-name", loads) == {"rows": 3}
    assert reference_cached("test-name", loads) == {"rows": 4}


def test_reference_versions_reads_the_tokens_once_for_the_block(loads):
    reference_cached("test-name", loads)
    with reference_versions("test-name", "other-name"):
        reference_cache_invalidate("test-name")  # another process's save, after the block read its tokens
        assert reference_cached("test-name", loads) == {"rows": 1}  # the block's token: read before it began
        assert reference_cached("other-name", loads) == {"rows": 2}  # a name not cached yet loads as usual
    assert reference_cached("test-name", loads) == {"rows": 3}  # after the block: the current token


def test_inside_reference_versions_a_transaction_that_changed_the_rows_reads_them_itself(loads):
    reference_cached("test-name", loads)
    with transaction.atomic(), reference_versions("test-name"):
        reference_cache_invalidate("test-name")
        assert reference_cached("test-name", loads) == {"rows": 2}
    assert reference_cached("test-name", loads) == {"rows": 3}


def test_migrate_makes_every_declared_name_stale(loads):
    """A data migration changes rows without signals, and a new release may add names: migrate replaces them all."""
    name = reference_name("test-declared")
    reference_cached(name, loads)
    assert reference_cached(name, loads) == {"rows": 1}
    call_command("migrate", verbosity=0)
    assert reference_cached(name, loads) == {"rows": 2}
