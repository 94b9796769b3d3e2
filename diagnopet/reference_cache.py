"""Small reference rows that every quote reads (the active tests, the clinic and its holidays, the distance pricing,
the switched-on offers), kept in Django's cache (Redis in production, shared by every instance) as plain values:
``.values()`` rows, dates, ids. Callers build a fresh model instance from a row on each call, so nothing is shared
between threads or requests.

Each entry is stored with the version token its reader saw *before* loading the rows, and is used only while that
token is still the current one. A save or delete of a row behind a key replaces the token when its transaction
commits (each app's ``signals.py``, ``reference_invalidate``; ``robust``: an unreachable cache does not fail the
commit). So a reader that loaded the rows just before a commit and stores them just after leaves an entry under the
old token, which the next reader ignores: no entry outlives the rows it came from. (Deleting the entry on commit
would not do: that reader's store lands after the delete and would be served for the whole timeout.) Until the
commit, the transaction that made the change reads the key from the database and stores nothing: it sees its own
change, and uncommitted or rolled-back rows never reach the shared cache. ``migrate`` replaces every token (a data
migration's historical models send no signals) and ``scripts/restore`` clears the cache. The token and the entry
are read in one round trip (``get_many``).
"""

import threading
import uuid
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
    """Declare a key (a module constant); ``migrate`` deletes every declared key. The ``v4`` part changes when the
    shape of the values does, so a new release never reads an old release's values."""
    key = f"reference:v4:{name}"
    _KEYS.add(key)
    return key


def reference_get(key: str, load: Callable[[], T]) -> T:
    """``load()``'s result (plain values), from the cache when its entry was stored under the current token."""
    changed = _changed_here()
    if not transaction.get_connection().in_atomic_block:
        changed.clear()  # whatever transaction changed them has ended (committed, or rolled back)
    elif key in changed:
        return load()
    token_key = _token_key(key)
    found = cache.get_many([token_key, key])
    token = found.get(token_key)
    if token is None:  # first use, or evicted: a new token (add() is atomic: of two racing readers one sets it)
        cache.add(token_key, uuid.uuid4().hex, None)
        token = cache.get(token_key)
    entry = found.get(key)
    if entry is not None and entry[0] == token:
        return entry[1]
    value = load()
    timeout = PER_PROCESS_TIMEOUT if isinstance(caches["default"], LocMemCache) else TIMEOUT
    cache.set(key, (token, value), timeout)
    return value


def reference_invalidate(key: str) -> None:
    """Replace ``key``'s token when the current transaction commits (at once outside one)."""
    if transaction.get_connection().in_atomic_block:
        _changed_here().add(key)
    transaction.on_commit(partial(_committed, key), robust=True)


def _committed(key: str) -> None:
    _changed_here().discard(key)
    cache.set(_token_key(key), uuid.uuid4().hex, None)


def _token_key(key: str) -> str:
    return f"{key}:token"


def _changed_here() -> set[str]:
    """The keys whose rows this thread's open transaction changed (a rolled-back one's are cleared by the next read
    outside a transaction: until then they are only read from the database)."""
    changed = getattr(_thread, "changed", None)
    if changed is None:
        changed = _thread.changed = set()
    return changed


@receiver(post_migrate, dispatch_uid="reference_cache_after_migrate")
def _after_migrate(**kwargs) -> None:
    cache.delete_many([name for key in sorted(_KEYS) for name in (key, _token_key(key))])
