"""Reads of reporting code go to a read replica, when one is configured; everything else stays on ``default``.

Reporting code marks its reads with ``reads_from_replica()`` (a context manager and a decorator)::

    @reads_from_replica()
    def billing_summary(...): ...

While the mark is set in the current context (thread or task), ``ReplicaRouter`` sends reads to the ``replica``
alias, which settings define only when ``DATABASE_REPLICA_URL`` is set. Writes always go to ``default``, and so do
reads inside a transaction on ``default`` (they must see its own uncommitted rows), and everything when no replica is
configured. A replica lags its primary a little: only figures that tolerate a few seconds of lag are marked.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reporting: ContextVar[bool] = ContextVar("reads_from_replica", default=False)


@contextmanager
def reads_from_replica():
    """Inside this block (or the decorated function), reads go to the replica when there is one."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """Where a read made now goes."""
    if not (_reporting.get() and replica_configured()):
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data: objects read from the replica may be related to ones from default.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica gets its schema by replication, never by migrate.
        return db == DEFAULT_DB_ALIAS
