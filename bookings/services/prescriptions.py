import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from bookings.locks import lock_booking, lock_customer, lock_prescription
from bookings.models import Booking, PrescriptionUpload
from bookings.states import BOOKING_CLOSED
from diagnopet.errors import Conflict, ValidationFailed
from diagnopet.files import PRESCRIPTION_TYPES, upload_check
from diagnopet.storage import files_kept_on_commit


@files_kept_on_commit
@transaction.atomic
def prescription_upload(*, booking: Booking, user, file) -> PrescriptionUpload:
    """Attach a customer's prescription (PDF/JPEG/PNG by content, ≤ UPLOAD_MAX_BYTES) to their booking.

    The file is stored under a random name; the original name is kept for display only. Uploads are limited per
    booking and per customer per day (``upload_quota``, counted under the customer's and the booking's row locks, in
    the lock order of bookings/locks.py: uploads to two bookings of one customer cannot both pass the daily limit).
    """
    lock_customer(user_id=booking.user_id)
    booking = lock_booking(booking_id=booking.pk)
    if booking.status in BOOKING_CLOSED:
        raise Conflict("Prescriptions cannot be added to a cancelled booking.", code="booking_closed")
    mime = upload_check(file, allowed=PRESCRIPTION_TYPES)
    _check_quota(booking=booking, user=user, size=file.size)
    original = (getattr(file, "name", "") or "prescription").replace("\\", "/").rsplit("/", 1)[-1][:255]
    return PrescriptionUpload.objects.create(
        booking=booking, user=user, file=file, file_name=original, file_type=mime, file_size_bytes=file.size
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _check_quota(*, booking: Booking, user, size: int) -> None:
    """Refuse an upload past the per-booking or per-customer-per-day limits (settings; 0 = no limit), with one
    query: the booking's files and bytes, and the customer's since the start of the clinic's day."""
    day_start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    on_booking, today = Q(booking=booking), Q(created_at__gte=day_start)
    totals = PrescriptionUpload.objects.filter(Q(user=user) | on_booking).aggregate(
        booking_files=Count("pk", filter=on_booking),
        booking_bytes=Sum("file_size_bytes", filter=on_booking, default=0),
        day_files=Count("pk", filter=Q(user=user) & today),
        day_bytes=Sum("file_size_bytes", filter=Q(user=user) & today, default=0),
    )
    limits = (
        ("booking_files", 1, settings.PRESCRIPTION_MAX_FILES_PER_BOOKING, "files on one booking"),
        ("booking_bytes", size, settings.PRESCRIPTION_MAX_BYTES_PER_BOOKING, "on one booking"),
        ("day_files", 1, settings.PRESCRIPTION_MAX_FILES_PER_CUSTOMER_PER_DAY, "files a day"),
        ("day_bytes", size, settings.PRESCRIPTION_MAX_BYTES_PER_CUSTOMER_PER_DAY, "a day"),
    )
    for key, adds, limit, what in limits:
        if limit and totals[key] + adds > limit:
            shown = _megabytes(limit) if key.endswith("bytes") else str(limit)
            raise ValidationFailed(
                f"Upload limit reached: at most {shown} {what}. Contact the clinic if you need to send more.",
                code="upload_quota",
                field="file",
            )


@transaction.atomic
def prescription_verify(*, prescription: PrescriptionUpload, by, notes: str = "") -> PrescriptionUpload:
    prescription = lock_prescription(prescription_id=prescription.pk)
    prescription.verified_by, prescription.verified_at = by, timezone.now()
    prescription.verification_notes = notes
    prescription.save(update_fields=["verified_by", "verified_at", "verification_notes", "updated_at"])
    return prescription
