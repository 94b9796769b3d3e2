"""Accounts: registration, password and one-time-code login with lockout, tokens, profile, addresses, inbox.

Rules (SPEC §3 "Accounts and authentication"): consecutive failed password logins lock the account for a while; a
success resets the count. One-time codes have 6 digits, are stored hashed, expire, allow a few tries and can be
requested once per cooldown per phone; the answer never says whether a phone is registered.
"""

import contextlib
import hashlib
import math
import secrets
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework import status
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import Address, Notification, PhoneOTP, User
from accounts.phone import normalize_phone
from accounts.selectors import user_get_by_login
from accounts.tasks import otp_deliver_task
from accounts.two_factor import two_factor_enabled, two_factor_required, two_factor_verify
from diagnopet.errors import DomainError, ValidationFailed


class AuthenticationError(DomainError):
    """The caller could not be authenticated (HTTP 401)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "invalid_credentials"


class AccountLocked(AuthenticationError):
    default_code = "account_locked"

    def __init__(self, *, locked_until: datetime):
        minutes = max(1, math.ceil((locked_until - timezone.now()).total_seconds() / 60))
        super().__init__(
            f"Too many failed login attempts: this account is locked for {minutes} more minute(s). "
            "Try again later or log in with a one-time code."
        )
        self.locked_until = locked_until


class SecondFactorRequired(AuthenticationError):
    """The password was right, but the account also needs its authenticator app's current code."""

    default_code = "otp_token_required"


class OtpDailyLimit(DomainError):
    """Too many wrong one-time codes for this phone (or from this address) in the last day (HTTP 429)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "otp_daily_limit"

    def __init__(self, *, retry_after: int):
        hours = max(1, math.ceil(retry_after / 3600))
        super().__init__(
            f"Too many wrong codes today. Try again in about {hours} hour(s), or log in with your password instead."
        )
        self.retry_after = retry_after


class OtpCooldown(DomainError):
    """A code was sent to this phone moments ago (HTTP 429)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "otp_cooldown"

    def __init__(self, *, retry_after: int):
        super().__init__(f"A code was sent recently. You can ask for a new one in {retry_after} seconds.")
        self.retry_after = retry_after


INVALID_CREDENTIALS = "No active account found with the given credentials."
OTP_INVALID = "This code is not valid."
OTP_EXPIRED = "This code has expired. Ask for a new one."
OTP_ATTEMPTS_EXCEEDED = "Too many wrong codes. Ask for a new one."
REFRESH_REFUSED = "This refresh token is invalid, expired or already used."
SECOND_FACTOR_MISSING = "Enter the 6-digit code from your authenticator app."
SECOND_FACTOR_WRONG = "This authenticator code is not valid. Wait for the next one and try again."
SECOND_FACTOR_ONLY = "This account logs in with its password and authenticator code, not with a text message code."


# --- Users ----------------------------------------------------------------------------------------


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


