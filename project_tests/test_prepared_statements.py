"""Repeated statements are prepared (DATABASE_PREPARED_STATEMENTS, on by default): parameters are bound by the
server and psycopg prepares a statement on its fifth run on a connection."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from bookings.models import Booking
from bookings.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def _prepared(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"])
        return cursor.fetchone()[0]


def test_a_repeated_query_is_prepared_once_and_keeps_answering():
    booking = BookingFactory()
    marker = "bookings_booking"

    answers = [Booking.objects.filter(pk=booking.pk).values_list("code", flat=True).first() for _ in range(6)]

    assert answers == [booking.code] * 6
    assert _prepared(marker) >= 1


def test_it_can_be_turned_off_for_pgbouncer():
    code = (
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('server_side_binding'))"
    )
    env = {**os.environ, "DATABASE_PREPARED_STATEMENTS": "0", "DJANGO_SETTINGS_MODULE": "diagnopet.settings"}
    out = subprocess.run(  # noqa: S603 - our own settings, fixed arguments
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "None"
