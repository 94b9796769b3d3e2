"""A real round trip: Redis broker, a Celery worker process, PostgreSQL — a report delivery's notification is sent."""

import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from accounts.models import NotificationDelivery, StaffRole
from accounts.tests.factories import StaffProfileFactory
from bookings.models import BookingItem
from bookings.services import report_deliver, report_upload, report_verify
from bookings.tests.factories import BookingFactory, BookingItemFactory
from diagnopet.celery import app

BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379")
ROOT = Path(settings.BASE_DIR)


def _broker_up() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not _broker_up(), reason=f"no Redis broker reachable at {BROKER}"),
]


def _broker_for_this_run() -> str:
    """A Redis database of this test database's own (1–15), emptied: two test runs on one machine (different test
    databases) do not take each other's messages."""
    number = 1 + zlib.crc32(connection.settings_dict["NAME"].encode()) % 15
    url = f"{BROKER.rstrip('/')}/{number}"
    redis.Redis.from_url(url).flushdb()
    return url


def _configure(**conf) -> None:
    """Point this process's Celery app at another broker. Connection pools made earlier (e.g. by eager runs, with
    the default broker) are dropped so that publishing uses the new one."""
    app.conf.update(**conf)
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(tmp_path):
    """A Celery worker on the test database, and this process publishing to the same broker."""
    broker = _broker_for_this_run()
    db = connection.settings_dict
    env = dict(
        os.environ,
        CELERY_BROKER_URL=broker,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DEBUG="0",
        SECRET_KEY=settings.SECRET_KEY,
    )
    log = tmp_path / "worker.log"
    process = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
        [sys.executable, "-m", "celery", "-A", "diagnopet", "worker", "--pool=solo", "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    _configure(broker_url=broker, task_always_eager=False)
    try:
        yield process, log
    finally:
        _configure(**saved)
        process.terminate()
        process.wait(timeout=20)
        if process.returncode not in (0, -15):
            print(log.read_text())  # noqa: T201 - shown only when the worker died badly


def test_report_delivery_reaches_the_worker(worker):
    process, log = worker
    tech, verifier = StaffProfileFactory(role=StaffRole.LAB_TECH).user, StaffProfileFactory(role=StaffRole.ADMIN).user
    item = BookingItemFactory(status=BookingItem.Status.PROCESSING, booking=BookingFactory(status="processing"))
    report = report_upload(item=item, file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="r.pdf"), by=tech)
    report = report_verify(report=report, by=verifier)
    report_deliver(report=report, by=verifier)  # commits; the task is published on commit

    # The worker makes the delivery (accounts.tasks.notification_deliver), then sends it.
    deliveries = NotificationDelivery.objects.filter(notification__kind="report_delivered", channel="sms")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        delivery = deliveries.first()
        if delivery is not None and delivery.status == "sent":
            break
        assert process.poll() is None, "the worker exited"
        time.sleep(0.5)
    assert delivery is not None, log.read_text()[-3000:]
    assert delivery.status == "sent", log.read_text()[-3000:]
    assert delivery.attempts == 1
    # It was the worker process that sent it, not an in-process (eager) run.
    assert "accounts.tasks.notification_delivery_send" in log.read_text()
