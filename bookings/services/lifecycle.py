"""Moving bookings, items and reports through their lifecycles (``bookings.states``), recording who and when.

Each function locks the row it changes, checks the transition, writes, and notifies the customer after commit.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.notifications import notification_create
from billing.services import (
    billing_record_create_draft,
    billing_record_distance_adjust,
    billing_record_finalize,
    distance_charge_for,
    distance_pricing_active,
    road_distance_km,
)
from bookings.assignment import assignment_warnings
from bookings.codes import booking_code_new, item_code
from bookings.locks import (
    lock_booking,
    lock_booking_after_its_first,
    lock_current_report,
    lock_item,
    lock_items_of,
    lock_report,
)
from bookings.models import (
    PET_WEIGHT_MAX_KG,
    PET_WEIGHT_MIN_KG,
    Booking,
    BookingItem,
    CollectionType,
    CollectorAssignment,
    TestReport,
)
from bookings.services.notifications import notify_booking_confirmed
from bookings.services.publishing import report_publish
from bookings.states import BOOKING_UNSCHEDULED, BOOKING_UPCOMING, ITEM_REPORTABLE, ITEM_TERMINAL, check_transition
from clinic.selectors import clinic_info_cached
from diagnopet.errors import Conflict, ValidationFailed
from diagnopet.money import format_money
from diagnopet.storage import files_kept_on_commit
from pets.models import Pet
from promotions.models import Offer
from promotions.services import Cart, offer_discount_amount

B, It, R = Booking.Status, BookingItem.Status, TestReport.Status


def _lock_item(item: BookingItem) -> BookingItem:
    return lock_item(item_id=item.pk)


def _lock_report(report: TestReport) -> TestReport:
    return lock_report(report_id=report.pk)


def _require_slot(booking: Booking) -> None:
    """A re-collection awaiting its schedule leaves that state only by getting a slot (``booking_reschedule``)."""
    if booking.status in BOOKING_UNSCHEDULED:
        raise Conflict("Choose a collection slot for this booking first (Reschedule).", code="not_scheduled")


@transaction.atomic
def booking_assign_collector(
    *, booking: Booking, collector, by, accept_warnings: bool = False, automatic: bool = False
) -> Booking:
    """Give a pending or confirmed booking to a collector; a pending one becomes confirmed.

    Outside the collector's service areas, on a day they do not work or beyond their daily visit cap
    (``bookings.assignment``) the assignment is refused (409 ``assignment_warning``, the reasons in the message)
    unless ``accept_warnings``: the assigner saw the warnings and went on. Every assignment is recorded
    (``CollectorAssignment``) with the warnings it went past.

    The admin's "assign collector" action and the auto-assign page call this, so the customer hears of it the same
    way from both: the assignment that confirms the booking sends "booking confirmed" (naming the collector; once
    per booking), a later change of collector sends "collector assigned" (once per collector); assigning the same
    collector again sends nothing.
    """
    profile = getattr(collector, "staff_profile", None)
    if not (collector.is_active and collector.is_staff and profile and profile.role == StaffRole.COLLECTOR):
        raise ValidationFailed("Choose an active sample collector.", code="not_a_collector", field="collector")
    booking = lock_booking(booking_id=booking.pk)
    _require_slot(booking)
    if booking.status not in (B.PENDING, B.CONFIRMED):
        check_transition("booking", booking.status, B.CONFIRMED)
    changes_collector = booking.collection_staff_id != collector.pk
    warnings = assignment_warnings(booking, collector)
    if warnings and not accept_warnings:
        raise Conflict(" ".join(w.message for w in warnings), code="assignment_warning")
    CollectorAssignment.objects.create(
        booking=booking,
        collector=collector,
        assigned_by=by,
        automatic=automatic,
        warnings=[w.as_dict() for w in warnings],
    )
    booking.collection_staff = collector
    fields = ["collection_staff", "updated_at"]
    confirms = booking.status == B.PENDING
    if confirms:
        booking.status, booking.confirmed_at = B.CONFIRMED, timezone.now()
        fields += ["status", "confirmed_at"]
    booking.save(update_fields=fields)
    if confirms:
        notify_booking_confirmed(booking, collector=collector)
    elif changes_collector:
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
    _require_slot(booking)
    check_transition("booking", booking.status, B.CONFIRMED)
    booking.status, booking.confirmed_at = B.CONFIRMED, timezone.now()
    booking.save(update_fields=["status", "confirmed_at", "updated_at"])
    notify_booking_confirmed(booking)
    return booking


@transaction.atomic
def booking_mark_collected(
    *, booking: Booking, by, failed_item_ids=(), latitude=None, longitude=None, pet_weight_kg=None
) -> Booking:
    """Record the samples taken at the visit. Items listed in ``failed_item_ids`` could not be collected and are
    cancelled; every other pending item becomes collected, with its report due after the test's turnaround.

    ``pet_weight_kg``, when the collector weighed the pet, goes into the pet's weight history (this booking) and
    becomes the pet's current weight."""
    pet_weight_kg = pet_weight_check(pet_weight_kg)
    booking = lock_booking(booking_id=booking.pk)
    check_transition("booking", booking.status, B.COLLECTED)
    now = timezone.now()
    items = lock_items_of(booking)
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
    booking.pet_weight_kg = pet_weight_kg
    if pet_weight_kg is not None:
        Pet.objects.filter(pk=booking.pet_id).update(weight_kg=pet_weight_kg, updated_at=now)
    money_fields = _collection_point_check(booking, items)
    booking.save(
        update_fields=[
            "status",
            "collected_at",
            "collected_latitude",
            "collected_longitude",
            "pet_weight_kg",
            "collection_pin_gap_km",
            *money_fields,
            "updated_at",
        ]
    )
    notification_create(
        user=booking.user,
        kind=Notification.Kind.SAMPLE_COLLECTED,
        title=f"Samples collected for {booking.code}",
        body="Your pet's samples are on their way to the lab.",
        data={"booking": booking.pk},
        event_key=f"booking:{booking.pk}:collected",
    )
    return booking


