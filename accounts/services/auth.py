"""Password login with lockout, and the JWT tokens.

Rules (SPEC §3 "Accounts and authentication"): consecutive failed password logins lock the account for a while; a
success resets the count. The errors and messages of login and one-time codes live here, the one place clients'
texts come from.
"""

import contextlib
import hashlib
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import ngettext
from rest_framework import status
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import User
from accounts.phone import normalize_phone
from accounts.selectors import user_get_by_login
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
            "Too many failed login attempts: this account is locked for "
            + ngettext("%(n)d more minute. ", "%(n)d more minutes. ", minutes) % {"n": minutes}
            + "Try again later or log in with a one-time code."
        )
        self.locked_until = locked_until


class SecondFactorRequired(AuthenticationError):
    """The password was right, but the account also needs its authenticator app's current code."""

    default_code = "otp_token_required"


INVALID_CREDENTIALS = "No active account found with the given credentials."
REFRESH_REFUSED = "This refresh token is invalid, expired or already used."
SECOND_FACTOR_MISSING = "Enter the 6-digit code from your authenticator app."
SECOND_FACTOR_WRONG = "This authenticator code is not valid. Wait for the next one and try again."
SECOND_FACTOR_ONLY = "This account logs in with its password and authenticator code, not with a text message code."


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
