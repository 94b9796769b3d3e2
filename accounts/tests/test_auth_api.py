import logging
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import PhoneOTP, User
from accounts.services import user_unlock
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
OTP_VERIFY = "/api/v1/auth/otp/verify"
ME = "/api/v1/me"

pytestmark = pytest.mark.django_db


def login(client, username, password=DEFAULT_PASSWORD, **extra):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **extra)


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def code_in(message) -> str:
    return re.search(r"\b(\d{6})\b", message.message).group(1)


# --- Register -------------------------------------------------------------------------------------


def register_payload(**overrides):
    payload = {
        "phone": "98765 43210",
        "password": "Tr1cky-Beagle-42",
        "full_name": "Asha Rao",
        "email": "Asha@Example.com",
    }
    return {**payload, **overrides}


def test_register_creates_customer_and_returns_working_tokens(api_client):
    response = api_client.post(REGISTER, register_payload(is_staff=True, is_superuser=True), format="json")

    assert response.status_code == 201, response.data
    user = User.objects.get()
    assert response.data["user"] == {
        "id": user.pk,
        "phone": "+919876543210",
        "email": "Asha@example.com",
        "full_name": "Asha Rao",
        "is_verified": False,
    }
    assert user.check_password("Tr1cky-Beagle-42")
    assert not user.is_staff
    assert not user.is_superuser
    me = bearer(response.data["access"]).get(ME)
    assert me.status_code == 200
    assert me.data["id"] == user.pk
    assert api_client.post(REFRESH, {"refresh": response.data["refresh"]}, format="json").status_code == 200


def test_register_without_email_stores_none(api_client):
    first = api_client.post(REGISTER, register_payload(email=""), format="json")
    second = api_client.post(REGISTER, register_payload(phone="+919876543211", email=None), format="json")

    assert first.status_code == 201, first.data
    assert second.status_code == 201, second.data
    assert list(User.objects.values_list("email", flat=True)) == [None, None]


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+1 555", ""])
def test_register_refuses_malformed_phone(api_client, phone):
    response = api_client.post(REGISTER, register_payload(phone=phone), format="json")

    assert response.status_code == 400
    assert response.data["phone"]
    assert not User.objects.exists()


@pytest.mark.parametrize("password", ["12345678", "password", "short", "ashaexample"])
def test_register_refuses_weak_password(api_client, password):
    response = api_client.post(REGISTER, register_payload(password=password), format="json")

    assert response.status_code == 400
    assert response.data["password"]
    assert not User.objects.exists()


def test_register_refuses_duplicate_phone_in_any_format(api_client):
    UserFactory(phone="+919876543210")

    response = api_client.post(REGISTER, register_payload(phone="098765-43210"), format="json")

    assert response.status_code == 400
    assert response.data["code"] == "phone_taken"
    assert response.data["phone"] == ["A user with this phone number already exists."]
    assert User.objects.count() == 1


def test_register_refuses_duplicate_email_in_any_case(api_client):
    UserFactory(email="asha@example.com")

    response = api_client.post(REGISTER, register_payload(email="ASHA@EXAMPLE.COM"), format="json")

    assert response.status_code == 400
    assert response.data["code"] == "email_taken"
    assert response.data["email"]
    assert User.objects.count() == 1


# --- Password login and lockout -------------------------------------------------------------------


@pytest.mark.parametrize("username", ["+919812345678", "98123 45678", "0 98123-45678", "ASHA@example.COM"])
def test_login_by_phone_or_email(api_client, username):
    user = UserFactory(phone="+919812345678", email="asha@example.com")

    response = login(api_client, username)

    assert response.status_code == 200, response.data
    assert set(response.data) == {"access", "refresh"}
    assert bearer(response.data["access"]).get(ME).data["id"] == user.pk
    user.refresh_from_db()
    assert user.last_login is not None


def test_wrong_password_and_unknown_user_get_the_same_401(api_client):
    user = UserFactory()

    wrong = login(api_client, user.phone, "not-the-password")
    unknown = login(api_client, "+919800099999", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.data
        == unknown.data
        == {
            "detail": "No active account found with the given credentials.",
            "code": "invalid_credentials",
        }
    )
    assert wrong["WWW-Authenticate"].startswith("Bearer")


def test_inactive_user_cannot_log_in(api_client):
    user = UserFactory(is_active=False)

    assert login(api_client, user.phone).status_code == 401


