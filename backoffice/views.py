"""The back-office's 403 and 404 pages (``handler403``/``handler404`` in diagnopet/urls.py).

Under ``/api/`` the answer stays the JSON error object API clients parse. Elsewhere a page that says why and where
to go: inside the admin's frame for staff (their role's start page linked), a plain page for anyone else.
"""

from django.contrib import admin
from django.shortcuts import render
from django.urls import reverse

from accounts.admin_site import staff_landing_url
from accounts.models import StaffRole
from accounts.roles import staff_role
from diagnopet.views import api_error, is_api_request


def _page(request, template: str, status: int, **context):
    user = request.user
    staff = user.is_authenticated and user.is_active and user.is_staff
    if staff:
        role = staff_role(user)
        context.update(
            admin.site.each_context(request),
            base_template="admin/base_site.html",
            landing_url=staff_landing_url(user) or reverse("admin:index"),
            role_label=StaffRole(role).label if role else "",
        )
    else:
        context.update(base_template="backoffice/plain_base.html", landing_url=reverse("admin:login"))
    return render(request, template, {"staff": staff, **context}, status=status)


def permission_denied(request, exception=None):
    """403: what the person tried is outside their role; their start page is linked."""
    if is_api_request(request):
        return api_error("You do not have permission to perform this action.", "permission_denied", 403)
    return _page(request, "403.html", 403, title="Not part of your role", reason=str(exception or ""))


def not_found(request, exception=None):
    """404: no such page (or not one of yours); the start page is linked."""
    if is_api_request(request):
        return api_error("Not found.", "not_found", 404)
    return _page(request, "404.html", 404, title="Page not found", request_path=request.path)
