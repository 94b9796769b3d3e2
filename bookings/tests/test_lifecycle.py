"""The lifecycles as the services enforce them: the whole walk, and the moves that are refused."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from accounts.models import StaffRole
from accounts.tests.factories import StaffProfileFactory
from billing.tests.factories import BillingRecordFactory
from bookings import states
from bookings.models import Booking, BookingItem, TestReport
from bookings.services import (
    booking_assign_collector,
    booking_cancel,
    booking_confirm,
    booking_mark_collected,
    item_receive,
    item_reject,
    item_start_processing,
    report_amend,
    report_deliver,
    report_upload,
    report_verify,
)
from bookings.tests.factories import BookingFactory, BookingItemFactory
from diagnopet.errors import Conflict, InvalidTransition, ValidationFailed

pytestmark = pytest.mark.django_db

PDF = ContentFile(b"%PDF-1.4\n%%EOF\n", name="report.pdf")


def staff(role):
    return StaffProfileFactory(role=role).user


def test_walk_from_booking_to_delivered_report():
    collector, tech, verifier = staff(StaffRole.COLLECTOR), staff(StaffRole.LAB_TECH), staff(StaffRole.LAB_TECH)
    booking = BookingFactory()
    first, second = BookingItemFactory(booking=booking), BookingItemFactory(booking=booking)
    BillingRecordFactory(booking=booking)

    booking = booking_assign_collector(booking=booking, collector=collector, by=verifier)
    assert (booking.status, booking.collection_staff) == ("confirmed", collector)
    booking = booking_mark_collected(booking=booking, by=collector, latitude="12.970000", longitude="77.640000")
    assert booking.status == "collected"
    first.refresh_from_db()
    assert (first.status, first.collected_by) == ("collected", collector)
    assert first.due_at == first.collected_at + datetime.timedelta(hours=first.test.tat_hours)

    for item in (first, second):
        item_receive(item=item, by=tech)
        item_start_processing(item=item, by=tech)
    booking.refresh_from_db()
    assert booking.status == "processing"

    reports = []
    for item in (first, second):
        report = report_upload(item=item, file=PDF, by=tech, findings="Within reference range.")
        with pytest.raises(Conflict) as err:
            report_verify(report=report, by=tech)
        assert err.value.code == "four_eyes"
        report = report_verify(report=report, by=verifier)
        reports.append(report_deliver(report=report, by=verifier))
    booking.refresh_from_db()
    assert booking.status == "completed"
    assert booking.billing_record.status == "finalized"
    assert set(booking.items.values_list("status", flat=True)) == {"completed"}
    assert [r.status for r in reports] == ["delivered", "delivered"]
    kinds = list(booking.user.notifications.values_list("kind", flat=True))
    # Assigning the collector confirmed the booking: one "confirmed" naming them, no separate "collector assigned".
    assert sorted(kinds) == sorted(["booking_confirmed", "sample_collected", "report_delivered", "report_delivered"])


@pytest.mark.parametrize("status", ["collected", "processing", "completed", "cancelled", "no_show"])
def test_cannot_cancel_after_collection_or_twice(status):
    booking = BookingFactory(status=status)
    with pytest.raises(InvalidTransition):
        booking_cancel(booking=booking, by=staff(StaffRole.ADMIN), reason="")
    booking.refresh_from_db()
    assert booking.status == status


@pytest.mark.parametrize("status", ["pending", "collected", "processing", "completed", "cancelled"])
def test_collected_only_from_confirmed(status):
    booking = BookingFactory(status=status)
    BookingItemFactory(booking=booking)
    with pytest.raises(InvalidTransition):
        booking_mark_collected(booking=booking, by=staff(StaffRole.COLLECTOR))
    booking.refresh_from_db()
    assert booking.status == status


def test_confirm_twice_is_refused():
    booking = booking_confirm(booking=BookingFactory(), by=staff(StaffRole.ADMIN))
    with pytest.raises(InvalidTransition):
        booking_confirm(booking=booking, by=staff(StaffRole.ADMIN))
    assert booking.user.notifications.filter(kind="booking_confirmed").count() == 1


def test_only_collectors_can_be_assigned():
    with pytest.raises(ValidationFailed):
        booking_assign_collector(booking=BookingFactory(), collector=staff(StaffRole.LAB_TECH), by=None)


def test_failed_items_are_cancelled_and_at_least_one_must_be_collected():
    booking = BookingFactory(status=Booking.Status.CONFIRMED)
    ok, failed = BookingItemFactory(booking=booking), BookingItemFactory(booking=booking)
    with pytest.raises(Conflict):
        booking_mark_collected(booking=booking, by=None, failed_item_ids=[ok.id, failed.id])
    booking_mark_collected(booking=booking, by=None, failed_item_ids=[failed.id])
    assert dict(BookingItem.objects.values_list("id", "status")) == {ok.id: "collected", failed.id: "cancelled"}


@pytest.mark.parametrize("status", ["pending", "collected", "completed", "cancelled"])
def test_report_upload_needs_the_sample_in_the_lab(status):
    item = BookingItemFactory(status=status)
    with pytest.raises(Conflict):
        report_upload(item=item, file=PDF, by=staff(StaffRole.LAB_TECH))
    assert TestReport.objects.count() == 0


def test_report_cannot_be_delivered_unverified_or_reuploaded_after_delivery():
    tech, verifier = staff(StaffRole.LAB_TECH), staff(StaffRole.LAB_TECH)
    item = BookingItemFactory(status=BookingItem.Status.PROCESSING, booking=BookingFactory(status="processing"))
    report = report_upload(item=item, file=PDF, by=tech)
    with pytest.raises(InvalidTransition):
        report_deliver(report=report, by=verifier)
    report = report_deliver(report=report_verify(report=report, by=verifier), by=verifier)
    with pytest.raises(Conflict):
        report_upload(item=item, file=PDF, by=tech)
    assert TestReport.objects.get().status == "delivered"


def test_rejected_sample_gets_a_free_recollection_and_the_customer_is_told():
    tech = staff(StaffRole.LAB_TECH)
    original = BookingFactory(status=Booking.Status.COLLECTED)
    first = BookingItemFactory(booking=original, status=BookingItem.Status.RECEIVED)
    second = BookingItemFactory(booking=original, status=BookingItem.Status.COLLECTED)
    BillingRecordFactory(booking=original)

    recollection = item_reject(item=first, by=tech, reason="haemolysed", notes="Pink serum")
    again = item_reject(item=second, by=tech, reason="clotted")
    assert again == recollection  # one re-collection booking gathers both
    assert recollection.recollection_of == original
    assert (recollection.status, recollection.total_amount) == ("awaiting_schedule", Decimal("0.00"))
    assert recollection.slot is None
    assert sorted(recollection.items.values_list("test_id", "unit_price")) == sorted(
        [(first.test_id, Decimal("0.00")), (second.test_id, Decimal("0.00"))]
    )
    assert recollection.billing_record.final_amount == Decimal("0.00")
    first.refresh_from_db()
    assert (first.status, first.rejection_reason, first.rejection_notes) == ("rejected", "haemolysed", "Pink serum")
    messages = original.user.notifications.filter(kind="sample_rejected")
    assert messages.count() == 2
    assert "haemolysed" in messages.last().body


@pytest.mark.parametrize("status", ["pending", "completed", "cancelled", "rejected"])
def test_reject_only_samples_taken(status):
    item = BookingItemFactory(status=status, rejection_reason="clotted" if status == "rejected" else "")
    with pytest.raises(InvalidTransition):
        item_reject(item=item, by=staff(StaffRole.LAB_TECH), reason="leaked")
    assert Booking.objects.count() == 1


def test_reject_needs_a_listed_reason():
    with pytest.raises(ValidationFailed):
        item_reject(item=BookingItemFactory(status="received"), by=staff(StaffRole.LAB_TECH), reason="dropped")


@pytest.mark.parametrize(
    ("reason", "code"), [("", "reason_required"), ("   ", "reason_required"), ("x" * 5000, "invalid_reason")]
)
def test_reject_refuses_a_blank_or_unknown_reason_with_its_code(reason, code):
    item = BookingItemFactory(status="received")
    with pytest.raises(ValidationFailed) as refused:
        item_reject(item=item, by=staff(StaffRole.LAB_TECH), reason=reason)
    assert refused.value.code == code
    item.refresh_from_db()
    assert item.status == BookingItem.Status.RECEIVED


def test_amendment_creates_a_new_version_and_tells_the_customer():
    tech, verifier = staff(StaffRole.LAB_TECH), staff(StaffRole.LAB_TECH)
    item = BookingItemFactory(status=BookingItem.Status.PROCESSING, booking=BookingFactory(status="processing"))
    v1 = report_deliver(report=report_verify(report=report_upload(item=item, file=PDF, by=tech), by=verifier), by=tech)
    with pytest.raises(ValidationFailed):
        report_amend(report=v1, file=PDF, by=tech, reason=" ")
    v2 = report_amend(report=v1, file=PDF, by=tech, reason="Wrong reference range printed")
    v1.refresh_from_db()
    assert (v1.status, v1.is_current, v2.version, v2.supersedes, v2.is_current) == ("delivered", False, 2, v1, True)
    with pytest.raises(Conflict):
        report_amend(report=v1, file=PDF, by=tech, reason="again")  # only the current version
    report_deliver(report=report_verify(report=v2, by=verifier), by=verifier)
    amended = item.booking.user.notifications.get(kind="report_amended")
    assert "Wrong reference range printed" in amended.body


def test_the_named_groups_of_states_are_the_ones_every_rule_relies_on():
    # Derived from the transition tables: a new move (e.g. a re-collection awaiting its slot that can be cancelled)
    # changes them, and with them reminders, per-day booking limits, what can be rejected and what counts as
    # overdue. This pins them, so that such a change is a decision, not a side effect.
    B, It, R = Booking.Status, BookingItem.Status, TestReport.Status
    assert {B.COMPLETED, B.CANCELLED, B.NO_SHOW} == states.BOOKING_TERMINAL
    assert {B.CANCELLED, B.NO_SHOW} == states.BOOKING_CLOSED
    # awaiting_schedule joined the upcoming states (it can be cancelled and rescheduled), but not the scheduled ones:
    # reminders and per-day limits read BOOKING_SCHEDULED, which keeps its old meaning.
    assert {B.AWAITING_SCHEDULE, B.PENDING, B.CONFIRMED} == states.BOOKING_UPCOMING
    assert {B.PENDING, B.CONFIRMED} == states.BOOKING_SCHEDULED
    assert {B.AWAITING_SCHEDULE} == states.BOOKING_UNSCHEDULED
    assert set(B.values) - states.BOOKING_TERMINAL == states.BOOKING_OPEN
    assert {It.COMPLETED, It.CANCELLED, It.REJECTED} == states.ITEM_TERMINAL
    assert {It.COLLECTED, It.RECEIVED, It.PROCESSING} == states.ITEM_IN_LAB
    assert {It.RECEIVED, It.PROCESSING} == states.ITEM_REPORTABLE
    assert R.VERIFIED not in states.REPORT_UNVERIFIED