def test_five_failures_lock_the_account_even_for_the_right_password(api_client):
    user = UserFactory()

    codes = [login(api_client, user.phone, "wrong-password").data["code"] for _ in range(5)]
    sixth = login(api_client, user.phone)

    assert codes == ["invalid_credentials"] * 4 + ["account_locked"]
    assert sixth.status_code == 401
    assert sixth.data["code"] == "account_locked"
    assert "locked" in sixth.data["detail"]
    user.refresh_from_db()
    assert user.is_locked
    assert user.failed_login_attempts == 5
    assert timedelta(minutes=14) < user.locked_until - timezone.now() <= timedelta(minutes=15)


def test_admin_unlock_lets_the_user_in_again(api_client):
    user = UserFactory()
    for _ in range(5):
        login(api_client, user.phone, "wrong-password")
    assert login(api_client, user.phone).status_code == 401

    user_unlock(user=user)  # what the back-office "unlock" action calls

    assert login(api_client, user.phone).status_code == 200
    user.refresh_from_db()
    assert (user.is_locked, user.locked_until, user.failed_login_attempts) == (False, None, 0)


def test_clearing_the_lock_fields_by_hand_also_unlocks(api_client):
    user = UserFactory(is_locked=True, locked_until=timezone.now() + timedelta(minutes=10), failed_login_attempts=5)
    assert login(api_client, user.phone).status_code == 401

    User.objects.filter(pk=user.pk).update(is_locked=False, locked_until=None, failed_login_attempts=0)

    assert login(api_client, user.phone).status_code == 200


def test_a_success_resets_the_failure_count(api_client):
    user = UserFactory()
    for _ in range(4):
        login(api_client, user.phone, "wrong-password")

    assert login(api_client, user.phone).status_code == 200
    user.refresh_from_db()
    assert user.failed_login_attempts == 0
    # Four more failures do not lock: the count started again.
    for _ in range(4):
        login(api_client, user.phone, "wrong-password")
    user.refresh_from_db()
    assert not user.is_locked


def test_an_expired_lock_is_cleared_by_the_next_success(api_client):
    user = UserFactory(is_locked=True, locked_until=timezone.now() - timedelta(seconds=1), failed_login_attempts=5)

    assert login(api_client, user.phone).status_code == 200
    user.refresh_from_db()
    assert (user.is_locked, user.locked_until, user.failed_login_attempts) == (False, None, 0)


