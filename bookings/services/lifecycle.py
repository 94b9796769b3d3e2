"""Moving bookings, items and reports through their lifecycles (``bookings.states``), recording who and when.

Each function locks the row it changes, checks the transition, writes, and notifies the customer after commit.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.notifications import notification_create
from billing.services import billing_record_finalize
from bookings.locks import lock_booking
from bookings.models import Booking, BookingItem, TestReport
from bookings.states import check_transition
from diagnopet.errors import Conflict, ValidationFailed

B, It, R = Booking.Status, BookingItem.Status, TestReport.Status


def _lock_item(item: BookingItem) -> BookingItem:
    return BookingItem.objects.select_for_update(of=("self",)).select_related("test").get(pk=item.pk)


def _lock_report(report: TestReport) -> TestReport:
    return TestReport.objects.select_for_update(of=("self",)).get(pk=report.pk)


@transaction.atomic
def booking_assign_collector(*, booking: Booking, collector, by) -> Booking:
    """Give a pending or confirmed booking to a collector; a pending one becomes confirmed."""
    profile = getattr(collector, "staff_profile", None)
    if not (collector.is_active and collector.is_staff and profile and profile.role == StaffRole.COLLECTOR):
        raise ValidationFailed("Choose an active sample collector.", code="not_a_collector", field="collector")
    booking = lock_booking(booking_id=booking.pk)
    if booking.status not in (B.PENDING, B.CONFIRMED):
        check_transition("booking", booking.status, B.CONFIRMED)
    booking.collection_staff = collector
    fields = ["collection_staff", "updated_at"]
    if booking.status == B.PENDING:
        booking.status, booking.confirmed_at = B.CONFIRMED, timezone.now()
        fields += ["status", "confirmed_at"]
    booking.save(update_fields=fields)
    notification_create(
        user=booking.user,
        kind=Notification.Kind.COLLECTOR_ASSIGNED,
        title=f"Collector assigned for {booking.code}",
        body=f"{collector.get_full_name() or 'Our collector'} will visit on {booking.booking_date:%d %b}.",
        data={"booking": booking.pk},
        event_key=f"booking:{booking.pk}:collector:{collector.pk}",
    )
    return booking


@transaction.atomic
def booking_confirm(*, booking: Booking, by) -> Booking:
    """Confirm a pending booking (a lab visit, or a home visit before a collector is chosen)."""
    booking = lock_booking(booking_id=booking.pk)
    check_transition("booking", booking.status, B.CONFIRMED)
    booking.status, booking.confirmed_at = B.CONFIRMED, timezone.now()
    booking.save(update_fields=["status", "confirmed_at", "updated_at"])
    notification_create(
        user=booking.user,
        kind=Notification.Kind.BOOKING_CONFIRMED,
        title=f"Booking {booking.code} confirmed",
        body=f"See you on {booking.booking_date:%d %b}.",
        data={"booking": booking.pk},
        event_key=f"booking:{booking.pk}:confirmed",
    )
    return booking


@transaction.atomic
def booking_mark_collected(*, booking: Booking, by, failed_item_ids=(), latitude=None, longitude=None) -> Booking:
    """Record the samples taken at the visit. Items listed in ``failed_item_ids`` could not be collected and are
    cancelled; every other pending item becomes collected, with its report due after the test's turnaround."""
    booking = lock_booking(booking_id=booking.pk)
    check_transition("booking", booking.status, B.COLLECTED)
    now = timezone.now()
    items = list(booking.items.select_related("test").select_for_update(of=("self",)))
    failed = {int(i) for i in failed_item_ids}
    unknown = failed - {item.pk for item in items}
    if unknown:
        raise ValidationFailed("Some items are not part of this booking.", code="unknown_items", field="items")
    collected = 0
    for item in items:
        if item.status != It.PENDING:
            continue
        if item.pk in failed:
            item.status = It.CANCELLED
        else:
            item.status, item.collected_at, item.collected_by = It.COLLECTED, now, by
            item.due_at = now + datetime.timedelta(hours=item.test.tat_hours) if item.test.tat_hours else None
            collected += 1
    if not collected:
        raise Conflict("No sample was collected; cancel or reschedule the booking instead.", code="nothing_collected")
    BookingItem.objects.bulk_update(items, ["status", "collected_at", "collected_by", "due_at", "updated_at"])
    booking.status, booking.collected_at = B.COLLECTED, now
    booking.collected_latitude, booking.collected_longitude = latitude, longitude
    booking.save(update_fields=["status", "collected_at", "collected_latitude", "collected_longitude", "updated_at"])
    notification_create(
        user=booking.user,
        kind=Notification.Kind.SAMPLE_COLLECTED,
        title=f"Samples collected for {booking.code}",
        body="Your pet's samples are on their way to the lab.",
        data={"booking": booking.pk},
        event_key=f"booking:{booking.pk}:collected",
    )
    return booking