@transaction.atomic(durable=True)
def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Change what a customer may change about themselves: ``full_name`` and ``email``."""
    fields = []
    if "email" in data:
        user.email = _clean_email(data["email"])
        _check_unique(email=user.email, exclude_pk=user.pk)
        fields.append("email")
    if "full_name" in data:
        user.full_name = data["full_name"].strip()
        fields.append("full_name")
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


# --- Password login and lockout -------------------------------------------------------------------


def auth_login(*, username: str, password: str, otp_token: str | None = None, request=None) -> User:
    """Log in with a phone number or email and a password, through ``settings.AUTHENTICATION_BACKENDS``; the API's
    token endpoint and the back-office login both come here, so they share one lockout.

    ``LOGIN_MAX_FAILED_ATTEMPTS`` failures in a row lock the account for ``LOGIN_LOCK_MINUTES``; while locked even
    the right password is refused. A login name without an account locks the same way (in the cache), so that
    ``account_locked`` does not tell which accounts exist. A user with a confirmed authenticator device also gives
    its current code (``otp_token``); a wrong or missing code counts as a failed login. A success resets the count
    and clears an expired lock. Deliberately not one transaction: a failed attempt must stay counted although the
    login is refused.
    """
    candidate = user_get_by_login(username)
    if candidate is not None and candidate.is_currently_locked:
        raise AccountLocked(locked_until=candidate.locked_until)
    if candidate is None:
        locked_until = cache.get(_unknown_login_key(username, "locked"))
        if locked_until is not None and locked_until > timezone.now():
            raise AccountLocked(locked_until=locked_until)
    user = authenticate(request, username=username, password=password)
    if user is None:
        locked_until = (
            _login_failure_record(user_id=candidate.pk)
            if candidate is not None
            else _unknown_login_failure_record(username)
        )
        if locked_until is not None:
            raise AccountLocked(locked_until=locked_until)
        raise AuthenticationError(INVALID_CREDENTIALS)
    device = None
    if two_factor_enabled(user):
        device = two_factor_verify(user=user, token=otp_token)
        if device is None:
            locked_until = _login_failure_record(user_id=user.pk)
            if locked_until is not None:
                raise AccountLocked(locked_until=locked_until)
            raise SecondFactorRequired(SECOND_FACTOR_WRONG if otp_token else SECOND_FACTOR_MISSING)
    if not _login_success_record(user_id=user.pk):
        # A concurrent run of failures locked the account between the check above and now.
        user.refresh_from_db(fields=["is_locked", "locked_until"])
        raise AccountLocked(locked_until=user.locked_until)
    if device is not None:
        # django-otp's own hook: django.contrib.auth.login() records the verified device in the session.
        user.otp_device = device
    return user


def auth_tokens_allowed(*, user: User) -> None:
    """API tokens for a user whose role requires two-factor authentication only once they have an authenticator app
    (then ``auth_login`` has checked its code): the back-office walks them through setting one up, the API cannot.
    Text-message codes never log such a user in (``otp_verify``)."""
    if two_factor_required(user) and not two_factor_enabled(user):
        raise AuthenticationError(
            "Set up two-factor authentication in the back-office first.", code="two_factor_setup_required"
        )


def _unknown_login_key(username: str, suffix: str) -> str:
    canonical = (username or "").strip().lower()
    if "@" not in canonical:
        with contextlib.suppress(DjangoValidationError):
            canonical = normalize_phone(canonical)
    return f"login-unknown:{hashlib.sha256(canonical.encode()).hexdigest()}:{suffix}"


def _unknown_login_failure_record(username: str) -> datetime | None:
    """Count a failed login for a name with no account, in the cache, as ``_login_failure_record`` does for an
    account; returns ``locked_until`` when it is now "locked"."""
    window = settings.LOGIN_LOCK_MINUTES * 60
    key = _unknown_login_key(username, "failures")
    cache.add(key, 0, window)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        failures = 1 if cache.add(key, 1, window) else cache.incr(key)
    if failures < settings.LOGIN_MAX_FAILED_ATTEMPTS:
        return None
    locked_until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    cache.set(_unknown_login_key(username, "locked"), locked_until, window)
    cache.delete(key)
    return locked_until


@transaction.atomic
def _login_failure_record(*, user_id: int) -> datetime | None:
    """Count one failed password login; return ``locked_until`` when the account is now locked.

    Each conditional UPDATE takes the row lock and re-reads the row, so concurrent failures are all counted and
    exactly one of them locks the account.
    """
    now = timezone.now()
    users = User.objects.filter(pk=user_id)
    # A lock that has run out starts a fresh series of attempts.
    users.filter(is_locked=True, locked_until__lte=now).update(
        is_locked=False, locked_until=None, failed_login_attempts=0
    )
    users.filter(is_locked=False).update(failed_login_attempts=F("failed_login_attempts") + 1)
    users.filter(is_locked=False, failed_login_attempts__gte=settings.LOGIN_MAX_FAILED_ATTEMPTS).update(
        is_locked=True, locked_until=now + timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    )
    return users.filter(is_locked=True).values_list("locked_until", flat=True).first()


def _login_success_record(*, user_id: int) -> bool:
    """Reset the failure count and any expired lock; False when the account is (still) locked."""
    now = timezone.now()
    reset = (
        User.objects.filter(pk=user_id)
        .exclude(is_locked=True, locked_until__gt=now)
        .update(failed_login_attempts=0, is_locked=False, locked_until=None, last_login=now)
    )
    return reset == 1


# --- Tokens ---------------------------------------------------------------------------------------


def auth_tokens_issue(*, user: User) -> dict[str, str]:
    """A new refresh token (recorded as outstanding, so it can be blacklisted) and its access token."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic(durable=True)