def test_after_an_expired_lock_a_failure_starts_a_new_count(api_client):
    user = UserFactory(is_locked=True, locked_until=timezone.now() - timedelta(seconds=1), failed_login_attempts=5)

    response = login(api_client, user.phone, "wrong-password")

    assert response.data["code"] == "invalid_credentials"
    user.refresh_from_db()
    assert (user.is_locked, user.failed_login_attempts) == (False, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted(settings):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 100
    user = UserFactory()
    barrier = threading.Barrier(6)
    statuses = []

    def attempt():
        try:
            barrier.wait()
            statuses.append(login(APIClient(), user.phone, "wrong-password").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [401] * 6
    user.refresh_from_db()
    assert user.failed_login_attempts == 6


# --- Refresh and logout ---------------------------------------------------------------------------


def test_refresh_rotates_and_the_old_refresh_token_is_refused(api_client):
    user = UserFactory()
    first = login(api_client, user.phone).data

    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    replayed = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert rotated.data["refresh"] != first["refresh"]
    assert bearer(rotated.data["access"]).get(ME).status_code == 200
    assert replayed.status_code == 401
    assert replayed.data["code"] == "token_not_valid"
    assert api_client.post(REFRESH, {"refresh": rotated.data["refresh"]}, format="json").status_code == 200


def test_refresh_refuses_garbage_and_access_tokens(api_client):
    user = UserFactory()
    tokens = login(api_client, user.phone).data

    assert api_client.post(REFRESH, {"refresh": "garbage"}, format="json").status_code == 401
    assert api_client.post(REFRESH, {"refresh": tokens["access"]}, format="json").status_code == 401
    assert api_client.post(REFRESH, {}, format="json").status_code == 400


def test_refresh_refuses_a_deactivated_user(api_client):
    user = UserFactory()
    refresh = login(api_client, user.phone).data["refresh"]
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.data["code"] == "no_active_account"


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_rotate_once():
    user = UserFactory()
    refresh = login(APIClient(), user.phone).data["refresh"]
    barrier = threading.Barrier(5)
    statuses = []

    def rotate():
        try:
            barrier.wait()
            statuses.append(APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=rotate) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401, 401, 401, 401]


def test_logout_blacklists_the_refresh_token(api_client):
    user = UserFactory()
    tokens = login(api_client, user.phone).data

    response = bearer(tokens["access"]).post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    after = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert after.status_code == 401
    assert after.data["code"] == "token_not_valid"


def test_logout_needs_authentication(api_client):
    user = UserFactory()
    tokens = login(api_client, user.phone).data

    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200


def test_logout_refuses_someone_elses_refresh_token(api_client):
    mine = login(api_client, UserFactory().phone).data
    theirs = login(api_client, UserFactory().phone).data

    response = bearer(mine["access"]).post(LOGOUT, {"refresh": theirs["refresh"]}, format="json")

    assert response.status_code == 400
    assert response.data["code"] == "token_not_valid"
    assert api_client.post(REFRESH, {"refresh": theirs["refresh"]}, format="json").status_code == 200


# --- One-time codes -------------------------------------------------------------------------------


def verify(client, phone, code, **extra):
    return client.post(OTP_VERIFY, {"phone": phone, "code": code}, format="json", **extra)


def test_otp_login_happy_path(api_client, request_otp, sms_outbox):
    user = UserFactory(phone="+919812345678")

    response = request_otp("98123 45678")

    assert response.status_code == 202
    assert [message.phone for message in sms_outbox] == [user.phone]
    code = code_in(sms_outbox[0])
    otp = PhoneOTP.objects.get()
    assert otp.phone == user.phone
    assert code not in otp.code_hash
    assert timedelta(minutes=4) < otp.expires_at - timezone.now() <= timedelta(minutes=5)

    login_response = verify(api_client, "+919812345678", code)

    assert login_response.status_code == 200, login_response.data
    assert bearer(login_response.data["access"]).get(ME).data["id"] == user.pk
    user.refresh_from_db()
    assert user.is_verified
    # A code logs in once.
    assert verify(api_client, user.phone, code).data["code"] == "otp_invalid"


def test_otp_answers_the_same_for_an_unknown_phone(api_client, request_otp, sms_outbox):
    user = UserFactory()

    known = request_otp(user.phone)
    unknown = request_otp("+919800099999")

    assert known.status_code == unknown.status_code == 202
    assert known.data == unknown.data
    assert [message.phone for message in sms_outbox] == [user.phone]  # only the registered phone gets a text
    assert PhoneOTP.objects.filter(phone="+919800099999").exists()  # but the cooldown applies to both
    assert request_otp("+919800099999").data["code"] == "otp_cooldown"
    # Guessing a code for either phone gives the same answer.
    wrong_known = verify(api_client, user.phone, "000000")
    wrong_unknown = verify(api_client, "+919800099999", "000000")
    never_asked = verify(api_client, "+919800088888", "000000")
    assert wrong_known.status_code == wrong_unknown.status_code == never_asked.status_code == 400
    assert (
        wrong_known.data
        == wrong_unknown.data
        == never_asked.data
        == {
            "detail": "This code is not valid.",
            "code": "otp_invalid",
        }
    )


def test_otp_is_not_texted_to_an_inactive_user(request_otp, sms_outbox):
    user = UserFactory(is_active=False)

    assert request_otp(user.phone).status_code == 202
    assert sms_outbox == []


class BrokenSmsBackend:
    """A provider that cannot be reached."""

    def send(self, phone, message):
        raise ConnectionError("gateway timeout")


def test_otp_text_goes_to_the_log_by_default(request_otp, settings, caplog):
    settings.SMS_BACKEND = "accounts.sms.LogSmsBackend"
    user = UserFactory()

    with caplog.at_level(logging.INFO, logger="accounts.sms"):
        assert request_otp(user.phone).status_code == 202

    assert re.search(re.escape(f"SMS to {user.phone}: ") + r"\d{6} is your DiagnoPet login code", caplog.text)


def test_an_unreachable_sms_provider_does_not_break_the_request(request_otp, settings, caplog):
    settings.SMS_BACKEND = f"{__name__}.BrokenSmsBackend"
    user = UserFactory()

    assert request_otp(user.phone).status_code == 202
    assert PhoneOTP.objects.filter(phone=user.phone).exists()
    assert "could not be sent" in caplog.text


def test_otp_refuses_malformed_input(api_client, request_otp):
    assert request_otp("12345").status_code == 400
    response = verify(api_client, "+919812345678", "12ab56")
    assert response.status_code == 400
    assert response.data["code"] == ["Enter the 6-digit code."]


def test_expired_otp_is_refused(api_client, request_otp, sms_outbox):
    user = UserFactory()
    request_otp(user.phone)
    PhoneOTP.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = verify(api_client, user.phone, code_in(sms_outbox[0]))

    assert response.status_code == 400
    assert response.data["code"] == "otp_expired"


def test_otp_dies_after_five_wrong_tries(api_client, request_otp, sms_outbox):
    user = UserFactory()
    request_otp(user.phone)
    code = code_in(sms_outbox[0])
    wrong = "000000" if code != "000000" else "111111"

    answers = [verify(api_client, user.phone, wrong).data["code"] for _ in range(5)]
    right = verify(api_client, user.phone, code)

    assert answers == ["otp_invalid"] * 4 + ["otp_attempts_exceeded"]
    assert right.status_code == 400
    assert right.data["code"] == "otp_attempts_exceeded"
    assert PhoneOTP.objects.get().attempts == 5


def test_otp_resend_cooldown(api_client, request_otp, sms_outbox):
    user = UserFactory()
    request_otp(user.phone)

    again = request_otp(user.phone)

    assert again.status_code == 429
    assert again.data["code"] == "otp_cooldown"
    assert 0 < again.data["retry_after"] <= 60
    assert again["Retry-After"] == str(again.data["retry_after"])
    assert len(sms_outbox) == 1

    # Once the minute has passed a new code is sent, and only the newest code is valid.
    PhoneOTP.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert request_otp(user.phone).status_code == 202
    assert len(sms_outbox) == 2
    first, second = (code_in(message) for message in sms_outbox)
    if first != second:
        assert verify(api_client, user.phone, first).data["code"] == "otp_invalid"
    assert verify(api_client, user.phone, second).status_code == 200


def test_otp_login_lifts_a_password_lock(api_client, request_otp, sms_outbox):
    user = UserFactory(is_locked=True, locked_until=timezone.now() + timedelta(minutes=10), failed_login_attempts=5)
    request_otp(user.phone)

    assert verify(api_client, user.phone, code_in(sms_outbox[0])).status_code == 200
    user.refresh_from_db()
    assert (user.is_locked, user.failed_login_attempts) == (False, 0)


# --- Throttling -----------------------------------------------------------------------------------


def test_login_is_throttled_per_ip(api_client, throttle_rates):
    throttle_rates(auth="3/min")
    users = UserFactory.create_batch(4)

    statuses = [login(api_client, user.phone, "wrong-password").status_code for user in users]

    assert statuses == [401, 401, 401, 429]
    throttled = login(api_client, users[0].phone)
    assert throttled.data["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


def test_login_is_throttled_per_username_across_ips(api_client, throttle_rates):
    throttle_rates(auth="3/min")
    UserFactory(phone="+919812345678")
    formats = ["+919812345678", "98123 45678", "098123-45678", "9812345678"]

    statuses = [
        login(api_client, phone, "wrong-password", REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n, phone in enumerate(formats)
    ]

    assert statuses == [401, 401, 401, 429]
    # Another account from yet another address is not affected.
    assert login(api_client, UserFactory().phone, REMOTE_ADDR="10.0.0.99").status_code == 200


def test_register_and_refresh_are_throttled(api_client, throttle_rates):
    throttle_rates(auth="2/min")

    statuses = [api_client.post(REFRESH, {"refresh": "x"}, format="json").status_code for _ in range(2)]
    statuses.append(api_client.post(REGISTER, register_payload(), format="json").status_code)

    assert statuses == [401, 401, 429]


def test_otp_verify_is_throttled_per_phone(api_client, throttle_rates):
    throttle_rates(otp="2/min")

    statuses = [verify(api_client, "+919812345678", "000000", REMOTE_ADDR=f"10.0.1.{n}").status_code for n in range(3)]

    assert statuses == [400, 400, 429]


def test_otp_request_is_throttled_per_ip(request_otp, throttle_rates):
    throttle_rates(otp="2/min")

    statuses = [request_otp(f"+91981234567{n}").status_code for n in range(3)]

    assert statuses == [202, 202, 429]
