"""Rate limits for the auth endpoints: per client IP and per phone number / login name.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (scopes ``auth`` and ``otp``), read when each request is
throttled rather than cached on the class at import, so a settings change (or a test's override) takes effect.
Counters live in the default cache, which is Redis in production so that every instance shares them; they count
in fixed windows (``diagnopet.api.throttling.CountingThrottle``).
"""

import hashlib

from django.core.exceptions import ImproperlyConfigured, ValidationError
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.phone import normalize_phone
from diagnopet.api.throttling import CountingThrottle


class _SettingsRateThrottle(CountingThrottle, SimpleRateThrottle):
    def get_rate(self) -> str:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from None

    def _key(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class _IPThrottle(_SettingsRateThrottle):
    def get_cache_key(self, request, view) -> str:
        return self._key(f"ip-{self.get_ident(request)}")


class _PayloadThrottle(_SettingsRateThrottle):
    """Throttles on one value of the request body (a phone number or login name), whatever IP it comes from."""

    field: str

    def get_cache_key(self, request, view) -> str | None:
        # A DRF request's parsed body, or a plain Django request's form (the admin login).
        data = request.data if hasattr(request, "data") else request.POST
        value = data.get(self.field) if hasattr(data, "get") else None
        if not isinstance(value, str) or not value.strip():
            return None  # nothing to key on: the per-IP throttle still applies
        # Hashed so that any input makes a safe cache key and no phone number sits in the cache in clear.
        digest = hashlib.sha256(self.canonical(value).encode()).hexdigest()
        return self._key(f"{self.field}-{digest}")

    def canonical(self, value: str) -> str:
        """The same person typing their phone differently must hit the same counter."""
        value = value.strip()
        if "@" in value:
            return value.lower()
        try:
            return normalize_phone(value)
        except ValidationError:
            return value.lower()


class AuthIPThrottle(_IPThrottle):
    scope = "auth"


class AuthUsernameThrottle(_PayloadThrottle):
    scope = "auth"
    field = "username"


class AuthPhoneThrottle(_PayloadThrottle):
    scope = "auth"
    field = "phone"


class OTPIPThrottle(_IPThrottle):
    scope = "otp"


class OTPPhoneThrottle(_PayloadThrottle):
    scope = "otp"
    field = "phone"


class AdminLoginIPThrottle(_IPThrottle):
    """Back-office login attempts per client IP (the login form is not a DRF view: ``view`` is None)."""

    scope = "admin_login"


class AdminLoginUsernameThrottle(_PayloadThrottle):
    """Back-office login attempts per login name, whatever IP they come from."""

    scope = "admin_login"
    field = "username"