def pet_weight_check(weight_kg) -> Decimal | None:
    """A weight recorded at a visit: empty, or within ``PET_WEIGHT_MIN_KG``–``PET_WEIGHT_MAX_KG`` (else a typing
    mistake: grams for kilograms)."""
    if weight_kg is None or weight_kg == "":
        return None
    weight = Decimal(str(weight_kg))
    if not PET_WEIGHT_MIN_KG <= weight <= PET_WEIGHT_MAX_KG:
        raise ValidationFailed(
            f"A pet's weight is {PET_WEIGHT_MIN_KG}–{PET_WEIGHT_MAX_KG} kg.",
            code="invalid_weight",
            field="pet_weight_kg",
        )
    return weight.quantize(Decimal("0.01"))


def collection_pin_is_far(gap_km: Decimal | None) -> bool:
    """The collection point is further from the address pin than GPS error and a parked car explain."""
    return gap_km is not None and gap_km > settings.COLLECTION_PIN_TOLERANCE_KM


def _collection_point_check(booking: Booking, items) -> list[str]:
    """Compare where the samples were collected with the address pin the home-collection charge was priced from.

    Beyond the tolerance the charge is worked out again, from the clinic to the collection point, with the rule
    and the distance pricing in force when the booking was made: up or down (the charge is for where the visit
    was; a pin placed too far by mistake must not overcharge either). A discount on the collection charge follows
    it (the same offer's rule); a discount on the tests does not change. The bill changes only while it is a draft
    (``billing_record_distance_adjust`` flags it for staff otherwise); then the booking's money follows, and the
    customer is told. A collection point beyond the service area is a bad position, not a visit: nothing is
    re-priced, and staff see the gap. Returns the booking's money fields it changed (the caller saves the booking)."""
    booking.collection_pin_gap_km = None
    pin = (booking.latitude, booking.longitude)
    point = (booking.collected_latitude, booking.collected_longitude)
    if booking.collection_type != CollectionType.HOME or None in pin or None in point:
        return []
    booking.collection_pin_gap_km = road_distance_km(origin=pin, destination=point, road_factor=Decimal(1))
    clinic = clinic_info_cached()
    config = distance_pricing_active(on=timezone.localdate(booking.created_at))
    if not collection_pin_is_far(booking.collection_pin_gap_km) or clinic is None or config is None:
        return []
    distance_km = road_distance_km(
        origin=(clinic.latitude, clinic.longitude), destination=point, road_factor=clinic.road_factor
    )
    if distance_km > config.max_service_distance_km:
        # No home visit happens there: a phone's bad fix (0, 0 is in the Atlantic) must not price one. The gap is
        # stored, so the booking shows "pin far from collection point" for staff to look at.
        return []
    charge = distance_charge_for(config, distance_km)
    if charge == booking.distance_charge:
        return []
    discount = booking.discount_amount
    offer = Offer.objects.filter(pk=booking.offer_id).first() if booking.offer_id else None
    if offer is not None and offer.applies_to == Offer.Target.COLLECTION_CHARGE:
        lines = tuple((item.test_id, item.unit_price * item.quantity) for item in items)
        cart = Cart(lines=lines, subtotal=booking.subtotal, distance_charge=charge)
        discount = offer_discount_amount(offer=offer, cart=cart)[0]
    discount = min(discount, booking.subtotal + charge)
    note = (
        f"Distance charge recomputed from the collection point ({booking.collection_pin_gap_km} km from the "
        f"address pin): {booking.estimated_distance_km} km → {distance_km} km, "
        f"{format_money(booking.distance_charge)} → {format_money(charge)}"
        + (
            f"; discount {format_money(booking.discount_amount)} → {format_money(discount)}."
            if discount != booking.discount_amount
            else "."
        )
    )
    if not billing_record_distance_adjust(booking=booking, distance_charge=charge, discount_amount=discount, note=note):
        return []
    old_charge, old_total = booking.distance_charge, booking.total_amount
    booking.distance_charge, booking.discount_amount = charge, discount
    booking.total_amount = booking.subtotal - discount + charge
    notification_create(
        user=booking.user,
        kind=Notification.Kind.GENERAL,
        title=f"Home-collection charge updated for {booking.code}",
        body=f"Your pet's samples were collected {booking.collection_pin_gap_km} km from the map pin of your address, "
        f"so the home-collection charge was worked out from where the visit took place: "
        f"{booking.estimated_distance_km} km → {distance_km} km, {format_money(old_charge)} → {format_money(charge)}. "
        f"Your total is now {format_money(booking.total_amount)} (was {format_money(old_total)}).",
        data={"booking": booking.pk},
        event_key=f"booking:{booking.pk}:distance-recomputed",
    )
    return ["distance_charge", "discount_amount", "total_amount"]


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


