"""The report pages anyone may open without an account (outside ``/api/``, plain HTML):

- ``/reports/verify/<code>``: is this report genuine? Code and hash only: lab, report code, test, verified date —
  no pet, owner or result. A PDF may be uploaded (or its SHA-256 given as ``?sha256=``) to check that exact file.
- ``/reports/shared/<token>`` and ``…/report.pdf``: one report a customer shared (``ReportShare``), until the link
  expires or is revoked (410 and a page that says which); every opening is logged.

Each page is rate-limited per client IP (scope ``report_link``, ``THROTTLE_REPORT_LINK``) with the API's counting
throttle; the codes and tokens are random (144 and 256 bits), so the limit is about load, not guessing.
"""

import hashlib
import re

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.throttling import SimpleRateThrottle

from bookings.models import ReportShareAccess, ResultValue
from bookings.services.publishing import (
    ShareGone,
    report_share_access_log,
    report_share_open,
    report_verification,
)
from clinic.selectors import clinic_info_cached
from diagnopet.api.throttling import CountingThrottle
from diagnopet.errors import NotFound
from diagnopet.files import private_file_response

SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


class ReportLinkThrottle(CountingThrottle, SimpleRateThrottle):
    """Per client IP, scope ``report_link``."""

    scope = "report_link"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _throttled(request) -> tuple[HttpResponse | None, str]:
    """(a 429 page or None, the client's address as the rate limit sees it)."""
    throttle = ReportLinkThrottle()
    ident = throttle.get_ident(request)
    if throttle.allow_request(request, None):
        return None, ident
    response = HttpResponse("Too many requests; try again in a minute.", status=429, content_type="text/plain")
    response["Retry-After"] = str(int(throttle.wait()) + 1)
    return response, ident


def _private(response):
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token in the URL must not leak to another site
    return response


def _lab_name() -> str:
    clinic = clinic_info_cached()
    return clinic.name if clinic else "DiagnoPet"


@require_http_methods(["GET", "HEAD", "POST"])
def report_verify_page(request, code: str):
    refused, _ = _throttled(request)
    if refused:
        return refused
    presented, error = None, ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = "Choose the report's PDF file."
        else:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            presented = digest.hexdigest()
    elif "sha256" in request.GET:
        presented = request.GET["sha256"].strip()
        if not SHA256_HEX.match(presented):
            error = "A SHA-256 is 64 hexadecimal characters."
            presented = None
    if error:
        result, status = None, 400
    else:
        result = report_verification(code=code, presented_sha256=presented)
        status = 200 if result.genuine else 404
    context = {"result": result, "error": error, "code": code, "checked_file": presented is not None}
    context["lab_name"] = result.lab_name if result else _lab_name()
    return _private(render(request, "bookings/public/report_verify.html", context, status=status))


def _gone(request, exc) -> HttpResponse:
    status = 410 if isinstance(exc, ShareGone) else 404
    context = {"lab_name": _lab_name(), "message": exc.message, "code": exc.code}
    return _private(render(request, "bookings/public/report_link_closed.html", context, status=status))


@require_GET
def report_shared_page(request, token: str):
    refused, ident = _throttled(request)
    if refused:
        return refused
    try:
        share = report_share_open(token=token)
    except (NotFound, ShareGone) as exc:
        return _gone(request, exc)
    report_share_access_log(
        share=share, kind=ReportShareAccess.Kind.PAGE, ip=ident, user_agent=request.headers.get("User-Agent", "")
    )
    report = share.report
    results = ResultValue.objects.filter(report=report).select_related("analyte").order_by("analyte__position")
    context = {
        "lab_name": _lab_name(),
        "share": share,
        "report": report,
        "pet": report.pet,
        "sampled_at": report.booking_item.collected_at,
        "results": results,
        "has_file": bool(report.report_file),
        "token": token,
    }
    return _private(render(request, "bookings/public/report_shared.html", context))


@require_GET
def report_shared_pdf(request, token: str):
    refused, ident = _throttled(request)
    if refused:
        return refused
    try:
        share = report_share_open(token=token)
    except (NotFound, ShareGone) as exc:
        return _gone(request, exc)
    report = share.report
    if not report.report_file:
        return _gone(request, NotFound("This report has no PDF.", code="not_found"))
    report_share_access_log(
        share=share, kind=ReportShareAccess.Kind.PDF, ip=ident, user_agent=request.headers.get("User-Agent", "")
    )
    name = f"{report.pet.name}-{report.test.code}-v{report.version}.pdf"
    return _private(private_file_response(report.report_file, download_name=name))
