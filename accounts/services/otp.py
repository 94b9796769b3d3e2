"""One-time text-message codes: request and verify.

Codes have 6 digits, are stored hashed, expire, allow a few tries and can be requested once per cooldown per
phone; the answer never says whether a phone is registered.
"""

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import ngettext
from rest_framework import status

from accounts.locks import lock_phone
from accounts.models import PhoneOTP, User
from accounts.services.auth import SECOND_FACTOR_ONLY, AuthenticationError
from accounts.tasks import otp_deliver_task
from accounts.two_factor import two_factor_enabled, two_factor_required
from diagnopet.errors import DomainError, ValidationFailed


class OtpDailyLimit(DomainError):
    """Too many wrong one-time codes for this phone (or from this address) in the last day (HTTP 429)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "otp_daily_limit"

    def __init__(self, *, retry_after: int):
        hours = max(1, math.ceil(retry_after / 3600))
        super().__init__(
            "Too many wrong codes today. Try again in about "
            + ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
            + ", or log in with your password instead."
        )
        self.retry_after = retry_after


class OtpCooldown(DomainError):
    """A code was sent to this phone moments ago (HTTP 429)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "otp_cooldown"

    def __init__(self, *, retry_after: int):
        super().__init__(f"A code was sent recently. You can ask for a new one in {retry_after} seconds.")
        self.retry_after = retry_after


OTP_INVALID = "This code is not valid."
OTP_EXPIRED = "This code has expired. Ask for a new one."
OTP_ATTEMPTS_EXCEEDED = "Too many wrong codes. Ask for a new one."


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
    lock_phone(phone)
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
