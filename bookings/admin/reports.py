"""Test reports: corrections before verification, four-eyes verification, delivery, amendment, download.

Verification is one report at a time, from the report's own page: its Verify button answers only to someone who has
opened that page in their session (the page records it), so nobody verifies a report they have not looked at, and
there is no bulk verify on the list. The list shows who uploaded each report, so a verifier picks a colleague's.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from bookings import admin_views
from bookings.admin.common import AuditHistory
from bookings.models import TestReport
from bookings.querysets import published_results
from bookings.report_pdf import decimal_text, range_text
from bookings.services import (
    report_deliver,
    report_verify,
)
from bookings.states import REPORT_UNVERIFIED
from diagnopet.admin_base import TIMESTAMPS, LargeTableAdmin
from diagnopet.errors import DomainError

# The reports whose page this session has opened (the Verify button's precondition); the latest few are kept.
OPENED_SESSION_KEY = "bookings_reports_opened"
OPENED_KEPT = 200


def report_opened_record(request, report_id: int) -> None:
    opened = [pk for pk in request.session.get(OPENED_SESSION_KEY, []) if pk != report_id]
    request.session[OPENED_SESSION_KEY] = [*opened, report_id][-OPENED_KEPT:]


def report_was_opened(request, report_id: int) -> bool:
    return report_id in request.session.get(OPENED_SESSION_KEY, [])


PREVIOUS_SHOWN = 3


def _day(moment) -> str:
    return date_format(localtime(moment))


@admin.register(TestReport)
class TestReportAdmin(LargeTableAdmin, AuditHistory, admin.ModelAdmin):
    """Uploaded, verified (four-eyes) and delivered by the report services. Findings can be corrected until
    the report is verified; after that nothing changes here (an amendment is a new version)."""

    list_display = (
        "__str__",
        "booking",
        "pet",
        "test",
        "status",
        "version",
        "is_current",
        "uploaded_by",
        "generated_at",
        "verified_by",
        "delivered_at",
    )
    list_select_related = ("booking", "pet", "test", "uploaded_by", "verified_by")
    list_filter = ("status", "is_current")
    search_fields = ("booking__code", "pet__name", "test__code", "test__name")
    date_hierarchy = "created_at"
    # No bulk verify: a report is verified from its own page, after it was opened (module docstring).
    actions = ["deliver"]
    fieldsets = (
        (None, {"fields": ("booking", "booking_item", "pet", "test", "batch_group")}),
        ("Result", {"fields": ("status", "stored_file", "findings", "result_table")}),
        ("Versions", {"fields": ("version", "is_current", "supersedes", "amendment_reason", "version_history")}),
        ("Publication", {"fields": ("verification_code", "file_sha256", "verification_page")}),
        (
            "Workflow",
            {"fields": ("uploaded_by", "generated_at", "verified_by", "verified_at", "delivered_at", *TIMESTAMPS)},
        ),
    )
    _editable_before_verification = ("findings",)

    @admin.display(description="report file")
    def stored_file(self, obj) -> str:
        # Served through the authenticated download view below, never a media URL.
        if not obj.report_file:
            return "—"
        url = reverse("admin:bookings_testreport_download", args=[obj.pk])
        links = format_html('<a href="{}">Download</a>', url)
        if obj.status == TestReport.Status.DELIVERED and obj.is_current:
            amend = reverse("admin:bookings_testreport_amend", args=[obj.pk])
            links = format_html('{} · <a href="{}">Amend (new version)…</a>', links, amend)
        return links

    @admin.display(description="results (with the pet's previous values)")
    def result_table(self, obj) -> str:
        """This version's values, and for each analyte the pet's latest three published values before it: two
        queries whatever the pet's history (a window function keeps three per analyte)."""
        if obj is None or obj.pk is None:
            return "—"
        results = list(obj.results.select_related("analyte").order_by("analyte__position", "analyte_id"))
        if not results:
            return "— (an uploaded report)"
        previous: dict[int, list] = {}
        if obj.booking_item_id:
            earlier = published_results(pet_id=obj.pet_id).filter(analyte_id__in=[r.analyte_id for r in results])
            earlier = earlier.exclude(item_id=obj.booking_item_id)  # other samples, not this one's other versions
            if results[0].sampled_at is not None:
                earlier = earlier.filter(sampled_at__lt=results[0].sampled_at)
            history = (
                earlier.annotate(
                    rank=Window(
                        RowNumber(), partition_by=[F("analyte_id")], order_by=[F("sampled_at").desc(), F("id").desc()]
                    )
                )
                .filter(rank__lte=PREVIOUS_SHOWN)
                .order_by("analyte_id", "rank")
            )
            for past in history:
                previous.setdefault(past.analyte_id, []).append(past)
        return format_html(
            "<table><thead><tr><th>Analyte</th><th>Value</th><th>Unit</th><th>Range</th><th>Flag</th>"
            "<th>Previous values (newest first)</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        r.analyte.code,
                        r.analyte.name,
                        decimal_text(r.value, r.analyte.decimals),
                        r.unit,
                        range_text(r.range_low, r.range_high, r.analyte.decimals),
                        r.get_flag_display(),
                        "; ".join(
                            f"{decimal_text(p.value, r.analyte.decimals)} ({_day(p.sampled_at or p.entered_at)}"
                            f"{', ' + p.get_flag_display().lower() if p.flag not in ('normal', 'no_range') else ''})"
                            for p in previous.get(r.analyte_id, [])
                        )
                        or "—",
                    )
                    for r in results
                ),
            ),
        )

    @admin.display(description="verification page")
    def verification_page(self, obj) -> str:
        if not obj.verification_code:
            return "— (set when the report is verified)"
        url = reverse("report-verify", args=[obj.verification_code])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description="all versions")
    def version_history(self, obj) -> str:
        versions = TestReport.objects.filter(booking_item_id=obj.booking_item_id).order_by("version")
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                '<li><a href="{}">v{}</a> — {}{}{}</li>',
                (
                    (
                        reverse("admin:bookings_testreport_change", args=[v.pk]),
                        v.version,
                        v.get_status_display(),
                        " (current)" if v.is_current else "",
                        f" — amended: {v.amendment_reason}" if v.amendment_reason else "",
                    )
                    for v in versions
                ),
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        fields = flatten_fieldsets(self.fieldsets)
        if obj is not None and obj.status in REPORT_UNVERIFIED:
            return tuple(name for name in fields if name not in self._editable_before_verification)
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        urls = [
            path(
                "<path:object_id>/amend/",
                self.admin_site.admin_view(self.amend_view),
                name="bookings_testreport_amend",
            ),
            path(
                "<path:object_id>/verify/",
                self.admin_site.admin_view(self.verify_view),
                name="bookings_testreport_verify",
            ),
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="bookings_testreport_download",
            ),
        ]
        return [*urls, *super().get_urls()]

    def may_verify(self, request, report) -> bool:
        """Whether the Verify button is offered: a generated report, someone who may change reports, not its
        uploader (the service checks the four-eyes rule again)."""
        return (
            report.status == TestReport.Status.GENERATED
            and report.uploaded_by_id != request.user.pk
            and self.has_change_permission(request, report)
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, unquote(object_id))
        extra = {}
        if report is not None and request.method == "GET":
            report_opened_record(request, report.pk)
            if self.may_verify(request, report):
                extra["verify_url"] = reverse("admin:bookings_testreport_verify", args=[report.pk])
            elif report.status == TestReport.Status.GENERATED and report.uploaded_by_id == request.user.pk:
                extra["verify_refusal"] = "You uploaded this report: a colleague verifies it (four eyes)."
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def verify_view(self, request, object_id):
        """The report page's Verify button (POST): only for a report this session has opened."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_object(request, unquote(object_id))
        if report is None:
            raise Http404("Not found.")
        if not self.has_change_permission(request, report):
            raise PermissionDenied
        page = reverse("admin:bookings_testreport_change", args=[report.pk])
        if not report_was_opened(request, report.pk):
            self.message_user(request, f"{report}: open the report and read it before verifying it.", messages.ERROR)
            return HttpResponseRedirect(page)
        try:
            report_verify(report=report, by=request.user)
        except DomainError as exc:
            self.message_user(request, f"{report}: {exc.message}", messages.ERROR)
        else:
            self.message_user(request, f"Verified: {report}.", messages.SUCCESS)
        return HttpResponseRedirect(page)

    def amend_view(self, request, object_id):
        return admin_views.report_amend_view(self, request, unquote(object_id))

    def download_view(self, request, object_id):
        return admin_views.private_download_view(
            self,
            request,
            unquote(object_id),
            field="report_file",
            name=lambda r: f"{r.booking.code}-{r.test.code}-v{r.version}.pdf",
        )

    @admin.action(description="Deliver to the customer", permissions=["change"])
    def deliver(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda r: report_deliver(report=r, by=request.user), done="Delivered"
        )
