"""Small reference rows that every quote and booking reads (the active tests and their prices, the clinic and its
holidays, the distance pricing, the switched-on offers), kept in Django's cache (Redis in production, shared by
every instance) so that a booking does not re-read them.

Each name has a version token stored in the cache, and its value is stored under that token. A change to a row
behind a name calls ``reference_cache_invalidate(name)`` (the apps' ``signals.py``, on every save and delete, the
admin included), which replaces the token at once and again after commit: a request that read the old rows while
the change was not committed yet stored them under a token that is already gone. The token is random, never a
counter, so a token lost to eviction cannot come back. The timeout (5 minutes) bounds memory and what a write that
sends no signal (``QuerySet.update()``, deleting through-table rows directly) or a failed invalidation could leave
behind; our code writes these rows with ``save()``, and ``migrate`` replaces every declared name's token (a data
migration's historical models send no signals). Without a shared cache (no ``CACHE_URL``) values live 5 seconds.

Values are the rows as they are; callers still apply date rules (an offer's validity, a pricing's effective dates)
when they use them, so a cached row never outlives the day it applied to.

A transaction that changed a name's rows reads them from the database, not the cache, until it ends: it must see its
own uncommitted change, and no other request may see it before the commit (nor ever, on a rollback).

Each process also keeps the value it last read for a name, with its token and the shared entry's expiry: while the
token is current (read on every call, one round trip) and the entry has not expired, the rows are not fetched and
unpickled again. Callers get the same objects on every call: they must not change them, nor follow a foreign key
of theirs that is not loaded (Django would keep the related row on the shared object). The expiry is the loading
host's clock: hosts' clocks must agree (NTP), or a copy outlives its entry by their difference.

A piece of work that reads several names (a quote) reads their tokens together first, in one round trip
(``reference_versions``); inside it each name uses the token read then, which is still before the database.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from diagnopet.api.caching import cache_version, cache_version_bump, cache_versions

T = TypeVar("T")

DEFAULT_TIMEOUT = 300
# A per-process cache (LocMemCache: no CACHE_URL) hears only its own process's invalidations: other workers,
# Celery and manage.py would keep stale rows, so there they live a few seconds only.
PER_PROCESS_TIMEOUT = 5
# Per connection: name → the outermost atomic block of the transaction that changed it (not committed yet).
_CHANGED_ATTR = "reference_cache_changed"
# Per process: name → (version token, value, expiry as time.time()) of the last value read.
_IN_PROCESS: dict[str, tuple[str, object, float]] = {}
# Within ``reference_versions``: name → the version token read on entering it.
_READ_AHEAD: ContextVar[dict[str, str] | None] = ContextVar("reference_versions", default=None)


# Every name, registered where it is defined (``reference_name``).
_NAMES: set[str] = set()


def reference_name(name: str) -> str:
    """Declare a name (a module constant): ``migrate`` makes every declared name stale."""
    _NAMES.add(name)
    return name


@receiver(post_migrate, dispatch_uid="reference_cache_after_migrate")
def _after_migrate(**kwargs) -> None:
    # A migration may change reference rows without signals (RunPython's historical models send none), and an
    # instance of the previous release does not know names added since: a deploy's migrate replaces every token.
    for name in sorted(_NAMES):
        reference_cache_invalidate(name)


def _namespace(name: str) -> str:
    # The version tokens are the API response cache's (diagnopet/api/caching.py), in a namespace of their own.
    return f"reference:{name}"


def _version(name: str) -> str:
    read_ahead = (_READ_AHEAD.get() or {}).get(name)
    return read_ahead if read_ahead is not None else cache_version(_namespace(name))


@contextmanager
def reference_versions(*names: str) -> Iterator[None]:
    """Read the version tokens of ``names`` in one round trip; ``reference_cached`` uses them inside the block.

    For one short piece of work that reads several names (a quote or a booking): the tokens are read when it
    starts, before it reads the database, as each ``reference_cached`` call would read its own. A name invalidated
    inside the block by this transaction is still read from the database (``_changed_here`` comes first); one
    invalidated by a write outside a transaction (autocommit) is seen only after the block, so a block must not
    change reference rows and then read them."""
    namespaces = {name: _namespace(name) for name in names}
    versions = cache_versions(namespaces.values())
    outer = _READ_AHEAD.get() or {}
    token = _READ_AHEAD.set({**outer, **{name: versions[ns] for name, ns in namespaces.items()}})
    try:
        yield
    finally:
        _READ_AHEAD.reset(token)


def _bump(name: str) -> None:
    cache_version_bump(_namespace(name))


def _changed_here(name: str) -> bool:
    """True while the current transaction has changed ``name``'s rows and not committed them."""
    connection = transaction.get_connection()
    changed = getattr(connection, _CHANGED_ATTR, None)
    if not changed or name not in changed:
        return False
    if connection.atomic_blocks and changed[name] is connection.atomic_blocks[0]:
        return True
    del changed[name]  # that transaction has ended (committed or rolled back)
    return False


def reference_cached(name: str, load: Callable[[], T], *, timeout: int = DEFAULT_TIMEOUT) -> T:
    """``load()``'s result, from the cache when it holds the current version for ``name`` (``None`` is a value)."""
    if _changed_here(name):
        return load()
    # The version is read before the database: rows committed after that read are stored under a replaced token.
    version = _version(name)
    held = _IN_PROCESS.get(name)
    if held is not None and held[0] == version and time.time() < held[2]:
        return held[1]
    # The shared entry carries its expiry, so this process's copy lives no longer than the entry it came from.
    key = f"reference-cache:v2:{name}:{version}"
    entry = cache.get(key)
    if entry is None:
        lifetime = PER_PROCESS_TIMEOUT if isinstance(caches["default"], LocMemCache) else timeout
        entry = (time.time() + lifetime, load())
        cache.set(key, entry, lifetime)
    expires, value = entry
    _IN_PROCESS[name] = (version, value, expires)
    return value


def reference_cache_invalidate(name: str) -> None:
    """Make ``name``'s cached value stale: now, and again when the current transaction commits."""
    _bump(name)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return
    changed = getattr(connection, _CHANGED_ATTR, None)
    if changed is None:
        changed = {}
        setattr(connection, _CHANGED_ATTR, changed)
    changed[name] = connection.atomic_blocks[0]

    def after_commit() -> None:
        changed.pop(name, None)
        _bump(name)

    transaction.on_commit(after_commit)
