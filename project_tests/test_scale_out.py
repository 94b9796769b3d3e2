"""Scale-out: reporting reads go to a read replica when one is configured, and two gunicorn instances share all state
through PostgreSQL and Redis (scripts/scale_out_check)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from billing.models import BillingRecord
from billing.tests.factories import BillingRecordFactory
from diagnopet.db_routers import REPLICA, ReplicaRouter, read_alias, reads_from_replica

ROOT = Path(settings.BASE_DIR)
# The replica fixture adds an alias to DATABASES for the router to see; connections are made by hand.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")


@pytest.fixture
def replica(settings):
    """A "replica" alias as settings add it with DATABASE_REPLICA_URL; here it is a second connection to the test
    database itself, so committed rows are visible through it."""
    assert REPLICA not in settings.DATABASES  # the test run configures no replica
    database = {**connections[DEFAULT_DB_ALIAS].settings_dict}
    settings.DATABASES = {**settings.DATABASES, REPLICA: database}
    connections[REPLICA] = load_backend(database["ENGINE"]).DatabaseWrapper(database, REPLICA)
    try:
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]


def test_without_a_replica_everything_reads_and_writes_default():
    with reads_from_replica():
        assert read_alias() == DEFAULT_DB_ALIAS
        assert BillingRecord.objects.all().db == DEFAULT_DB_ALIAS
    assert BillingRecord.objects.all().db == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_reporting_reads_go_to_the_replica_and_writes_to_default(replica):
    record = BillingRecordFactory()  # a write: default

    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_default:
        with reads_from_replica():
            ids = list(BillingRecord.objects.values_list("id", flat=True))
        assert BillingRecord.objects.filter(id=record.id).exists()  # outside the block: default

    assert ids == [record.id]
    assert len(on_replica.captured_queries) == 1
    assert "billing_billingrecord" in on_replica.captured_queries[0]["sql"]
    assert len(on_default.captured_queries) == 1


@pytest.mark.django_db(transaction=True)
def test_writes_inside_a_reporting_block_still_go_to_default(replica):
    record = BillingRecordFactory()

    with CaptureQueriesContext(replica) as on_replica, reads_from_replica():
        BillingRecord.objects.filter(id=record.id).update(billing_period="2001-01")

    assert on_replica.captured_queries == []
    record.refresh_from_db()
    assert record.billing_period == "2001-01"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_on_default_stay_on_default(replica):
    # They must see the transaction's own uncommitted rows, which the replica cannot.
    with transaction.atomic(), reads_from_replica():
        record = BillingRecordFactory()
        assert read_alias() == DEFAULT_DB_ALIAS
        assert BillingRecord.objects.filter(id=record.id).exists()


def test_reads_from_replica_works_as_a_decorator_and_resets(replica):
    @reads_from_replica()
    def report() -> str:
        return read_alias()

    assert report() == REPLICA
    assert read_alias() == DEFAULT_DB_ALIAS


def test_migrations_only_run_on_default():
    router = ReplicaRouter()
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "billing") is True
    assert router.allow_migrate(REPLICA, "billing") is False


# --- Two live instances ----------------------------------------------------------------------------------------------


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_two_instances_share_bookings_coupons_and_slots():
    """Runs scripts/scale_out_check: its own database (created, migrated, seeded, dropped), two gunicorn instances
    on one PostgreSQL and one Redis."""
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    env = dict(os.environ, SCALE_PG_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}")
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "scripts/scale_out_check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )

    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    assert "SCALE-OUT CHECK PASS" in done.stdout
    assert "FAIL" not in done.stdout.replace("SCALE-OUT CHECK PASS", "")
