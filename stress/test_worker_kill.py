"""A Celery worker killed (SIGKILL) in the middle of sending a notification: the task is delivered again to the
next worker (acks_late, reject on worker lost) and the text goes out exactly once (the send is idempotent and the
killed attempt's transaction never committed).

Slow (two worker processes, a visibility timeout to wait out): run by stress/run, not in CI.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from accounts.models import NotificationDelivery
from accounts.notifications import notification_create
from accounts.tests.factories import UserFactory
from diagnopet.celery import app

BROKER = "redis://127.0.0.1:6379/14"
VISIBILITY_TIMEOUT = 5
ROOT = Path(settings.BASE_DIR)

pytestmark = pytest.mark.django_db(transaction=True)

WORKER = (
    "from diagnopet.celery import app; "
    # A short visibility timeout and a sweep every second, so the drill does not wait kombu's defaults (1 hour;
    # a sweep every 10 x 10 s).
    "app.conf.broker_transport_options = {"
    f"'visibility_timeout': {VISIBILITY_TIMEOUT}, 'unacked_restore_interval': 1, 'unacked_restore_throttle': 1}}; "
    "app.worker_main(['worker', '--pool=solo', '--loglevel=INFO', '--without-gossip', '--without-mingle'])"
)


def _configure(**conf):
    app.conf.update(**conf)
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


def _wait(predicate, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def drill(tmp_path):
    try:
        redis.Redis.from_url(BROKER).flushdb()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    db = connection.settings_dict
    sms_log = tmp_path / "sms.log"
    env = dict(
        os.environ,
        CELERY_BROKER_URL=BROKER,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        SMS_BACKEND="stress.backends.SlowFileSmsBackend",
        STRESS_SMS_LOG=str(sms_log),
        STRESS_SMS_SECONDS="4",
        DEBUG="0",
        SECRET_KEY=settings.SECRET_KEY,
    )
    workers = []

    def start_worker():
        log = (tmp_path / f"worker{len(workers)}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
            [sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        workers.append(process)
        return process

    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    _configure(broker_url=BROKER, task_always_eager=False)
    try:
        yield start_worker, sms_log
    finally:
        _configure(**saved)
        for process in workers:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        redis.Redis.from_url(BROKER).flushdb()


def test_a_worker_killed_mid_send_is_retried_and_sends_once(drill):
    start_worker, sms_log = drill
    user = UserFactory()
    first = start_worker()
    with transaction.atomic():
        notification = notification_create(user=user, kind="booking_confirmed", title="Booking confirmed", body="x")
    assert _wait(lambda: sms_log.exists() and "start" in sms_log.read_text(), timeout=60), "the worker never began"
    delivery = notification.deliveries.get()  # the SMS, every user's default channel: the worker made it
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.PENDING  # the killed attempt left nothing

    start_worker()

    def sent():
        delivery.refresh_from_db()
        return delivery.status == NotificationDelivery.Status.SENT

    if not _wait(sent, timeout=VISIBILITY_TIMEOUT + 60):
        logs = "\n".join(p.read_text()[-3000:] for p in sorted(sms_log.parent.glob("worker*.log")))
        broker = redis.Redis.from_url(BROKER)
        keys = {k.decode(): broker.type(k).decode() for k in broker.scan_iter()}
        pytest.fail(f"the task was lost; broker keys {keys}; sms log {sms_log.read_text()!r}\n{logs}")
    time.sleep(VISIBILITY_TIMEOUT + 3)  # long enough for a wrong second redelivery to show
    lines = sms_log.read_text().splitlines()
    assert [line.split()[0] for line in lines].count("sent") == 1, lines
    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.SENT
    assert delivery.attempts == 1
