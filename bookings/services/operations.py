"""Housekeeping run by operations (commands and the Celery beat): expiry, reminders, anonymisation."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.anonymisations import anonymisation_log_append
from accounts.models import Notification, PhoneOTP, StaffRole
from accounts.notifications import notification_create
from billing.models import Payment
from bookings.locks import lock_customer_row
from bookings.models import Booking, BookingItem, CollectionType, PrescriptionUpload
from bookings.querysets import item_overdue_q
from bookings.services.booking import booking_expire
from bookings.states import BOOKING_SCHEDULED
from diagnopet.errors import Conflict
from diagnopet.system_settings import system_settings


def _slot_started(now) -> Q:
    return Q(slot__date__lt=now.date()) | Q(slot__date=now.date(), slot__start_time__lte=now.time())


def pending_bookings_past_hold(*, now=None):
    """Pending bookings holding a slot place that were never confirmed and have no payment recorded: their slot has
    already started, or they were made more than the pending hold ago (system settings; 0: only the first), or, when
    home visits need prepayment, a home visit made more than the prepayment hold ago."""
    now = timezone.localtime(now or timezone.now())
    rules = system_settings()
    due = _slot_started(now)
    if rules.booking_pending_hold_minutes > 0:
        due |= Q(created_at__lte=now - datetime.timedelta(minutes=rules.booking_pending_hold_minutes))
    if rules.home_visit_prepayment_required:
        # Home visits are paid before the visit: an unpaid one holds its place only for the prepayment window.
        unpaid_since = now - datetime.timedelta(minutes=rules.prepayment_hold_minutes)
        due |= Q(collection_type=CollectionType.HOME, created_at__lte=unpaid_since)
    paid = Payment.objects.filter(billing_record__booking=OuterRef("pk"))
    return (
        Booking.objects.filter(status=Booking.Status.PENDING, slot__isnull=False)
        .filter(due)
        .exclude(Exists(paid))
        .annotate(slot_started=ExpressionWrapper(_slot_started(now), output_field=BooleanField()))
        .order_by("created_at", "id")
    )


def bookings_expire_pending(*, now=None, progress=None) -> int:
    """Cancel every pending booking past its slot start or its hold time (``pending_bookings_past_hold``), each in
    its own transaction (``booking_expire``: the slot place, coupon use and bill go back as on a cancellation);
    returns how many."""
    expired = 0
    hours = system_settings().booking_pending_hold_minutes / 60
    held = f"Not confirmed within {hours:g} hours of booking; the place was released."
    for booking in (
        progress(list(pending_bookings_past_hold(now=now))) if progress else pending_bookings_past_hold(now=now)
    ):
        reason = "Not confirmed before its slot started." if booking.slot_started else held
        if booking_expire(booking=booking, reason=reason) is not None:
            expired += 1
    return expired


def _preparation(booking: Booking) -> str:
    items = list(booking.items.select_related("test").exclude(status=BookingItem.Status.CANCELLED))
    lines = []
    if any(item.test.fasting_required for item in items):
        lines.append("Please keep your pet fasting for 8–12 hours before the visit (water is fine).")
    lines += [
        f"{item.test.name}: {item.test.collection_instructions}" for item in items if item.test.collection_instructions
    ]
    return " ".join(lines)


def reminders_send(*, today=None) -> dict[str, int]:
    """Remind customers of tomorrow's visits (with fasting and preparation instructions) and tell lab staff about
    overdue reports. One notification per booking per visit day and per staff member per day: safe to re-run."""
    today = today or timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    visits = (
        Booking.objects.filter(booking_date=tomorrow, status__in=BOOKING_SCHEDULED)
        .filter(pet__is_deceased=False, user__is_active=True)
        .select_related("user", "pet", "slot")
    )
    reminded = 0
    for booking in visits:
        when = f"{booking.slot.start_time:%H:%M}" if booking.slot else "your booked time"
        place = "at your address" if booking.collection_type == "home" else "at the clinic"
        notification_create(
            user=booking.user,
            kind=Notification.Kind.VISIT_REMINDER,
            title=f"Tomorrow at {when}: sample collection for {booking.pet.name}",
            body=f"Booking {booking.code}, {place}. {_preparation(booking)}".strip(),
            data={"booking": booking.pk},
            event_key=f"booking:{booking.pk}:reminder:{tomorrow.isoformat()}",
        )
        reminded += 1
    overdue = BookingItem.objects.filter(item_overdue_q(timezone.now())).count()
    staff_told = 0
    if overdue:
        lab_staff = get_user_model().objects.filter(
            is_active=True, is_staff=True, staff_profile__role__in=[StaffRole.LAB_TECH, StaffRole.ADMIN]
        )
        for member in lab_staff:
            notification_create(
                user=member,
                kind=Notification.Kind.GENERAL,
                title=ngettext("%(count)d report overdue", "%(count)d reports overdue", overdue) % {"count": overdue},
                body="Samples past their turnaround time are waiting for reports. See Bookings → overdue items.",
                data={"overdue_items": overdue},
                event_key=f"overdue:{today.isoformat()}",
            )
            staff_told += 1
    return {"visit_reminders": reminded, "overdue_items": overdue, "staff_notified": staff_told}


@transaction.atomic
def user_personal_data_remove(*, user) -> None:
    """Remove what a customer's invoices do not need (account closure, and the first half of anonymisation).

    Invoices and receipts print the customer's name and phone and the pet's name, so those stay (until
    ``user_anonymize``). Everything else personal goes: email and notification choices, the password, one-time
    codes, notifications, addresses (and the bookings' copies, pins and notes), prescription files, and the pets'
    breed, microchip, birth date and medical history. Bookings, items, bills, payments and reports stay.
    The caller holds the customer's row lock (``lock_customer_row``).
    """
    user.email = None
    user.notification_channels = []
    user.set_unusable_password()
    user.save(update_fields=["email", "notification_channels", "password", "updated_at"])
    PhoneOTP.objects.filter(phone=user.phone).delete()
    user.notifications.all().delete()
    uploads = PrescriptionUpload.objects.filter(user=user)
    files = [(upload.file.storage, upload.file.name) for upload in uploads if upload.file]
    uploads.delete()
    # Files go only once the rows are gone for good (a rollback keeps both).
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    Booking.objects.filter(user=user).update(
        address=None,
        address_link="",
        latitude=None,
        longitude=None,
        collected_latitude=None,
        collected_longitude=None,
        notes="",
    )
    # Home bookings must keep some address text (a database rule); it no longer says where.
    Booking.objects.filter(user=user).exclude(address_text="").update(address_text="[removed]")
    user.addresses.all().delete()
    user.pets.update(breed="", microchip_id="", medical_history="", date_of_birth=None, is_active=False)


@transaction.atomic
def user_anonymize(*, user, log: bool = True) -> bool:
    """Scrub a customer's personal data while keeping every financial and lab record.

    Everything ``user_personal_data_remove`` removes, and then the name, phone and pet names too; bookings, items,
    bills, payments, coupon uses and reports stay (linked to the anonymous account). Returns False when the user
    was already anonymised.

    The anonymisation is appended to the anonymisation log (``accounts/anonymisations.py``) last, before the
    commit: a restore of an older backup re-applies it from there; if the log cannot be written nothing changes.
    ``anonymisations_reapply`` passes ``log=False`` (its entries are in the log already).
    """
    user = lock_customer_row(user_id=user.pk)
    if user.anonymized_at:
        return False
    if user.is_staff or user.is_superuser:
        raise Conflict("Staff accounts are deactivated, not anonymised.", code="staff_account")
    user_personal_data_remove(user=user)
    user.full_name = "Anonymised customer"
    user.phone = f"anon-{user.pk}"
    user.is_active = False
    user.is_verified = False
    user.anonymized_at = timezone.now()
    user.deactivated_at = user.deactivated_at or user.anonymized_at
    user.save()
    user.pets.update(name="Pet")
    if log:
        anonymisation_log_append(user=user, at=user.anonymized_at)
    return True
