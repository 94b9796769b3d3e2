"""Two-factor authentication for staff: time-based one-time codes from an authenticator app (django-otp's TOTP).

Optional for every staff user; required for superusers and clinic admins when ``STAFF_2FA_REQUIRED`` is on. A user
with a confirmed device gives its current code with their password, in the back-office and in the API alike
(``accounts.services.auth_login``). Lost phone: ``manage.py staff_2fa_reset <phone>`` (README "Security").
"""

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.locks import devices_locked
from accounts.models import StaffRole, User
from accounts.roles import staff_role

DEVICE_NAME = "Authenticator app"


def two_factor_required(user: User) -> bool:
    """Whether ``user`` must have a device before using the back-office."""
    if not settings.STAFF_2FA_REQUIRED or not user.is_staff:
        return False
    return user.is_superuser or staff_role(user) == StaffRole.ADMIN


def two_factor_enabled(user: User) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def _token_checked(token: str | None) -> str | None:
    token = (token or "").strip().replace(" ", "")
    # Codes are 6 digits (django-otp's TOTP default): anything else is refused without costing the device a try.
    return token if token.isascii() and token.isdigit() and len(token) == 6 else None


@transaction.atomic
def two_factor_verify(*, user: User, token: str | None) -> TOTPDevice | None:
    """The confirmed device that accepts ``token``, or None. The device row is locked, so a code is used once, and
    django-otp slows down repeated failures (each wrong code doubles the wait before the next is considered)."""
    token = _token_checked(token)
    if token is None:
        return None
    for device in devices_locked(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


@transaction.atomic
def two_factor_setup_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device ``user`` is enrolling (a new secret the first time)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def two_factor_setup_confirm(*, user: User, token: str | None) -> TOTPDevice | None:
    """Confirm the device being enrolled with a first code from the app; None when the code is wrong."""
    token = _token_checked(token)
    device = devices_locked(user=user, confirmed=False).order_by("-id").first()
    if token is None or device is None or not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One device at a time: earlier unfinished enrolments go.
    TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
    return device


@transaction.atomic
def two_factor_reset(*, user: User) -> int:
    """Remove every device of ``user`` (recovery after a lost phone); returns how many were removed."""
    deleted, _ = TOTPDevice.objects.devices_for_user(user, confirmed=None).delete()
    return deleted