@files_kept_on_commit
@transaction.atomic
def report_upload(*, item: BookingItem, file, by, findings: str = "") -> TestReport:
    """Attach the report file of an item in the lab (received or processing). Uploading again before verification
    replaces the file; a delivered report can only be amended."""
    item = _lock_item(item)
    if item.status not in ITEM_REPORTABLE:
        raise Conflict("Reports can be uploaded only for samples in the lab.", code="invalid_transition")
    report = lock_current_report(item)
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


@files_kept_on_commit
@transaction.atomic
def report_verify(*, report: TestReport, by) -> TestReport:
    """Four-eyes check: someone other than the uploader (or whoever entered the results) verifies the report.

    A report with result values gets its PDF generated from them now (``bookings.services.publishing``); an
    uploaded one (a partner lab's) keeps its file. Both get the code and hash of the public verification page."""
    report = _lock_report(report)
    check_transition("report", report.status, R.VERIFIED)
    if report.uploaded_by_id == by.pk:
        raise Conflict("A report must be verified by someone other than its uploader.", code="four_eyes")
    if report.results.filter(entered_by=by).exists():
        raise Conflict("A report must be verified by someone other than who entered its results.", code="four_eyes")
    report.status, report.verified_by, report.verified_at = R.VERIFIED, by, timezone.now()
    published = report_publish(report=report, by=by, now=report.verified_at)
    report.save(update_fields=["status", "verified_by", "verified_at", *published, "updated_at"])
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
    _complete_if_done(booking, now)
    if report.supersedes_id:
        notification_create(
            user=booking.user,
            kind=Notification.Kind.REPORT_AMENDED,
            title=f"{item.test.name} report was amended",
            body=f"An amended report for {booking.pet.name} is ready. Reason: {report.amendment_reason}",
            data={"booking": booking.pk, "report": report.pk},
            event_key=f"report:{report.pk}:delivered",
        )
    else:
        notification_create(
            user=booking.user,
            kind=Notification.Kind.REPORT_DELIVERED,
            title=f"{item.test.name} report is ready",
            body=f"The report for {booking.pet.name} is ready to view.",
            data={"booking": booking.pk, "report": report.pk},
            event_key=f"report:{report.pk}:delivered",
        )
    return report


def _complete_if_done(booking: Booking, now) -> None:
    """A processing booking is completed (and its bill finalized) once no item is still open and at least one
    item has a delivered report."""
    if booking.status != B.PROCESSING:
        return
    statuses = set(booking.items.values_list("status", flat=True))
    if It.COMPLETED in statuses and statuses <= ITEM_TERMINAL:
        booking.status, booking.completed_at = B.COMPLETED, now
        booking.save(update_fields=["status", "completed_at", "updated_at"])
        billing_record_finalize(booking=booking)