def auth_token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: blacklist it and issue a new pair.

    The blacklist row is unique per token, so of two concurrent refreshes with the same token exactly one wins;
    a replayed token gets nothing.
    """
    try:
        token = RefreshToken(refresh)  # signature, expiry, type and blacklist
    except TokenError as exc:
        raise AuthenticationError(REFRESH_REFUSED, code="token_not_valid") from exc
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise AuthenticationError("No active account found for the given token.", code="no_active_account")
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token[jwt_settings.JTI_CLAIM],
        defaults={"user": user, "token": refresh, "expires_at": datetime_from_epoch(token["exp"])},
    )
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    if not created:
        raise AuthenticationError(REFRESH_REFUSED, code="token_not_valid")
    return auth_tokens_issue(user=user)


@transaction.atomic(durable=True)
def auth_logout(*, user: User, refresh: str) -> None:
    """Blacklist the caller's refresh token so that it can no longer be used."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise ValidationFailed(REFRESH_REFUSED, code="token_not_valid", field="refresh") from exc
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise ValidationFailed(REFRESH_REFUSED, code="token_not_valid", field="refresh")
    token.blacklist()


@transaction.atomic
def auth_tokens_revoke_all(*, user: User) -> int:
    """Blacklist every live refresh token of ``user``; returns how many."""
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in live]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- One-time codes -------------------------------------------------------------------------------


