"""Publishing a verified report: the PDF generated from its results, the public verification page's code and hash,
and the share links a customer sends to their vet.

- At verification (``report_verify``) a report with result values gets its PDF generated here (``report_pdf``); a
  report without results (a partner lab's uploaded PDF) keeps its file. Either way the report gets a random
  ``verification_code`` and the SHA-256 of its file as verified. The public page ``/reports/verify/<code>`` says
  "genuine" only while the stored file still has that hash, and — when a PDF (or its SHA-256) is presented — only if
  it is that file, byte for byte.
- A share link carries a random token; only its SHA-256 is stored (``ReportShare``). It opens that report only,
  until it expires or is revoked; every opening is logged (``ReportShareAccess``).
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bookings import report_pdf
from bookings.locks import lock_report
from bookings.models import ReportShare, ReportShareAccess, ResultValue, TestReport
from bookings.querysets import REPORT_PUBLISHED, REPORT_RELEASED
from clinic.selectors import clinic_info_cached
from diagnopet.errors import Conflict, NotFound, ValidationFailed

PUBLISHED = REPORT_PUBLISHED


# --- The generated PDF --------------------------------------------------------------------------------------------


def verification_url(code: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("report-verify", args=[code])


def share_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("report-shared", args=[token])


def _moment(value) -> str:
    return "—" if value is None else f"{timezone.localtime(value):%d %b %Y %H:%M}"


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.phone


def _age(date_of_birth, on: datetime.date) -> str:
    if date_of_birth is None:
        return ""
    months = (on.year - date_of_birth.year) * 12 + on.month - date_of_birth.month - (on.day < date_of_birth.day)
    return f", {months // 12} y {months % 12} m" if months >= 12 else f", {max(months, 0)} m"


def _document(report: TestReport, results: list[ResultValue], *, by, now, code: str) -> report_pdf.ReportDocument:
    """What the PDF shows, read from rows already loaded (no query)."""
    clinic = clinic_info_cached()
    item, booking = report.booking_item, report.booking
    pet, owner = booking.pet, booking.user
    label = f"Report v{report.version}"
    if report.version > 1:
        label += f" (amended: {report.amendment_reason})" if report.amendment_reason else " (amended)"
    pet_text = f"{pet.name} ({pet.get_species_display()}{', ' + pet.breed if pet.breed else ''}"
    pet_text += f"{_age(pet.date_of_birth, timezone.localdate(now))}, {pet.get_sex_display().lower()})"
    rows = [
        report_pdf.Row(
            code=r.analyte.code,
            name=r.analyte.name,
            value=report_pdf.decimal_text(r.value, r.analyte.decimals),
            unit=r.unit,
            range_text=report_pdf.range_text(r.range_low, r.range_high, r.analyte.decimals),
            flag=r.flag,
            comment=r.comment,
            method=" / ".join(v for v in (r.method, r.instrument) if v),
        )
        for r in results
    ]
    return report_pdf.ReportDocument(
        lab_name=clinic.name if clinic else "DiagnoPet",
        lab_address=clinic.address if clinic else "",
        lab_contact="   ".join(v for v in ((clinic.phone or clinic.whatsapp_number), clinic.email) if v)
        if clinic
        else "",
        test=f"{report.test.name} ({report.test.code})",
        report_label=label,
        facts=[
            ("Pet", pet_text),
            ("Owner", f"{owner.full_name} ({owner.phone})" if owner.full_name else owner.phone),
            ("Sample", item.code),
            ("Booking", booking.code),
            ("Collected", _moment(item.collected_at)),
            ("Received", _moment(item.received_at)),
        ],
        rows=rows,
        findings=report.findings,
        verified_by=_person(by),
        verified_at=_moment(now),
        verification_url=verification_url(code),
        verification_code=code,
    )


def report_publish(*, report: TestReport, by, now) -> list[str]:
    """Give a report being verified (locked by the caller, in its transaction) its verification code and hash, and,
    when it has result values, its generated PDF as its file. Returns the fields it set (the caller saves).

    A constant number of queries whatever the number of analytes: the results with their analytes, the item with
    its booking, pet, owner and test, and the clinic from the shared cache."""
    results = list(ResultValue.objects.filter(report=report).select_related("analyte").order_by("analyte__position"))
    code = secrets.token_urlsafe(18)  # 144 random bits, 24 characters
    fields = ["verification_code", "file_sha256"]
    if results:
        shown = TestReport.objects.select_related("booking_item", "booking__pet", "booking__user", "test")
        shown = shown.get(pk=report.pk)
        shown.amendment_reason, shown.findings = report.amendment_reason, report.findings
        content = report_pdf.report_pdf(_document(shown, results, by=by, now=now, code=code))
        report.report_file.save("report.pdf", ContentFile(content), save=False)
        fields.append("report_file")
    elif report.report_file:
        with report.report_file.open("rb") as stream:
            content = stream.read()
    else:  # nothing to seal (an old report without a file): verified as before, with no verification page
        return []
    report.verification_code = code
    report.file_sha256 = hashlib.sha256(content).hexdigest()
    pet_id = report.pet_id
    # robust: a cache outage after the commit must not turn a committed verification into an error (the charts'
    # keys also hold the latest value's id, which a verification almost always changes).
    transaction.on_commit(lambda: results_changed(pet_id=pet_id), robust=True)
    return fields


# --- The pet's published results: a version token per pet, replaced after each verification commits -------------


def _results_token_key(pet_id: int) -> str:
    return f"results:pet:{pet_id}:token"


def results_token(pet_id: int) -> str:
    """The current token of the pet's published results (cache keys of its trend charts include it)."""
    key = _results_token_key(pet_id)
    token = cache.get(key)
    if token is None:
        token = secrets.token_hex(8)
        if not cache.add(key, token, None):
            token = cache.get(key) or token
    return token


