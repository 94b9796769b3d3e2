"""Locks for the accounts app — the only module here that calls select_for_update or takes an advisory lock.

Lock order (every transaction takes them in this order, so none can deadlock another):
phone (one-time codes, an advisory lock) → user row (address writes; bookings/locks.py's ``lock_customer`` takes
the same row first in the booking flow) → that user's authenticator devices. A notification delivery's row (one
channel) is locked alone, by the worker sending it, with no other lock held.
"""

import hashlib

from django.db import connection
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import NotificationDelivery, User


def lock_phone(phone: str) -> None:
    """Hold a lock on ``phone`` until the transaction ends, so its one-time codes are issued and checked one request
    at a time (PostgreSQL advisory lock; SQLite writes are serial anyway)."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"otp:{phone}".encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def lock_user(*, user_id: int) -> None:
    """Hold the user's row until the transaction ends: the address writes of one user are serialised on it, so two
    of them cannot both decide which address is the default."""
    list(User.objects.select_for_update(of=("self",)).filter(pk=user_id).values_list("pk", flat=True))


def devices_locked(*, user: User, confirmed: bool | None) -> QuerySet:
    """The user's authenticator devices (confirmed or being enrolled), locked when read: a code is used once."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=confirmed).select_for_update()


def lock_notification_delivery(*, delivery_id: int) -> NotificationDelivery | None:
    """One channel's delivery with its notification and user, locked, so it is sent once even if two workers pick
    it up (the other channels of the notification are sent, and locked, on their own)."""
    return (
        NotificationDelivery.objects.select_for_update(of=("self",))
        .select_related("notification__user")
        .filter(pk=delivery_id)
        .first()
    )
