from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts.sessions import session_started

        user_logged_in.connect(session_started, dispatch_uid="accounts.sessions.session_started")


class StaffAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the back-office's own site (login rules and two-factor authentication)."""

    default = False  # named in INSTALLED_APPS; AccountsConfig is this module's default
    default_site = "accounts.admin_site.StaffAdminSite"
