"""Operations commands: expire_pending, send_reminders, anonymize_user — happy path, re-run, bad input."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.tests.factories import AddressFactory, NotificationFactory, StaffProfileFactory, UserFactory
from billing.models import BillingRecord
from billing.services import payment_record
from billing.tests.factories import BillingRecordFactory
from bookings.models import Booking, BookingItem, CollectionSlot
from bookings.tests.factories import (
    BookingFactory,
    BookingItemFactory,
    CollectionSlotFactory,
    PrescriptionUploadFactory,
    TestReportFactory,
)
from catalog.tests.factories import LabTestFactory
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class TestExpirePending:
    def test_cancels_pending_past_their_slot_and_releases_the_place(self):
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        past = CollectionSlotFactory(date=yesterday, capacity=4)
        CollectionSlot.objects.filter(pk=past.pk).update(booked=1)
        stale = BookingFactory(slot=past, booking_date=yesterday)
        BillingRecordFactory(booking=stale)
        confirmed = BookingFactory(slot=past, status=Booking.Status.CONFIRMED)
        future = BookingFactory(slot=CollectionSlotFactory(date=timezone.localdate() + datetime.timedelta(days=1)))

        assert "1 pending booking(s) past their slot or hold time would be cancelled" in run(
            "expire_pending", "--dry-run"
        )
        assert Booking.objects.get(pk=stale.pk).status == "pending"
        assert "1 pending booking(s) cancelled" in run("expire_pending")
        stale.refresh_from_db()
        assert (stale.status, stale.cancelled_by_role) == ("cancelled", "system")
        assert BillingRecord.objects.get(booking=stale).status == "void"
        assert CollectionSlot.objects.get(pk=past.pk).booked == 0
        assert Booking.objects.get(pk=confirmed.pk).status == "confirmed"
        assert Booking.objects.get(pk=future.pk).status == "pending"
        assert "0 pending booking(s) cancelled" in run("expire_pending")

    def test_unpaid_home_visit_is_released_after_the_prepayment_window(self, settings):
        settings.HOME_VISIT_PREPAYMENT_REQUIRED, settings.PREPAYMENT_HOLD_MINUTES = True, 30
        slot = CollectionSlotFactory(date=timezone.localdate() + datetime.timedelta(days=2), capacity=4)
        CollectionSlot.objects.filter(pk=slot.pk).update(booked=3)
        old = timezone.now() - datetime.timedelta(minutes=31)
        unpaid = BookingFactory(slot=slot)
        paid = BookingFactory(slot=slot)
        lab = BookingFactory(slot=slot, collection_type="lab", address=None, address_text="")
        fresh = BookingFactory(slot=slot)
        Booking.objects.filter(pk__in=[unpaid.pk, paid.pk, lab.pk]).update(created_at=old)
        for booking in (unpaid, paid, lab, fresh):
            BillingRecordFactory(booking=booking)
        payment_record(record=paid.billing_record, amount=paid.total_amount, method="upi")

        assert "1 pending booking(s) cancelled" in run("expire_pending")
        statuses = dict(Booking.objects.values_list("pk", "status"))
        assert statuses[unpaid.pk] == "cancelled"
        assert {statuses[paid.pk], statuses[lab.pk], statuses[fresh.pk]} == {"pending"}
        assert CollectionSlot.objects.get(pk=slot.pk).booked == 2

        settings.HOME_VISIT_PREPAYMENT_REQUIRED = False
        Booking.objects.filter(pk=fresh.pk).update(created_at=old)
        assert "0 pending booking(s) cancelled" in run("expire_pending")


class TestSendReminders:
    def test_reminds_tomorrows_visits_once_with_fasting_instructions(self):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        booking = BookingFactory(booking_date=tomorrow, slot=CollectionSlotFactory(date=tomorrow))
        BookingItemFactory(booking=booking, test=LabTestFactory(fasting_required=True))
        BookingFactory(booking_date=tomorrow, pet=PetFactory(is_deceased=True))  # no reminders for deceased pets
        BookingFactory(booking_date=tomorrow, status=Booking.Status.CANCELLED)
        assert "1 visit reminder(s)" in run("send_reminders")
        reminder = Notification.objects.get(kind="visit_reminder")
        assert reminder.user == booking.user
        assert "fasting" in reminder.body
        run("send_reminders")
        assert Notification.objects.filter(kind="visit_reminder").count() == 1

    def test_overdue_reports_reach_lab_staff_once_a_day(self):
        tech = StaffProfileFactory(role=StaffRole.LAB_TECH).user
        StaffProfileFactory(role=StaffRole.COLLECTOR)
        BookingItemFactory(status=BookingItem.Status.PROCESSING, due_at=timezone.now() - datetime.timedelta(hours=1))
        BookingItemFactory(status=BookingItem.Status.PROCESSING, due_at=timezone.now() + datetime.timedelta(hours=1))
        assert "1 overdue item(s), 1 staff member(s) notified" in run("send_reminders")
        run("send_reminders")
        assert list(Notification.objects.filter(kind="general").values_list("user", flat=True)) == [tech.pk]

    def test_bad_date(self):
        with pytest.raises(CommandError):
            run("send_reminders", "--today=someday")


class TestAnonymizeUser:
    def test_scrubs_personal_data_and_keeps_money(self, django_capture_on_commit_callbacks):
        user = UserFactory(full_name="Asha Rao")
        address = AddressFactory(user=user)
        booking = BookingFactory(user=user, address=address, notes="Gate code 1234")
        BillingRecordFactory(booking=booking)
        TestReportFactory(booking_item=BookingItemFactory(booking=booking))
        upload = PrescriptionUploadFactory(booking=booking)
        stored = upload.file.name
        storage = upload.file.storage
        NotificationFactory(user=user)

        assert "Would anonymise" in run("anonymize_user", f"--phone={user.phone}")
        with django_capture_on_commit_callbacks(execute=True):
            assert "anonymised; financial history kept" in run("anonymize_user", f"--phone={user.phone}", "--yes")
        user.refresh_from_db()
        booking.refresh_from_db()
        assert (user.full_name, user.email, user.is_active, user.has_usable_password()) == (
            "Anonymised customer",
            None,
            False,
            False,
        )
        assert user.phone.startswith("anon-")
        assert (booking.address_text, booking.notes, booking.latitude) == ("[removed]", "", None)
        assert user.addresses.count() == 0
        assert user.notifications.count() == 0
        assert not storage.exists(stored)
        assert booking.billing_record.final_amount == booking.total_amount
        assert booking.reports.count() == 1
        pet = booking.pet
        pet.refresh_from_db()
        assert (pet.name, pet.is_active) == ("Pet", False)
        assert "already anonymised" in run("anonymize_user", f"--user-id={user.pk}", "--yes")

    @pytest.mark.parametrize("args", [["--user-id=999999", "--yes"], ["--phone=12", "--yes"], []])
    def test_bad_input(self, args):
        with pytest.raises(CommandError):
            run("anonymize_user", *args)

    def test_staff_is_refused(self):
        staff = StaffProfileFactory(role=StaffRole.ADMIN).user
        with pytest.raises(CommandError, match="Staff"):
            run("anonymize_user", f"--user-id={staff.pk}", "--yes")