@transaction.atomic
def item_receive(*, item: BookingItem, by) -> BookingItem:
    """The sample arrived at the lab."""
    item = _lock_item(item)
    check_transition("item", item.status, It.RECEIVED)
    item.status, item.received_at, item.received_by = It.RECEIVED, timezone.now(), by
    item.save(update_fields=["status", "received_at", "received_by", "updated_at"])
    return item


@transaction.atomic
def item_start_processing(*, item: BookingItem, by) -> BookingItem:
    """The lab started on the sample; the booking is processing from its first item on."""
    booking = lock_booking(booking_id=item.booking_id)
    item = _lock_item(item)
    check_transition("item", item.status, It.PROCESSING)
    item.status, item.processing_at = It.PROCESSING, timezone.now()
    item.save(update_fields=["status", "processing_at", "updated_at"])
    if booking.status == B.COLLECTED:
        booking.status, booking.processing_at = B.PROCESSING, item.processing_at
        booking.save(update_fields=["status", "processing_at", "updated_at"])
    return item


@transaction.atomic
def report_upload(*, item: BookingItem, file, by, findings: str = "") -> TestReport:
    """Attach the report file of an item in the lab (received or processing). Uploading again before verification
    replaces the file; a delivered report can only be amended."""
    item = _lock_item(item)
    if item.status not in (It.RECEIVED, It.PROCESSING):
        raise Conflict("Reports can be uploaded only for samples in the lab.", code="invalid_transition")
    report = TestReport.objects.select_for_update(of=("self",)).filter(booking_item=item, is_current=True).first()
    if report is None:
        booking = item.booking
        report = TestReport(
            booking_item=item, booking_id=item.booking_id, pet_id=booking.pet_id, test_id=item.test_id, version=1
        )
    else:
        check_transition("report", report.status, R.GENERATED)
    report.report_file = file
    report.findings = findings
    report.status, report.generated_at, report.uploaded_by = R.GENERATED, timezone.now(), by
    report.verified_by, report.verified_at = None, None
    report.save()
    return report


@transaction.atomic
def report_verify(*, report: TestReport, by) -> TestReport:
    """Four-eyes check: someone other than the uploader verifies the report."""
    report = _lock_report(report)
    check_transition("report", report.status, R.VERIFIED)
    if report.uploaded_by_id == by.pk:
        raise Conflict("A report must be verified by someone other than its uploader.", code="four_eyes")
    report.status, report.verified_by, report.verified_at = R.VERIFIED, by, timezone.now()
    report.save(update_fields=["status", "verified_by", "verified_at", "updated_at"])
    return report


@transaction.atomic
def report_deliver(*, report: TestReport, by) -> TestReport:
    """Release a verified report to the customer. Its item is completed; when every item of the booking is done,
    the booking is completed and its bill finalized."""
    booking = lock_booking(booking_id=report.booking_id)
    report = _lock_report(report)
    check_transition("report", report.status, R.DELIVERED)
    now = timezone.now()
    report.status, report.delivered_at = R.DELIVERED, now
    report.save(update_fields=["status", "delivered_at", "updated_at"])
    item = _lock_item(report.booking_item)
    if item.status != It.COMPLETED:
        check_transition("item", item.status, It.COMPLETED)
        item.status, item.completed_at = It.COMPLETED, now
        item.save(update_fields=["status", "completed_at", "updated_at"])
    open_items = booking.items.exclude(status__in=[It.COMPLETED, It.CANCELLED, It.REJECTED]).exists()
    if not open_items and booking.status == B.PROCESSING:
        booking.status, booking.completed_at = B.COMPLETED, now
        booking.save(update_fields=["status", "completed_at", "updated_at"])
        billing_record_finalize(booking=booking)
    notification_create(
        user=booking.user,
        kind=Notification.Kind.REPORT_DELIVERED,
        title=f"{item.test.name} report is ready",
        body=f"The report for {booking.pet.name} is ready to view.",
        data={"booking": booking.pk, "report": report.pk},
        event_key=f"report:{report.pk}:delivered",
    )
    return report
