"""Account closure and anonymisation: what a customer's data becomes when they leave.

Retention rule (decided here, README "Closing an account"): invoices and receipts must be kept for the billing
retention period (``CLOSED_ACCOUNT_RETENTION_YEARS``, 8 by default) and they print the customer's name and phone and
the pet's name. Closing removes everything else at once (``user_personal_data_remove``: email, addresses and the
bookings' copies of them, pins and notes, prescriptions, notifications, pets' breed, microchip, birth date and
medical history; and review comments) and schedules the rest: ``closed_accounts_anonymise`` (Celery beat, daily)
anonymises the account once the period has passed. Bills, payments, invoices, receipts and reports are never
touched.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.services.auth import auth_tokens_revoke_all
from bookings.locks import lock_customer_row
from bookings.models import Booking
from bookings.services.operations import user_anonymize, user_personal_data_remove
from bookings.services.publishing import report_shares_revoke_all
from diagnopet.errors import Conflict, ValidationFailed
from privacy.models import AccountClosure
from reviews.services import review_comments_remove

# Bookings still under way: closing would leave a visit nobody can be told about or a report nobody can read.
OPEN_STATUSES = (
    Booking.Status.AWAITING_SCHEDULE,
    Booking.Status.PENDING,
    Booking.Status.CONFIRMED,
    Booking.Status.COLLECTED,
    Booking.Status.PROCESSING,
)


def retention_end(closed_at: datetime.datetime, *, years: int) -> datetime.datetime:
    """``years`` after ``closed_at`` (29 February → 28 February)."""
    try:
        return closed_at.replace(year=closed_at.year + years)
    except ValueError:
        return closed_at.replace(year=closed_at.year + years, day=28)


@transaction.atomic
def account_anonymize(*, user, log: bool = True) -> bool:
    """Anonymise a customer (staff command, restores, the end of retention): ``user_anonymize`` and their review
    comments. Returns False when the account was already anonymised (the comments are checked again anyway)."""
    changed = user_anonymize(user=user, log=log)
    report_shares_revoke_all(user=user)
    review_comments_remove(user=user)
    AccountClosure.objects.filter(user=user, anonymised_at__isnull=True).update(
        anonymised_at=timezone.now(), updated_at=timezone.now()
    )
    return changed


@transaction.atomic(durable=True)
def account_close(*, user, password: str, now=None) -> AccountClosure:
    """Close the caller's own account: the password again (400 ``wrong_password``), no booking under way (409
    ``open_bookings``), then deactivate it, revoke every refresh token and report share link, remove the personal
    data invoices do not need and schedule the anonymisation. One transaction: all of it or nothing."""
    now = now or timezone.now()
    if not user.check_password(password):
        raise ValidationFailed("The password is not correct.", code="wrong_password", field="password")
    user = lock_customer_row(user_id=user.pk)
    if user.is_staff or user.is_superuser:
        raise Conflict("Staff accounts are closed by a clinic admin.", code="staff_account")
    if not user.is_active or AccountClosure.objects.filter(user=user).exists():
        raise Conflict("This account is already closed.", code="account_closed")
    if Booking.objects.filter(user=user, status__in=OPEN_STATUSES).exists():
        raise Conflict(
            "Cancel your upcoming bookings (or wait for their reports) before closing the account.",
            code="open_bookings",
        )
    user_personal_data_remove(user=user)
    user.is_active = False
    user.deactivated_at = now
    user.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    auth_tokens_revoke_all(user=user)
    report_shares_revoke_all(user=user)
    review_comments_remove(user=user)
    return AccountClosure.objects.create(
        user=user,
        closed_at=now,
        anonymise_after=retention_end(now, years=settings.CLOSED_ACCOUNT_RETENTION_YEARS),
    )


def closed_accounts_anonymise(*, now=None) -> int:
    """Anonymise every closed account whose retention period has ended, each in its own transaction (one failure
    does not hold back the others; a second run finds nothing left). Returns how many."""
    now = now or timezone.now()
    done = 0
    due = AccountClosure.objects.filter(anonymised_at__isnull=True, anonymise_after__lte=now).select_related("user")
    for closure in due.order_by("anonymise_after", "id"):
        with transaction.atomic():
            account_anonymize(user=closure.user)
        done += 1
    return done
