"""Small reference rows that every quote reads (the active tests, the clinic and its holidays, the distance pricing,
the switched-on offers), kept in Django's cache (Redis in production, shared by every instance) as plain values:
``.values()`` rows, dates, ids. Callers build a fresh model instance from a row on each call, so nothing is shared
between threads or requests.

A save or delete of a row behind a key deletes the key when its transaction commits (each app's ``signals.py``,
``reference_invalidate``; ``robust``: a cache that cannot be reached then does not fail the commit, and the entry
lives at most ``TIMEOUT``). Until then the transaction that made the change reads that key from the database and
stores nothing: it sees its own change, and rows that are not committed (or are rolled back) never reach the shared
cache. ``migrate`` deletes every key (a data migration's historical models send no signals) and ``scripts/restore``
clears the cache.

The timeout bounds what a write that sends no signal (``QuerySet.update()``) or a reader that loaded the rows just
before a commit and stored them just after it may leave behind. That is fine for a quote; a booking reads the prices
it charges from the database inside its transaction (``bookings/services/pricing.py``).
"""

import threading
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models.signals import post_migrate
from django.dispatch import receiver

T = TypeVar("T")

TIMEOUT = 300
# A per-process cache (LocMemCache: no CACHE_URL) hears only its own process's invalidations: other workers,
# Celery and manage.py would keep stale rows, so there they live a few seconds only.
PER_PROCESS_TIMEOUT = 5

_KEYS: set[str] = set()
_thread = threading.local()


def reference_key(name: str) -> str:
    """Declare a key (a module constant); ``migrate`` deletes every declared key. The ``v3`` part changes when the
    shape of the values does, so a new release never reads an old release's values."""
    key = f"reference:v3:{name}"
    _KEYS.add(key)
    return key


def reference_get(key: str, load: Callable[[], T]) -> T:
    """``load()``'s result (plain values), from the cache when present (``None`` is a value)."""
    changed = _changed_here()
    if not transaction.get_connection().in_atomic_block:
        changed.clear()  # whatever transaction changed them has ended (committed, or rolled back)
    elif key in changed:
        return load()
    timeout = PER_PROCESS_TIMEOUT if isinstance(caches["default"], LocMemCache) else TIMEOUT
    return cache.get_or_set(key, load, timeout)


def reference_invalidate(key: str) -> None:
    """Delete ``key`` when the current transaction commits (at once outside one)."""
    if transaction.get_connection().in_atomic_block:
        _changed_here().add(key)
    transaction.on_commit(partial(_committed, key), robust=True)


def _committed(key: str) -> None:
    _changed_here().discard(key)
    cache.delete(key)


def _changed_here() -> set[str]:
    """The keys whose rows this thread's open transaction changed (a rolled-back one's are cleared by the next read
    outside a transaction: until then they are only read from the database)."""
    changed = getattr(_thread, "changed", None)
    if changed is None:
        changed = _thread.changed = set()
    return changed


@receiver(post_migrate, dispatch_uid="reference_cache_after_migrate")
def _after_migrate(**kwargs) -> None:
    cache.delete_many(sorted(_KEYS))
