"""Who may log in, and how often: the admin login shares the API's lockout and has its own throttle, two-factor
authentication for staff, and one-time codes that cannot be guessed forever or tell which phones are registered."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PhoneOTP, StaffRole, User
from accounts.roles import staff_create
from accounts.tests.factories import UserFactory
from accounts.tests.staff import PASSWORD, clinic_admin, logged_in

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token"


# --- 2. The admin login: the API's lockout, a throttle, two-factor ------------------------------------------------


def _admin_login(client: Client, username: str, password: str = PASSWORD, otp_token: str = "", **extra):
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": otp_token}, **extra)


def test_admin_login_locks_after_failed_attempts_like_the_api(settings):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 3
    staff = clinic_admin()
    client = Client()

    for _ in range(3):
        assert _admin_login(client, staff.phone, "wrong-password").status_code == 200
    response = _admin_login(client, staff.phone)

    assert response.status_code == 200
    assert b"locked" in response.content
    assert "_auth_user_id" not in client.session
    # The API sees the same lock.
    assert (
        Client()
        .post(TOKEN, {"username": staff.phone, "password": PASSWORD}, content_type="application/json")
        .json()["code"]
        == "account_locked"
    )


def test_an_account_locked_through_the_api_cannot_log_into_the_admin(settings):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 2
    staff = clinic_admin()
    api = Client()
    for _ in range(2):
        api.post(TOKEN, {"username": staff.phone, "password": "nope-nope"}, content_type="application/json")

    response = _admin_login(Client(), staff.phone)

    assert b"locked" in response.content
    staff.refresh_from_db()
    assert staff.is_currently_locked


def test_admin_login_is_throttled_per_ip_before_any_password_is_checked(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "admin_login": "3/min"},
    }
    staff = clinic_admin()
    client = Client()
    for index in range(3):
        _admin_login(client, f"+91980000{index:04d}", "guess")

    response = _admin_login(client, staff.phone)  # the right password, too late

    assert b"Too many login attempts" in response.content
    assert "_auth_user_id" not in client.session
    staff.refresh_from_db()
    assert staff.failed_login_attempts == 0  # refused before the password was looked at


def test_admin_login_is_throttled_per_login_name_across_ips(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "admin_login": "3/min"},
    }
    staff = clinic_admin()
    for index in range(3):
        _admin_login(Client(), staff.phone, "guess", REMOTE_ADDR=f"10.0.0.{index}")

    response = _admin_login(Client(), staff.phone, REMOTE_ADDR="10.0.0.99")

    assert b"Too many login attempts" in response.content


def test_admin_login_works_with_the_right_password():
    staff = clinic_admin()
    client = Client()

    response = _admin_login(client, staff.phone)

    assert response.status_code == 302
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b'href="/admin/two-factor/"' in index.content  # where to turn on two-factor authentication


def _device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def test_a_staff_user_with_an_authenticator_app_needs_its_code():
    staff = clinic_admin()
    device = _device(staff)

    missing = _admin_login(Client(), staff.phone)
    client = Client()
    right = _admin_login(client, staff.phone, otp_token=_code(device))
    wrong_client = Client()
    wrong = _admin_login(wrong_client, staff.phone, otp_token="000000" if _code(device) != "000000" else "111111")

    assert b"authenticator" in missing.content
    assert missing.status_code == 200
    assert wrong.status_code == 200
    assert b"authenticator code is not valid" in wrong.content
    assert "_auth_user_id" not in wrong_client.session
    assert right.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_wrong_authenticator_code_counts_towards_the_lock(settings):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 2
    staff = clinic_admin()
    _device(staff)

    for _ in range(2):
        _admin_login(Client(), staff.phone, otp_token="")

    staff.refresh_from_db()
    assert staff.is_currently_locked


def test_the_api_token_login_asks_the_same_code():
    staff = clinic_admin()
    device = _device(staff)
    api = Client()

    refused = api.post(TOKEN, {"username": staff.phone, "password": PASSWORD}, content_type="application/json")
    accepted = api.post(
        TOKEN,
        {"username": staff.phone, "password": PASSWORD, "otp_token": _code(device)},
        content_type="application/json",
    )

    assert (refused.status_code, refused.json()["code"]) == (401, "otp_token_required")
    assert accepted.status_code == 200


def test_required_two_factor_sends_a_clinic_admin_to_set_it_up_first(settings):
    settings.STAFF_2FA_REQUIRED = True
    staff = clinic_admin()
    client = Client()
    assert _admin_login(client, staff.phone).status_code == 302

    landing = client.get("/admin/bookings/booking/")
    setup = client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    wrong = client.post("/admin/two-factor/", {"otp_token": "12"})
    confirmed = client.post("/admin/two-factor/", {"otp_token": _code(device)})

    assert landing.status_code == 302
    assert landing["Location"] == "/admin/two-factor/"
    assert setup.status_code == 200
    assert b"<svg" in setup.content
    assert wrong.status_code == 200
    assert b"not valid" in wrong.content
    assert confirmed.status_code == 302
    assert client.get("/admin/bookings/booking/").status_code == 200
    api = Client().post(TOKEN, {"username": staff.phone, "password": PASSWORD}, content_type="application/json")
    assert api.status_code == 401  # the app is set up now: the code is asked
    assert api.json()["code"] == "otp_token_required"


def test_required_two_factor_without_an_app_refuses_api_tokens(settings):
    settings.STAFF_2FA_REQUIRED = True
    staff = clinic_admin()

    response = Client().post(TOKEN, {"username": staff.phone, "password": PASSWORD}, content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (401, "two_factor_setup_required")


def test_a_collector_is_not_required_to_use_two_factor(settings):
    settings.STAFF_2FA_REQUIRED = True
    collector = staff_create(phone="+919800000102", full_name="C", role=StaffRole.COLLECTOR, password=PASSWORD)
    client = Client()
    _admin_login(client, collector.phone)

    assert client.get("/admin/").status_code == 200


def test_a_session_begun_before_the_app_was_added_shows_a_code_first():
    staff = clinic_admin()
    client = logged_in(staff)
    device = _device(staff)

    redirected = client.get("/admin/")
    client.post("/admin/two-factor/", {"otp_token": _code(device)})

    assert redirected.status_code == 302
    assert redirected["Location"] == "/admin/two-factor/"
    assert client.get("/admin/").status_code == 200


def test_staff_2fa_reset_command_is_the_recovery_path(settings):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 1
    staff = clinic_admin()
    _device(staff)
    _admin_login(Client(), staff.phone, "wrong")

    call_command("staff_2fa_reset", staff.phone)

    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert _admin_login(Client(), staff.phone).status_code == 302


def test_text_message_codes_do_not_bypass_an_authenticator_app(request_otp, sms_outbox):
    staff = clinic_admin()
    _device(staff)
    request_otp(staff.phone)
    code = sms_outbox[0].message[:6]

    response = Client().post(
        "/api/v1/auth/otp/verify", {"phone": staff.phone, "code": code}, content_type="application/json"
    )

    assert (response.status_code, response.json()["code"]) == (401, "otp_token_required")


# --- 8. One-time codes cannot be guessed forever ------------------------------------------------------------------


def _spent_codes(phone: str, wrong: int) -> None:
    """Codes of the last day with ``wrong`` wrong tries between them (as a guesser leaves them)."""
    while wrong > 0:
        tries = min(wrong, 5)
        PhoneOTP.objects.create(
            phone=phone, code_hash="x", attempts=tries, expires_at=timezone.now() - timedelta(minutes=1)
        )
        wrong -= tries


def test_after_the_daily_limit_of_wrong_codes_no_new_code_is_sent(settings, request_otp, sms_outbox):
    settings.OTP_MAX_FAILED_PER_DAY = 10
    user = UserFactory()
    _spent_codes(user.phone, 10)

    response = request_otp(user.phone)

    assert response.status_code == 429
    assert response.json()["code"] == "otp_daily_limit"
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert sms_outbox == []


def test_after_the_daily_limit_a_right_code_is_refused_too(settings, request_otp, sms_outbox):
    settings.OTP_MAX_FAILED_PER_DAY = 10
    user = UserFactory()
    request_otp(user.phone)
    code = sms_outbox[0].message[:6]
    _spent_codes(user.phone, 10)

    response = Client().post(
        "/api/v1/auth/otp/verify", {"phone": user.phone, "code": code}, content_type="application/json"
    )

    assert (response.status_code, response.json()["code"]) == (429, "otp_daily_limit")


def test_wrong_codes_a_day_ago_no_longer_count(settings, request_otp, sms_outbox):
    settings.OTP_MAX_FAILED_PER_DAY = 10
    user = UserFactory()
    _spent_codes(user.phone, 10)
    PhoneOTP.objects.filter(phone=user.phone).update(created_at=timezone.now() - timedelta(hours=25))

    assert request_otp(user.phone).status_code == 202
    assert len(sms_outbox) == 1


def test_wrong_codes_from_one_address_are_limited_across_phones(settings, request_otp):
    settings.OTP_MAX_FAILED_PER_IP_PER_DAY = 3
    client = Client()
    phones = [UserFactory().phone for _ in range(4)]
    answers = []
    for phone in phones:
        request_otp(phone)
        answers.append(
            client.post("/api/v1/auth/otp/verify", {"phone": phone, "code": "000000"}, content_type="application/json")
        )

    assert [answer.json()["code"] for answer in answers[:3]] == ["otp_invalid"] * 3
    assert (answers[3].status_code, answers[3].json()["code"]) == (429, "otp_daily_limit")


# --- 18. What the answers tell about which accounts exist -------------------------------------------------------


def test_otp_request_does_the_same_work_for_registered_and_unknown_phones(api_client, sms_outbox):
    user = UserFactory()
    statements = {}
    for phone in (user.phone, "+919811111111"):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.post("/api/v1/auth/otp/request", {"phone": phone}, format="json")
        assert response.status_code == 202
        # Same statements, apart from their values and savepoint names.
        statements[phone] = [
            re.sub(r" ?-?\d+", "N", re.split(r" WHERE | VALUES ", query["sql"])[0]) for query in queries
        ]

    assert statements[user.phone] == statements["+919811111111"]
    assert not any("accounts_user" in sql for sql in statements[user.phone])  # the account is never looked up


def test_unknown_login_names_lock_like_real_accounts(settings, api_client):
    settings.LOGIN_MAX_FAILED_ATTEMPTS = 3
    real = UserFactory()
    answers = {}
    for name in (real.phone, "+919822222222"):
        codes = [
            api_client.post(TOKEN, {"username": name, "password": "wrong-guess"}, format="json").data["code"]
            for _ in range(4)
        ]
        answers[name] = codes

    assert answers[real.phone] == answers["+919822222222"]
    assert answers[real.phone][-1] == "account_locked"


def test_text_message_codes_do_not_log_in_a_role_that_must_set_up_two_factor(settings, request_otp, sms_outbox):
    settings.STAFF_2FA_REQUIRED = True
    staff = clinic_admin()
    request_otp(staff.phone)
    code = sms_outbox[0].message[:6]

    response = Client().post(
        "/api/v1/auth/otp/verify", {"phone": staff.phone, "code": code}, content_type="application/json"
    )

    assert (response.status_code, response.json()["code"]) == (401, "otp_token_required")


def test_a_daily_limit_of_zero_means_no_limit(settings, request_otp, sms_outbox):
    settings.OTP_MAX_FAILED_PER_DAY = 0
    settings.OTP_MAX_FAILED_PER_IP_PER_DAY = 0
    user = UserFactory()
    _spent_codes(user.phone, 50)
    PhoneOTP.objects.filter(phone=user.phone).update(created_at=timezone.now() - timedelta(minutes=5))  # no cooldown

    assert request_otp(user.phone).status_code == 202
    assert len(sms_outbox) == 1
