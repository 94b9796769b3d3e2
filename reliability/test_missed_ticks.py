"""Beat ticks lost while the broker is down are made up by the next one, and a repeat sends nothing twice.

Celery beat drops a tick it cannot publish. Each scheduled job records its last success in the database
(``ScheduledRun``) and handles everything due since; the tasks take ``now`` so a run can be placed in time.
"""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Notification, PhoneOTP
from accounts.tasks import otp_purge_task
from accounts.tests.factories import PhoneOTPFactory
from bookings.models import CollectionSlot
from bookings.tasks import bookings_expire_pending_task, reminders_send_task, slots_generate_task
from bookings.tests.factories import BookingFactory, CollectionSlotFactory
from clinic.tests.factories import ClinicInfoFactory
from diagnopet.models import ScheduledRun

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TOMORROW = TODAY + datetime.timedelta(days=1)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """A wall-clock time of the clinic's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def last_success(name: str, when: datetime.datetime) -> None:
    ScheduledRun.objects.update_or_create(name=name, defaults={"last_success_at": when})


def reminders() -> int:
    return Notification.objects.filter(kind="visit_reminder").count()


def test_every_job_runs_at_least_every_15_minutes_so_a_lost_tick_costs_at_most_one_interval():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        assert schedule.hour == set(range(24)), name
        minutes = sorted(schedule.minute)
        gaps = [b - a for a, b in zip(minutes, [*minutes[1:], minutes[0] + 60], strict=True)]
        assert max(gaps) <= 15, name


def test_evening_reminders_missed_during_an_outage_go_out_on_the_next_run_once():
    BookingFactory(booking_date=TOMORROW, slot=CollectionSlotFactory(date=TOMORROW, start_time=datetime.time(9)))
    BookingFactory(booking_date=TOMORROW, slot=CollectionSlotFactory(date=TOMORROW, start_time=datetime.time(10)))
    last_success("visit-reminders", at(TODAY, 17, 45))  # the 18:00 and 18:15 ticks were lost

    assert reminders_send_task(now=at(TODAY, 17, 55))["visit_reminders"] == 0  # not due yet
    assert reminders() == 0
    assert reminders_send_task(now=at(TODAY, 18, 30))["visit_reminders"] == 2
    assert reminders() == 2
    # Later runs, and a repeat of the same run, send nothing again.
    assert reminders_send_task(now=at(TODAY, 18, 45))["visit_reminders"] == 0
    last_success("visit-reminders", at(TODAY, 17, 45))
    reminders_send_task(now=at(TODAY, 18, 30))
    assert reminders() == 2
    assert ScheduledRun.objects.get(name="visit-reminders").last_success_at == at(TODAY, 18, 30)


def test_reminders_after_a_day_long_outage_go_out_while_the_visit_is_still_tomorrow():
    BookingFactory(booking_date=TOMORROW)
    last_success("visit-reminders", at(TODAY - datetime.timedelta(days=1), 9))

    assert reminders_send_task(now=at(TODAY, 23, 45))["visit_reminders"] == 1
    assert reminders() == 1


def test_a_visit_day_that_has_begun_gets_no_late_tomorrow_reminder():
    BookingFactory(booking_date=TODAY)
    last_success("visit-reminders", at(TODAY - datetime.timedelta(days=1), 17, 45))

    assert reminders_send_task(now=at(TODAY, 0, 15))["visit_reminders"] == 0
    assert reminders() == 0


def test_slot_generation_missed_for_days_catches_up_once():
    ClinicInfoFactory()
    last_success("generate-slots", at(TODAY - datetime.timedelta(days=3), 1, 5))

    created = slots_generate_task(now=at(TODAY, 9, 30))

    assert created > 0
    assert CollectionSlot.objects.filter(date=TOMORROW).exists()
    assert CollectionSlot.objects.filter(date=TODAY + datetime.timedelta(days=14)).exists()
    assert slots_generate_task(now=at(TODAY, 9, 45)) == 0
    last_success("generate-slots", at(TODAY - datetime.timedelta(days=3), 1, 5))
    assert slots_generate_task(now=at(TODAY, 9, 45)) == 0  # a repeat creates nothing twice


def test_expire_pending_handles_every_booking_past_its_slot_however_many_runs_were_missed():
    past = [TODAY - datetime.timedelta(days=n) for n in (1, 2, 3)]
    stale = [BookingFactory(booking_date=day, slot=CollectionSlotFactory(date=day)) for day in past]

    assert bookings_expire_pending_task(now=at(TODAY, 0, 15)) == len(stale)
    assert bookings_expire_pending_task(now=at(TODAY, 0, 30)) == 0
    assert ScheduledRun.objects.get(name="expire-pending").last_success_at == at(TODAY, 0, 30)


def test_a_failed_run_records_nothing_and_the_next_run_does_the_work():
    # No clinic yet: slot generation refuses, and its last success stays where it was.
    last_success("generate-slots", at(TODAY - datetime.timedelta(days=1), 1, 5))
    with pytest.raises(Exception, match="clinic"):
        slots_generate_task(now=at(TODAY, 1, 15))
    assert ScheduledRun.objects.get(name="generate-slots").last_success_at == at(
        TODAY - datetime.timedelta(days=1), 1, 5
    )
    ClinicInfoFactory()
    assert slots_generate_task(now=at(TODAY, 1, 30)) > 0


def test_otp_purge_runs_once_a_day_after_its_time():
    old = PhoneOTPFactory()
    PhoneOTP.objects.filter(pk=old.pk).update(created_at=at(TODAY - datetime.timedelta(days=2), 12))
    last_success("purge-old-otps", at(TODAY - datetime.timedelta(days=1), 4))

    assert otp_purge_task(now=at(TODAY, 3, 30)) == 0  # before today's 03:45
    assert otp_purge_task(now=at(TODAY, 4, 0)) == 1
    assert otp_purge_task(now=at(TODAY, 4, 15)) == 0
    assert not PhoneOTP.objects.exists()
