"""Authentication hardening beyond accounts/tests/test_auth_api.py (which covers the 5-failure lock, rotation and
reuse, logout blacklisting, OTP tries, cooldown and same-answer enumeration, throttles): the configurable lock
threshold and its counting across spellings of one login, forged and expired tokens, tokens of deactivated users,
OTP guessing bounded over time, and login timing that does not tell known from unknown users."""

import statistics
import time
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import PhoneOTP
from accounts.sms import MemorySmsBackend
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/me"
OTP_REQUEST = "/api/v1/auth/otp/request"
OTP_VERIFY = "/api/v1/auth/otp/verify"


def login(username, password=DEFAULT_PASSWORD):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def me_with(token) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME).status_code


def test_the_lock_threshold_comes_from_the_setting(settings):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 3
    user = UserFactory()
    codes = [login(user.phone, "wrong-password").json()["code"] for _ in range(3)]
    assert codes == ["invalid_credentials"] * 2 + ["account_locked"]
    assert login(user.phone).status_code == 401
    user.refresh_from_db()
    assert user.is_locked


def test_every_spelling_of_one_login_counts_towards_the_same_lock():
    user = UserFactory(phone="+919876543210", email="asha@example.com")
    spellings = ["+919876543210", "98765 43210", "098765-43210", "ASHA@example.com", "asha@example.com"]
    for spelling in spellings:
        assert login(spelling, "wrong-password").status_code == 401
    user.refresh_from_db()
    assert user.is_locked
    assert login("asha@example.com").json()["code"] == "account_locked"


def test_an_expired_access_token_is_401():
    user = UserFactory()
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - timedelta(hours=1), lifetime=timedelta(minutes=5))
    assert me_with(token) == 401
    assert me_with(AccessToken.for_user(user)) == 200


def test_forged_tokens_are_401():
    user = UserFactory()
    good = str(AccessToken.for_user(user))
    header, payload, signature = good.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    # {"alg":"none","typ":"JWT"} with the same claims and no signature.
    unsigned = f"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."
    assert me_with(tampered) == 401
    assert me_with(unsigned) == 401
    assert me_with("not-a-token") == 401
    # A refresh token is not an access token.
    assert me_with(RefreshToken.for_user(user)) == 401


def test_tokens_of_a_deactivated_user_stop_working():
    user = UserFactory()
    access = AccessToken.for_user(user)
    assert me_with(access) == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert me_with(access) == 401


def _request_code(phone):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return APIClient().post(OTP_REQUEST, {"phone": phone}, format="json")


def test_otp_guessing_is_bounded_over_time(settings):
    """Exhausting the tries and asking again at once gets no fresh tries: the cooldown holds, so at most
    OTP_MAX_ATTEMPTS guesses fit in OTP_RESEND_COOLDOWN_SECONDS."""
    settings.SMS_BACKEND = "accounts.sms.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    user = UserFactory()
    assert _request_code(user.phone).status_code == 202
    answers = [
        APIClient().post(OTP_VERIFY, {"phone": user.phone, "code": f"{n:06d}"}, format="json").json()["code"]
        for n in range(settings.OTP_MAX_ATTEMPTS + 2)
    ]
    assert answers.count("otp_invalid") <= settings.OTP_MAX_ATTEMPTS
    assert answers[-1] == "otp_attempts_exceeded"
    again = _request_code(user.phone)
    assert again.status_code in (400, 429)
    assert again.json()["code"] == "otp_cooldown"
    assert PhoneOTP.objects.filter(phone=user.phone).count() == 1
    MemorySmsBackend.outbox.clear()


def test_otp_verify_is_throttled_per_phone_whatever_the_ip(settings, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "otp": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    statuses = [
        APIClient()
        .post(OTP_VERIFY, {"phone": "+919800012345", "code": "123456"}, format="json", REMOTE_ADDR=f"10.0.0.{n}")
        .status_code
        for n in range(1, 6)
    ]
    assert statuses[:3] == [400, 400, 400]
    assert statuses[3:] == [429, 429]


class MeasurablePBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with enough work (~40 ms) to dominate a login's time (the known user's failure also writes its
    counter), without the production cost in CI."""

    iterations = 150_000


def test_login_timing_does_not_tell_known_from_unknown_users(settings):
    """With a real (if lighter) hasher, a wrong password for a known user and any password for an unknown one both run
    the hasher once (PhoneOrEmailBackend hashes for unknown users too), so the medians are close."""
    settings.PASSWORD_HASHERS = ["reliability.test_auth.MeasurablePBKDF2PasswordHasher"]
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 1000
    user = UserFactory()
    user.set_password("a-long-Passphrase-42")
    user.save()

    def median_seconds(username, tries=7):
        samples = []
        for _ in range(tries):
            start = time.perf_counter()
            assert login(username, "wrong-password").status_code == 401
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    login("+919800099999", "warm-up")
    known, unknown = median_seconds(user.phone), median_seconds("+919800099999")
    # Without the dummy hash the unknown user would answer in a few milliseconds against ~40 ms; allow 2x.
    assert min(known, unknown) / max(known, unknown) > 0.5, (known, unknown)