def results_changed(*, pet_id: int) -> None:
    """The pet's published results changed (a verification committed): its cached charts are stale."""
    cache.delete(_results_token_key(pet_id))


# --- The public verification page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    genuine: bool
    lab_name: str
    code: str
    test_name: str = ""
    verified_at: datetime.datetime | None = None
    superseded: bool = False


def _sha256_of(field_file) -> str | None:
    try:
        with field_file.open("rb") as stream:
            digest = hashlib.sha256()
            for chunk in iter(lambda: stream.read(64 * 1024), b""):
                digest.update(chunk)
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def report_verification(*, code: str, presented_sha256: str | None = None) -> Verification:
    """Is the report with this code genuine? Only when it was verified, the stored file still hashes to what was
    verified, and the file presented (if any) is that file. Says nothing medical: lab, code, test, date."""
    clinic = clinic_info_cached()
    lab = clinic.name if clinic else "DiagnoPet"
    refused = Verification(genuine=False, lab_name=lab, code=code)
    if not code or len(code) > 32 or "\x00" in code:  # PostgreSQL refuses NUL in a text parameter
        return refused
    report = (
        TestReport.objects.filter(verification_code=code, status__in=PUBLISHED)
        .select_related("test")
        .only("id", "report_file", "file_sha256", "verified_at", "is_current", "test__name")
        .first()
    )
    if report is None or not report.file_sha256 or not report.report_file:
        return refused
    if presented_sha256 is not None and not hmac.compare_digest(presented_sha256.lower(), report.file_sha256):
        return refused
    stored = _sha256_of(report.report_file)
    if stored is None or not hmac.compare_digest(stored, report.file_sha256):
        return refused
    return Verification(
        genuine=True,
        lab_name=lab,
        code=code,
        test_name=report.test.name,
        verified_at=report.verified_at,
        superseded=not report.is_current,
    )


# --- Share links --------------------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def report_share_create(*, report: TestReport, by, days: int | None = None) -> tuple[ReportShare, str]:
    """A link to one of the customer's delivered reports (the caller checked it is theirs), living
    ``days`` days (default ``REPORT_SHARE_DEFAULT_DAYS``, at most ``REPORT_SHARE_MAX_DAYS``). Returns the share and
    its token, which is shown this once (only its hash is stored)."""
    days = settings.REPORT_SHARE_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.REPORT_SHARE_MAX_DAYS:
        raise ValidationFailed(
            f"A link lives 1 to {settings.REPORT_SHARE_MAX_DAYS} days.", code="invalid_expiry", field="expires_in_days"
        )
    if report.status not in REPORT_RELEASED or not report.is_current:
        raise Conflict("Only a delivered, current report can be shared.", code="report_not_shareable")
    now = timezone.now()
    # The report's row lock serialises two shares made at once, so the count below holds.
    lock_report(report_id=report.pk)
    open_links = ReportShare.objects.filter(report=report, revoked_at__isnull=True, expires_at__gt=now).count()
    if open_links >= settings.REPORT_SHARE_MAX_OPEN:
        raise Conflict(f"This report already has {open_links} open links; revoke one first.", code="share_limit")
    token = secrets.token_urlsafe(32)
    share = ReportShare.objects.create(
        report=report, created_by=by, token_sha256=_token_hash(token), expires_at=now + datetime.timedelta(days=days)
    )
    return share, token


def report_share_revoke(*, share: ReportShare, by) -> ReportShare:
    """Close the link now (the caller checked it is theirs). Revoking a revoked link changes nothing."""
    now = timezone.now()
    ReportShare.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=now, updated_at=now)
    share.refresh_from_db(fields=["revoked_at", "updated_at"])
    return share


def report_shares_revoke_all(*, user) -> int:
    """Close every open link to the customer's reports (their account is closing: nobody may read their reports
    through a link they can no longer manage). Returns how many were open."""
    now = timezone.now()
    return ReportShare.objects.filter(report__booking__user_id=user.pk, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )


class ShareGone(Conflict):
    """The link existed but has expired or was revoked (HTTP 410)."""

    status_code = 410
    default_code = "share_gone"


def report_share_open(*, token: str) -> ReportShare:
    """The open share of this token, with its report, test and pet; ``NotFound`` for an unknown token, ``ShareGone``
    for an expired or revoked one."""
    if not token or len(token) > 64:
        raise NotFound("No such link.", code="share_not_found")
    share = (
        ReportShare.objects.filter(token_sha256=_token_hash(token))
        .select_related("report__test", "report__pet", "report__booking_item")
        .first()
    )
    if share is None:
        raise NotFound("No such link.", code="share_not_found")
    if share.revoked_at is not None:
        raise ShareGone("The owner withdrew this link.", code="share_revoked")
    if share.expires_at <= timezone.now():
        raise ShareGone("This link has expired.", code="share_expired")
    return share


def ip_hash(ip: str) -> str:
    """A keyed hash of a client address: the same visitor is recognisable in the log, the address is not kept."""
    return hmac.new(settings.SECRET_KEY.encode(), (ip or "").encode(), hashlib.sha256).hexdigest()[:16]


def report_share_access_log(*, share: ReportShare, kind: str, ip: str, user_agent: str) -> ReportShareAccess:
    return ReportShareAccess.objects.create(
        share=share, kind=kind, ip_hash=ip_hash(ip), user_agent=(user_agent or "")[:300]
    )
