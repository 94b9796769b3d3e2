"""The back-office's admin site: Django's, with the API's login rules and two-factor authentication for staff.

- The login goes through ``accounts.services.auth_login`` (the API's lockout, one rule in one place), behind a
  throttle per client IP and per login name (``THROTTLE_ADMIN_LOGIN``) that answers before any password is hashed.
- A user with an authenticator app gives its code with the password; a session that has not shown a code (the app
  was added after it began) is asked for one before anything else.
- With ``STAFF_2FA_REQUIRED`` on, superusers and clinic admins without an app are sent to set one up first.
- After logging in, each role lands where its day starts (``ROLE_LANDING``): a collector on today's visits, a lab
  technician on the lab worklist, an analyst on the billing report; the clinic admin on the index's dashboard.
  Only the default destination is replaced: a login that was asked for another page (``?next=``) goes there.
"""

import base64
from functools import wraps
from io import BytesIO

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django_otp import login as otp_login

from accounts.models import StaffRole
from accounts.roles import staff_role
from accounts.services import AccountLocked, AuthenticationError, SecondFactorRequired, auth_login
from accounts.throttles import AdminLoginIPThrottle, AdminLoginUsernameThrottle
from accounts.two_factor import (
    two_factor_enabled,
    two_factor_required,
    two_factor_setup_confirm,
    two_factor_setup_start,
    two_factor_verify,
)
from diagnopet.admin_base import MoneyAdmin, ValidIdAutocompleteAdmin
from diagnopet.api.throttling import CACHE_ERRORS

# Each role's start page, by admin URL name (the pages belong to apps above this one, so they are named, not
# imported). A role without an entry (the clinic admin) starts on the index and its dashboard.
ROLE_LANDING = {
    StaffRole.COLLECTOR: "admin:bookings_booking_today",
    StaffRole.LAB_TECH: "admin:bookings_bookingitem_worklist",
    StaffRole.ANALYST: "admin:billing_billingrecord_report",
}


def staff_landing_url(user, *, current_app: str = "admin") -> str | None:
    """The start page of ``user``'s role, or None for the index (clinic admins, superusers, staff without a role)."""
    if user.is_superuser:
        return None
    name = ROLE_LANDING.get(staff_role(user))
    return reverse(name, current_app=current_app) if name else None


def _login_throttled(request) -> int | None:
    """Seconds to wait when this IP or this login name tried too often; None when the attempt may go on. The
    counters are a security control: when their store (Redis) is down the login waits too (CACHE_ERRORS)."""
    for throttle in (AdminLoginIPThrottle(), AdminLoginUsernameThrottle()):
        if not throttle.allow_request(request, None):
            return max(1, round(throttle.wait()))
    return None


class StaffLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        label="Authenticator code",
        required=False,
        max_length=8,
        help_text="Only if you have set up an authenticator app.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "throttled": "Too many login attempts. Wait %(seconds)s seconds and try again.",
        "unavailable": "Logging in is unavailable for a moment. Please try again shortly.",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            wait = _login_throttled(self.request)
        except CACHE_ERRORS as exc:
            raise forms.ValidationError(self.error_messages["unavailable"], code="unavailable") from exc
        if wait is not None:
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled", params={"seconds": wait})
        try:
            self.user_cache = auth_login(
                request=self.request, username=username, password=password, otp_token=self.cleaned_data.get("otp_token")
            )
        except AccountLocked as exc:
            raise forms.ValidationError(exc.message, code="account_locked") from exc
        except SecondFactorRequired as exc:
            raise forms.ValidationError(exc.message, code="otp_token_required") from exc
        except AuthenticationError as exc:
            raise self.get_invalid_login_error() from exc
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class TwoFactorForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from the app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


class StaffAdminSite(admin.AdminSite):
    site_header = "DiagnoPet back-office"
    # No public site to "view": the header link would lead to a 404.
    site_url = None
    site_title = "DiagnoPet"
    index_title = "Today's work"
    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        """Django's, with every ModelAdmin writing money as money (``diagnopet.admin_base.MoneyAdmin``, put first so
        that it sees what each admin's own hooks return) and its autocomplete pickers refusing a forged id with the
        form's error, not a 500 (``ValidIdAutocompleteAdmin``)."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, MoneyAdmin):
            attrs = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
            admin_class = type(admin_class.__name__, (MoneyAdmin, ValidIdAutocompleteAdmin, admin_class), attrs)
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        """Django's admin login; a login bound for the index goes to the role's start page instead."""
        response = super().login(request, extra_context)
        if (
            request.method == "POST"
            and request.user.is_authenticated
            and isinstance(response, HttpResponseRedirect)
            and response.url == reverse("admin:index", current_app=self.name)
        ):
            landing = staff_landing_url(request.user, current_app=self.name)
            if landing is not None:
                return HttpResponseRedirect(landing)
        return response

    def get_urls(self):
        return [
            path("two-factor/", self.admin_view(self.two_factor_view), name="two_factor"),
            *super().get_urls(),
        ]

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)
        exempt = getattr(view, "__func__", None) in (StaffAdminSite.two_factor_view, admin.AdminSite.logout)

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            if not exempt and self._two_factor_pending(request):
                return HttpResponseRedirect(reverse("admin:two_factor", current_app=self.name))
            return inner(request, *args, **kwargs)

        return guarded

    @staticmethod
    def _two_factor_pending(request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if two_factor_enabled(user):
            return not user.is_verified()
        return two_factor_required(user)

    def two_factor_view(self, request):
        """Set up an authenticator app, or show a code for a session that began before the app was added."""
        user = request.user
        enabled = two_factor_enabled(user)
        verified = enabled and user.is_verified()
        form = TwoFactorForm(request.POST or None)
        if not verified and request.method == "POST" and form.is_valid():
            token = form.cleaned_data["otp_token"]
            device = (
                two_factor_verify(user=user, token=token)
                if enabled
                else two_factor_setup_confirm(user=user, token=token)
            )
            if device is not None:
                request.session.cycle_key()  # a session that gained a factor gets a new key, as at login
                otp_login(request, device)
                messages.success(
                    request, "Two-factor authentication is on for your account." if not enabled else "Code accepted."
                )
                return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
            form.add_error("otp_token", "This code is not valid. Check the time on your phone and try the next code.")
        context = {
            **self.each_context(request),
            "title": "Two-factor authentication",
            "form": form,
            "enabled": enabled,
            "verified": verified,
            "required": two_factor_required(user),
        }
        if not enabled:
            device = two_factor_setup_start(user=user)
            context["qr_svg"] = mark_safe(_qr_svg(device.config_url))  # noqa: S308 - generated by qrcode, no input
            context["secret"] = base64.b32encode(device.bin_key).decode()
        return TemplateResponse(request, "admin/two_factor.html", context)
