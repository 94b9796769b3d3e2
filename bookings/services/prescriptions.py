from django.db import transaction
from django.utils import timezone

from bookings.models import Booking, PrescriptionUpload
from diagnopet.errors import Conflict
from diagnopet.files import PRESCRIPTION_TYPES, upload_check


@transaction.atomic
def prescription_upload(*, booking: Booking, user, file) -> PrescriptionUpload:
    """Attach a customer's prescription (PDF/JPEG/PNG by content, ≤ UPLOAD_MAX_BYTES) to their booking.

    The file is stored under a random name; the original name is kept for display only.
    """
    if booking.status in (Booking.Status.CANCELLED, Booking.Status.NO_SHOW):
        raise Conflict("Prescriptions cannot be added to a cancelled booking.", code="booking_closed")
    mime = upload_check(file, allowed=PRESCRIPTION_TYPES)
    original = (getattr(file, "name", "") or "prescription").replace("\\", "/").rsplit("/", 1)[-1][:255]
    return PrescriptionUpload.objects.create(
        booking=booking, user=user, file=file, file_name=original, file_type=mime, file_size_bytes=file.size
    )


@transaction.atomic
def prescription_verify(*, prescription: PrescriptionUpload, by, notes: str = "") -> PrescriptionUpload:
    prescription = PrescriptionUpload.objects.select_for_update(of=("self",)).get(pk=prescription.pk)
    prescription.verified_by, prescription.verified_at = by, timezone.now()
    prescription.verification_notes = notes
    prescription.save(update_fields=["verified_by", "verified_at", "verification_notes", "updated_at"])
    return prescription
