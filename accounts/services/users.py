"""Registration, profile and password changes, and a staff member's unlock."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import NOTIFICATION_CHANNELS, User
from accounts.phone import normalize_phone
from accounts.services.auth import auth_tokens_revoke_all
from diagnopet.errors import ValidationFailed


def _clean_email(email: str | None) -> str | None:
    # No email is NULL, never "": the case-insensitive unique constraint ignores only NULLs.
    email = (email or "").strip()
    return User.objects.normalize_email(email) if email else None


def _check_unique(*, phone: str | None = None, email: str | None = None, exclude_pk: int | None = None) -> None:
    users = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if phone and users.filter(phone=phone).exists():
        raise ValidationFailed("A user with this phone number already exists.", code="phone_taken", field="phone")
    if email and users.filter(email__iexact=email).exists():
        raise ValidationFailed("A user with this email address already exists.", code="email_taken", field="email")


@transaction.atomic(durable=True)
def user_register(*, phone: str, password: str, full_name: str, email: str | None = None) -> User:
    """Create a customer. ``password`` has already passed the password validators; ``phone`` is normalised here."""
    try:
        phone = normalize_phone(phone)
    except DjangoValidationError as exc:
        raise ValidationFailed(exc.messages[0], code="invalid_phone", field="phone") from exc
    email = _clean_email(email)
    _check_unique(phone=phone, email=email)
    try:
        with transaction.atomic():
            return User.objects.create_user(phone=phone, password=password, full_name=full_name, email=email)
    except IntegrityError:
        _check_unique(phone=phone, email=email)  # a concurrent registration won: name the field it took
        raise


def _clean_channels(channels) -> list[str]:
    """The channels as stored: known ones only, each once, in ``NOTIFICATION_CHANNELS`` order."""
    unknown = sorted(set(channels) - set(NOTIFICATION_CHANNELS))
    if unknown:
        raise ValidationFailed(
            f"Unknown notification channel: {', '.join(unknown)}. Choose from {', '.join(NOTIFICATION_CHANNELS)}.",
            code="invalid_channel",
            field="notification_channels",
        )
    return [channel for channel in NOTIFICATION_CHANNELS if channel in channels]


@transaction.atomic(durable=True)
def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Change what a customer may change about themselves: ``full_name``, ``email`` and ``notification_channels``.

    Email notifications need an email address: choosing them without one, or removing the address while they are
    chosen, is refused (``email_required``), so a chosen channel is always one that can be delivered.
    """
    fields = []
    if "email" in data:
        user.email = _clean_email(data["email"])
        _check_unique(email=user.email, exclude_pk=user.pk)
        fields.append("email")
    if "full_name" in data:
        user.full_name = data["full_name"].strip()
        fields.append("full_name")
    if "notification_channels" in data:
        user.notification_channels = _clean_channels(data["notification_channels"])
        fields.append("notification_channels")
    if "email" in (user.notification_channels or []) and not user.email:
        raise ValidationFailed(
            "Email notifications need an email address: add one, or choose other channels.",
            code="email_required",
            field="notification_channels" if "notification_channels" in data else "email",
        )
    if fields:
        try:
            with transaction.atomic():
                user.save(update_fields=[*fields, "updated_at"])
        except IntegrityError:
            _check_unique(email=user.email, exclude_pk=user.pk)
            raise
    return user


@transaction.atomic(durable=True)
def user_password_change(*, user: User, old_password: str, new_password: str) -> User:
    """Set a new password (already validated) and log out every other session by revoking its refresh tokens."""
    if not user.check_password(old_password):
        raise ValidationFailed("Your current password is not correct.", code="wrong_password", field="old_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    auth_tokens_revoke_all(user=user)
    return user


@transaction.atomic(durable=True)
def user_unlock(*, user: User) -> User:
    """Lift a login lock (back-office action)."""
    User.objects.filter(pk=user.pk).update(
        failed_login_attempts=0, is_locked=False, locked_until=None, updated_at=timezone.now()
    )
    user.refresh_from_db(fields=["failed_login_attempts", "is_locked", "locked_until", "updated_at"])
    return user