@files_kept_on_commit
@transaction.atomic
def report_amend(*, report: TestReport, file, by, reason: str, findings: str = "") -> TestReport:
    """Correct a delivered report: a new version supersedes it (the delivered one is never overwritten and stays
    readable to staff). The new version goes through verification and delivery again; its delivery tells the
    customer it was amended and why."""
    if not (reason or "").strip():
        raise ValidationFailed("Say why the report is amended.", code="reason_required", field="reason")
    report = _lock_report(report)
    if report.status != R.DELIVERED or not report.is_current:
        raise Conflict("Only the current delivered report can be amended.", code="not_amendable")
    now = timezone.now()
    # Retire the old version first: only one version per item may be current.
    report.is_current = False
    report.save(update_fields=["is_current", "updated_at"])
    return TestReport.objects.create(
        booking_item_id=report.booking_item_id,
        booking_id=report.booking_id,
        pet_id=report.pet_id,
        test_id=report.test_id,
        batch_group_id=report.batch_group_id,
        report_file=file,
        findings=findings or report.findings,
        status=R.GENERATED,
        version=report.version + 1,
        is_current=True,
        supersedes=report,
        amendment_reason=reason.strip(),
        uploaded_by=by,
        generated_at=now,
    )


def recollection_add(*, original: Booking, items, now) -> Booking:
    """Put the tests of ``items`` (rejected or refused, each keeping its package) into the free re-collection
    booking of ``original`` (one gathers every sample to take again; created when there is none still upcoming).

    A re-collection always belongs to the first, paid booking: a sample refused or rejected again on a re-collection
    goes into another re-collection of that first booking (never into the visit being made), so that cancelling it
    gives back what the first booking charged for the tests. Call with ``original`` locked, after its first booking
    (``bookings.locks.lock_booking_after_its_first``)."""
    first = original.recollection_of if original.recollection_of_id else original
    recollection = first.recollections.filter(status__in=BOOKING_UPCOMING).exclude(pk=original.pk).first()
    if recollection is None:
        recollection = Booking.objects.create(
            code=booking_code_new(),
            user_id=original.user_id,
            pet_id=original.pet_id,
            collection_type=original.collection_type,
            booking_date=max(timezone.localdate(now), original.booking_date),
            address_id=original.address_id,
            address_text=original.address_text,
            address_link=original.address_link,
            latitude=original.latitude,
            longitude=original.longitude,
            notes=f"Free re-collection for {first.code}.",
            # No slot yet: the customer picks one (booking_reschedule), which confirms it.
            status=B.AWAITING_SCHEDULE,
            subtotal=0,
            total_amount=0,
            recollection_of=first,
        )
        billing_record_create_draft(booking=recollection, items=[])
    sequence = recollection.items.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    present = set(recollection.items.values_list("test_id", flat=True))
    for item in items:
        if item.test_id not in present:
            sequence += 1
            BookingItem.objects.create(
                booking=recollection,
                sequence=sequence,
                code=item_code(recollection.code, sequence),
                test_id=item.test_id,
                package_id=item.package_id,
                unit_price=0,
            )
    return recollection


def rejection_reason_check(reason: str) -> str:
    """The reason a sample is rejected (at the lab) or refused (at the door), checked: one of
    ``BookingItem.RejectionReason``."""
    if not (reason or "").strip():
        raise ValidationFailed("Say why the sample is refused.", code="reason_required", field="reason")
    if reason not in BookingItem.RejectionReason.values:
        raise ValidationFailed("Choose a reason from the list.", code="invalid_reason", field="reason")
    return reason


@transaction.atomic
def item_reject(*, item: BookingItem, by, reason: str, notes: str = "") -> Booking:
    """Reject a sample (haemolysed, clotted, …). The test is re-collected free of charge in a new booking linked to
    the original (one re-collection booking gathers every rejected item of the same booking), and the customer is
    told why. The re-collection starts awaiting its schedule: the customer chooses its slot. Returns the re-collection
    booking."""
    reason = rejection_reason_check(reason)
    original = lock_booking_after_its_first(booking_id=item.booking_id)
    item = _lock_item(item)
    check_transition("item", item.status, It.REJECTED)
    now = timezone.now()
    item.status, item.rejection_reason, item.rejection_notes, item.rejected_at = It.REJECTED, reason, notes, now
    item.save(update_fields=["status", "rejection_reason", "rejection_notes", "rejected_at", "updated_at"])

    recollection = recollection_add(original=original, items=[item], now=now)
    _complete_if_done(original, now)
    label = BookingItem.RejectionReason(reason).label.lower()
    notification_create(
        user=original.user,
        kind=Notification.Kind.SAMPLE_REJECTED,
        title=f"We need a new sample for {item.test.name}",
        body=f"The sample could not be tested ({label}). We will collect a new one free of charge "
        f"(booking {recollection.code}): choose a time for the visit in the app.",
        data={"booking": original.pk, "recollection": recollection.pk, "item": item.pk},
        event_key=f"item:{item.pk}:rejected",
    )
    return recollection