def _otp_hash(*, phone: str, code: str) -> str:
    # Keyed with SECRET_KEY: a 6-digit code has only a million values, so a salted slow hash stored beside its salt
    # could still be brute-forced from a database dump; an HMAC cannot be without the key. It is also fast.
    return salted_hmac("accounts.otp", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _otp_latest(phone: str) -> PhoneOTP | None:
    return PhoneOTP.objects.filter(phone=phone, purpose=PhoneOTP.Purpose.LOGIN).order_by("-created_at").first()


@transaction.atomic(durable=True)
def otp_request(*, phone: str) -> PhoneOTP:
    """Issue a login code for ``phone`` (E.164) and hand it to a task that texts it if the phone belongs to an
    active user.

    A code is stored, the cooldown and the daily limit apply, and a task is queued for unregistered phones too; the
    request never looks the account up, so its answer and timing do not tell whether the phone is registered. Only
    the newest code of a phone is valid.
    """
    now = timezone.now()
    # A transaction-level advisory lock per phone serialises concurrent requests for the same phone, registered or
    # not, so two of them cannot both pass the cooldown check and send two texts.
    _otp_phone_lock(phone)
    _otp_daily_limit_check(phone=phone, now=now)
    latest = _otp_latest(phone)
    cooldown = timedelta(seconds=settings.OTP_RESEND_COOLDOWN_SECONDS)
    if latest is not None and now - latest.created_at < cooldown:
        raise OtpCooldown(retry_after=math.ceil((latest.created_at + cooldown - now).total_seconds()))
    code = f"{secrets.randbelow(10**6):06d}"
    otp = PhoneOTP.objects.create(
        phone=phone,
        purpose=PhoneOTP.Purpose.LOGIN,
        code_hash=_otp_hash(phone=phone, code=code),
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
    )
    minutes = max(1, settings.OTP_TTL_SECONDS // 60)
    message = f"{code} is your DiagnoPet login code. It expires in {minutes} minutes. Do not share it."
    transaction.on_commit(partial(otp_deliver_task.delay, phone, message), robust=True)
    return otp


def _otp_phone_lock(phone: str) -> None:
    """Hold a lock on ``phone`` until the transaction ends (PostgreSQL advisory lock; SQLite writes are serial)."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"otp:{phone}".encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _otp_day_failures(*, phone: str, since: datetime) -> tuple[int, datetime | None]:
    """Wrong codes tried for ``phone`` since ``since`` (a right one is the consumed code's last try), and when the
    oldest code of that window was issued."""
    figures = PhoneOTP.objects.filter(phone=phone, purpose=PhoneOTP.Purpose.LOGIN, created_at__gte=since).aggregate(
        tries=Sum("attempts"), consumed=Count("pk", filter=Q(consumed_at__isnull=False)), oldest=Min("created_at")
    )
    return (figures["tries"] or 0) - figures["consumed"], figures["oldest"]


def _otp_daily_limit_check(*, phone: str, now: datetime, ip: str | None = None) -> None:
    """Refuse (429 ``otp_daily_limit``) once ``OTP_MAX_FAILED_PER_DAY`` wrong codes were tried for ``phone`` in the
    last 24 hours, or ``OTP_MAX_FAILED_PER_IP_PER_DAY`` from ``ip``: without it, a new code every cooldown gives a
    fresh set of guesses forever."""
    day = timedelta(hours=24)
    per_phone, per_ip = settings.OTP_MAX_FAILED_PER_DAY, settings.OTP_MAX_FAILED_PER_IP_PER_DAY  # 0: no limit
    if per_phone:
        failures, oldest = _otp_day_failures(phone=phone, since=now - day)
        if failures >= per_phone:
            raise OtpDailyLimit(retry_after=max(1, math.ceil((oldest + day - now).total_seconds())))
    if per_ip and ip is not None and (cache.get(_otp_ip_key(ip)) or 0) >= per_ip:
        raise OtpDailyLimit(retry_after=int(day.total_seconds()))


def _otp_ip_key(ip: str) -> str:
    return f"otp-failures-ip:{hashlib.sha256(ip.encode()).hexdigest()}"


def _otp_ip_failure_record(ip: str | None) -> None:
    if ip is None:
        return
    key, day = _otp_ip_key(ip), 24 * 3600
    cache.add(key, 0, day)
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, 1, day)


def otp_verify(*, phone: str, code: str, ip: str | None = None) -> User:
    """Log in with the newest code sent to ``phone``: marks the phone verified and clears a password lock.

    Every try is counted before the code is compared, in one conditional UPDATE, so concurrent guesses cannot get
    past ``OTP_MAX_ATTEMPTS`` for a code; past ``OTP_MAX_FAILED_PER_DAY`` wrong codes for the phone in a day (or
    ``OTP_MAX_FAILED_PER_IP_PER_DAY`` from ``ip``) nothing more is tried. Concurrent guesses can pass the daily
    limit by at most ``OTP_MAX_ATTEMPTS - 1``: each code's own limit is exact. Deliberately not one transaction: a
    wrong try must stay counted. An account with an authenticator app logs in with it, not with a text.
    """
    now = timezone.now()
    _otp_daily_limit_check(phone=phone, now=now, ip=ip)
    otp = _otp_latest(phone)
    if otp is None or otp.consumed_at is not None:
        raise ValidationFailed(OTP_INVALID, code="otp_invalid")
    if otp.expires_at <= now:
        raise ValidationFailed(OTP_EXPIRED, code="otp_expired")
    live = PhoneOTP.objects.filter(pk=otp.pk, consumed_at__isnull=True)
    if not live.filter(attempts__lt=settings.OTP_MAX_ATTEMPTS).update(attempts=F("attempts") + 1):
        raise ValidationFailed(OTP_ATTEMPTS_EXCEEDED, code="otp_attempts_exceeded")
    if not constant_time_compare(otp.code_hash, _otp_hash(phone=phone, code=code)):
        _otp_ip_failure_record(ip)
        otp.refresh_from_db(fields=["attempts"])
        if otp.attempts >= settings.OTP_MAX_ATTEMPTS:
            raise ValidationFailed(OTP_ATTEMPTS_EXCEEDED, code="otp_attempts_exceeded")
        raise ValidationFailed(OTP_INVALID, code="otp_invalid")
    user = User.objects.filter(phone=phone, is_active=True).first()
    # Consuming is conditional too: of two concurrent right answers only one logs in.
    if user is None or not live.update(consumed_at=now, updated_at=now):
        raise ValidationFailed(OTP_INVALID, code="otp_invalid")
    if two_factor_enabled(user) or two_factor_required(user):
        raise AuthenticationError(SECOND_FACTOR_ONLY, code="otp_token_required")
    # Holding the phone proves more than a password guess would: the code also lifts a lock.
    User.objects.filter(pk=user.pk).update(
        is_verified=True, failed_login_attempts=0, is_locked=False, locked_until=None, last_login=now, updated_at=now
    )
    user.refresh_from_db()
    return user


# --- Addresses ------------------------------------------------------------------------------------

ADDRESS_FIELDS = (
    "label",
    "line1",
    "line2",
    "landmark",
    "city",
    "state",
    "postal_code",
    "latitude",
    "longitude",
)


def _lock_user_addresses(user_id: int) -> None:
    # The address writes of one user are serialised on the user row, so two of them cannot both decide which
    # address is the default (the partial unique index would turn that race into an error).
    list(User.objects.select_for_update(of=("self",)).filter(pk=user_id).values_list("pk", flat=True))


def _check_coordinates(address: Address) -> None:
    if (address.latitude is None) != (address.longitude is None):
        raise ValidationFailed(
            "Give both latitude and longitude, or neither.", code="coordinates_incomplete", field="latitude"
        )


@transaction.atomic(durable=True)
def address_create(
    *,
    user: User,
    line1: str,
    city: str,
    postal_code: str,
    label: str = "",
    line2: str = "",
    landmark: str = "",
    state: str = "",
    latitude=None,
    longitude=None,
    is_default: bool = False,
) -> Address:
    """Add an address. The first one becomes the default; a new default replaces the old one."""
    address = Address(
        user=user,
        label=label,
        line1=line1,
        line2=line2,
        landmark=landmark,
        city=city,
        state=state,
        postal_code=postal_code,
        latitude=latitude,
        longitude=longitude,
    )
    _check_coordinates(address)
    _lock_user_addresses(user.pk)
    defaults = Address.objects.filter(user=user, is_default=True)
    if is_default:
        defaults.update(is_default=False, updated_at=timezone.now())
    address.is_default = is_default or not defaults.exists()
    address.save()
    return address


@transaction.atomic(durable=True)
def address_update(*, address: Address, data: dict[str, Any]) -> Address:
    """Change an address. ``is_default=True`` moves the default here; the default cannot be unset, only moved."""
    for field in ADDRESS_FIELDS:
        if field in data:
            setattr(address, field, data[field])
    _check_coordinates(address)
    _lock_user_addresses(address.user_id)
    # Re-read under the lock: a concurrent request may have moved the default since this row was loaded.
    address.is_default = Address.objects.filter(pk=address.pk, is_default=True).exists()
    if "is_default" in data and data["is_default"] != address.is_default:
        if not data["is_default"]:
            raise ValidationFailed(
                "One address is always the default: mark another address as default instead.",
                code="default_required",
                field="is_default",
            )
        Address.objects.filter(user_id=address.user_id, is_default=True).update(
            is_default=False, updated_at=timezone.now()
        )
        address.is_default = True
    address.save()
    return address


@transaction.atomic(durable=True)
def address_delete(*, address: Address) -> None:
    """Delete an address; when it was the default, the oldest remaining address takes over."""
    _lock_user_addresses(address.user_id)
    was_default = Address.objects.filter(pk=address.pk, is_default=True).exists()
    address.delete()
    if was_default:
        successor = Address.objects.filter(user_id=address.user_id).order_by("id").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])


# --- Notifications --------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notification read; reading it again keeps the first read time."""
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now, updated_at=now)
    notification.refresh_from_db(fields=["read_at", "updated_at"])
    return notification


@transaction.atomic(durable=True)
def notification_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    now = timezone.now()
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now, updated_at=now)
