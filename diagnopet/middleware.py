"""Request id: every request gets one, every log line written while it runs carries it, and the response returns it.

The id stays set until the response is closed (``request_finished``), so lines Django writes after the middleware
returned (``django.request``'s "Not Found", "Internal Server Error") carry it too.

A client or proxy (e.g. nginx ``$request_id``) may send ``X-Request-ID``; it is kept when it looks sane (1–128 of
letters, digits, ``-``, ``_``, ``.``, ``:``), else a new uuid4 is made, so nothing a client sends can break a log line.
"""

import re
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver

from diagnopet.logging import NO_REQUEST, request_id_var

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id_from(value: str | None) -> str:
    """The client's id when it looks sane, else a fresh uuid4 (hex with dashes)."""
    if value and _SANE.fullmatch(value):
        return value
    return str(uuid.uuid4())


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="diagnopet.request_id.clear")
def _clear_request_id(**kwargs) -> None:
    request_id_var.set(NO_REQUEST)


class ContentSecurityPolicyMiddleware:
    """A ``Content-Security-Policy`` header (``settings.CONTENT_SECURITY_POLICY``) on every HTML response — the admin,
    Swagger UI, error pages — unless the view set its own; JSON and files need none. Empty setting: no header.

    Everything the pages load comes from this origin (Swagger UI from drf-spectacular-sidecar's static files, its
    init script from the docs view itself), so scripts are ``'self'`` only; inline ``style`` attributes of the
    admin templates and Swagger UI's ``<style>`` need ``style-src 'unsafe-inline'``, the billing chart a ``data:``
    image."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response and _is_html(response):
            response["Content-Security-Policy"] = policy
        return response


def _is_html(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "text/html"
