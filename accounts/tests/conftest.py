import pytest
from django.core.cache import cache

from accounts.sms import MemorySmsBackend


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters live in the cache: every test starts and ends with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def sms_outbox(settings) -> list:
    """Texts go to an in-memory outbox (standing in for the SMS provider) instead of the log."""
    settings.SMS_BACKEND = "accounts.sms.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


@pytest.fixture(autouse=True)
def throttle_rates(settings):
    """Generous auth/otp rates so that flows with many calls are not throttled; throttling tests lower them.

    The accounts throttles read the rates from the settings at each request, so overriding them here works.
    """

    def set_rates(**rates: str) -> None:
        rest = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {**rest, "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], **rates}}

    set_rates(auth="1000/min", otp="1000/min")
    return set_rates


@pytest.fixture
def request_otp(api_client, django_capture_on_commit_callbacks):
    """POST auth/otp/request and run the after-commit work (the text) as a committed request would."""

    def send(phone: str, client=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api_client).post("/api/v1/auth/otp/request", {"phone": phone}, format="json")

    return send
