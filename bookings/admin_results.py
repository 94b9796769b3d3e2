"""The lab's result entry pages, SENAITE-style: the worklist (per test, the samples in the lab, one row per sample and
one input per analyte) and the analyser CSV import (preview, then confirm).

Every write goes through ``bookings.services.results`` in one transaction: one bad value and nothing is saved, and
the page says which sample and analyte. The page's queries do not depend on its rows: the samples, their current
reports, their values and the analytes with their ranges are each one query, and the ranges are picked per row in
Python (``catalog.ranges``).
"""

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.roles import staff_is_collector
from bookings.models import BookingItem, ResultValue, TestReport
from bookings.services.analyser import MAX_BYTES, analyser_import, analyser_preview
from bookings.services.results import (
    ResultEntry,
    ResultsRefused,
    result_limits,
    results_enterable,
    results_save,
)
from bookings.states import ITEM_REPORTABLE
from catalog.models import Analyte, LabTest
from catalog.ranges import CRITICAL_FLAGS, Flag, Limits, age_in_months, flag_for, value_parse
from diagnopet.errors import DomainError

R = TestReport.Status
# Inputs a page may post besides the rows' (the CSRF token, the page's own fields).
_OTHER_FIELDS = 20
_CELL = re.compile(r"^(v|c)-(\d+)-(\d+)$")
_ROW = re.compile(r"^(m|i|s|r)-(\d+)$")
# The analyser exports this session previewed (their cache tokens): only those can be confirmed, by who previewed.
SESSION_KEY = "analyser_import_tokens"
PREVIEW_SECONDS = 3600


def _critical(count: int) -> str:
    return ngettext(
        "%(count)d critical value: the clinic admins are told",
        "%(count)d critical values: the clinic admins are told",
        count,
    ) % {"count": count}


def can_enter_results(user) -> bool:
    """Lab technicians and clinic admins (and superusers): whoever may add and change result values. Collectors
    never, whatever their permissions."""
    return user.has_perms(["bookings.add_resultvalue", "bookings.change_resultvalue"]) and not staff_is_collector(user)


def rows_per_page(analyte_count: int) -> int:
    """As many samples as fit Django's limit on posted fields (``DATA_UPLOAD_MAX_NUMBER_FIELDS``): each row posts a
    value and a comment per analyte, its method, instrument, submit box and amendment reason. At most 200."""
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    if limit is None:
        return 200
    return max(1, min(200, (limit - _OTHER_FIELDS) // (2 * analyte_count + 4)))


def _number(value: Decimal | None, decimals: int) -> str:
    return "" if value is None else f"{value:.{decimals}f}"


def range_text(limits: Limits, decimals: int) -> str:
    low, high = _number(limits.low, decimals), _number(limits.high, decimals)
    if low and high:
        return f"{low}–{high}"
    if high:
        return f"≤ {high}"
    if low:
        return f"≥ {low}"
    return "no range"


@dataclass
class Cell:
    analyte: Analyte
    limits: Limits
    value: str = ""
    comment: str = ""
    flag: str = ""
    submitted: str = ""  # the value on the report awaiting verification or delivered (a placeholder)
    error: str = ""

    @property
    def range(self) -> str:
        return range_text(self.limits, self.analyte.decimals)

    @property
    def is_critical(self) -> bool:
        return self.flag in CRITICAL_FLAGS

    @property
    def flag_label(self) -> str:
        """The flag as the lab reads it ("Critical high"), not its stored code."""
        return Flag(self.flag).label if self.flag else ""

    def limit(self, name: str) -> str:
        value = getattr(self.limits, name)
        return "" if value is None else format(value, "f")

    @property
    def data(self) -> dict:
        return {name: self.limit(name) for name in ("low", "high", "critical_low", "critical_high")}


@dataclass
class Row:
    item: BookingItem
    report: TestReport | None
    cells: list[Cell]
    blocked: str | None = None
    method: str = ""
    instrument: str = ""
    submit: bool = False
    reason: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def amending(self) -> bool:
        return self.report is not None and self.report.status == R.DELIVERED

    @property
    def age(self) -> str:
        pet = self.item.booking.pet
        on = timezone.localdate(self.item.collected_at) if self.item.collected_at else timezone.localdate()
        months = age_in_months(pet.date_of_birth, on)
        if months is None:
            return "age unknown"
        return f"{months // 12} y {months % 12} m" if months >= 12 else f"{months} m"


def _tests_in_lab():
    """The tests with analytes that have samples in the lab, with how many: the worklist's index."""
    return (
        BookingItem.objects.filter(status__in=ITEM_REPORTABLE, test__analytes__is_active=True)
        .values("test_id", "test__code", "test__name")
        .annotate(samples=Count("id", distinct=True))
        .order_by("test__code")
    )


def _items(test: LabTest, item_id: str | None):
    items = BookingItem.objects.filter(test=test).select_related("booking__pet")
    if item_id:
        # One sample, also after delivery (an amendment): its page is linked from the sample's own page.
        return items.filter(pk=item_id).order_by("pk")
    verified = TestReport.objects.filter(is_current=True, status=R.VERIFIED).values("booking_item_id")
    return items.filter(status__in=ITEM_REPORTABLE).exclude(pk__in=verified).order_by("received_at", "pk")


def _rows(items: list[BookingItem], analytes: list[Analyte]) -> list[Row]:
    """One row per sample with its cells: the draft if any, else what its current report holds (as a placeholder).
    Three queries whatever the number of samples."""
    ids = [item.pk for item in items]
    reports = {r.booking_item_id: r for r in TestReport.objects.filter(booking_item_id__in=ids, is_current=True)}
    values: dict[tuple[int, int], ResultValue] = {}
    submitted: dict[tuple[int, int], ResultValue] = {}
    current_ids = [r.pk for r in reports.values()]
    for value in ResultValue.objects.filter(Q(report__isnull=True) | Q(report_id__in=current_ids), item_id__in=ids):
        (values if value.report_id is None else submitted)[(value.item_id, value.analyte_id)] = value
    rows = []
    for item in items:
        report = reports.get(item.pk)
        row = Row(item=item, report=report, cells=[], blocked=results_enterable(item, report and report.status))
        for analyte in analytes:
            cell = Cell(analyte=analyte, limits=result_limits(item, analyte))
            draft, done = values.get((item.pk, analyte.pk)), submitted.get((item.pk, analyte.pk))
            if draft is not None:
                cell.value, cell.comment, cell.flag = _number(draft.value, analyte.decimals), draft.comment, draft.flag
                row.method, row.instrument = row.method or draft.method, row.instrument or draft.instrument
            if done is not None:
                cell.submitted = _number(done.value, analyte.decimals)
                cell.flag = cell.flag or done.flag
            row.cells.append(cell)
        rows.append(row)
    return rows


def _posted(request, rows: list[Row]) -> tuple[list[ResultEntry], set[int], dict[int, str]]:
    """The page's inputs read back onto its rows (so that a refused page shows what was typed) and as entries."""
    by_item = {row.item.pk: row for row in rows}
    for key, text in request.POST.items():
        if (match := _ROW.match(key)) and int(match[2]) in by_item:
            row = by_item[int(match[2])]
            kind = match[1]
            if kind == "m":
                row.method = text.strip()
            elif kind == "i":
                row.instrument = text.strip()
            elif kind == "s":
                row.submit = True
            else:
                row.reason = text.strip()
    entries = []
    for row in rows:
        if row.blocked:
            continue
        for cell in row.cells:
            prefix = f"{row.item.pk}-{cell.analyte.pk}"
            cell.value = request.POST.get(f"v-{prefix}", "").strip()
            cell.comment = request.POST.get(f"c-{prefix}", "").strip()
            try:
                cell.flag = flag_for(value_parse(cell.value, decimals=cell.analyte.decimals), cell.limits)
            except ValueError:
                cell.flag = ""
            entries.append(
                ResultEntry(
                    item_id=row.item.pk,
                    analyte_id=cell.analyte.pk,
                    value=cell.value,
                    comment=cell.comment,
                    method=row.method,
                    instrument=row.instrument,
                )
            )
    submit = {row.item.pk for row in rows if row.submit and not row.blocked}
    reasons = {row.item.pk: row.reason for row in rows if row.reason}
    return entries, submit, reasons


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit()


def worklist_view(model_admin, request):
    """GET ``?test=<id>`` (``&item=<id>`` for one sample, ``&page=``): the worklist; without a test, the tests with
    samples in the lab. POST: save every row of the page (and submit the ticked ones) in one transaction."""
    if not can_enter_results(request.user):
        raise PermissionDenied
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta}
    test_id, item_id = request.GET.get("test", ""), request.GET.get("item", "")
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not _is_id(test_id) or (item_id and not _is_id(item_id)):
        context |= {"title": "Result entry worklist", "tests": list(_tests_in_lab())}
        return TemplateResponse(request, "admin/bookings/resultvalue/worklist_index.html", context)
    test = get_object_or_404(LabTest, pk=test_id)
    analytes = list(Analyte.objects.filter(test=test, is_active=True).prefetch_related("ranges").order_by("position"))
    if not analytes:
        raise Http404("This test has no analytes to enter.")
    page = Paginator(_items(test, item_id or None), rows_per_page(len(analytes))).get_page(request.GET.get("page"))
    rows = _rows(list(page.object_list), analytes)
    if request.method == "POST":
        entries, submit, reasons = _posted(request, rows)
        try:
            outcome = results_save(entries=entries, by=request.user, submit_item_ids=submit, reasons=reasons)
        except ResultsRefused as refused:
            by_key = {(p.item_id, p.analyte_id): p.message for p in refused.problems}
            for row in rows:
                for cell in row.cells:
                    cell.error = by_key.get((row.item.pk, cell.analyte.pk), "")
            model_admin.message_user(request, refused.message, messages.ERROR)
        except DomainError as refused:
            model_admin.message_user(request, f"Nothing was saved: {refused.message}", messages.ERROR)
        else:
            saved = len(outcome.created) + len(outcome.updated)
            text = ngettext("Saved %(count)d value", "Saved %(count)d values", saved) % {"count": saved}
            text += f", cleared {outcome.cleared}" if outcome.cleared else ""
            if outcome.submitted:
                text += "; submitted for verification: " + ", ".join(
                    f"{r.booking_item.code} (v{r.version})" for r in outcome.submitted
                )
            if outcome.critical:
                text += "; " + _critical(len(outcome.critical))
            model_admin.message_user(request, text + ".", messages.SUCCESS)
            return HttpResponseRedirect(request.get_full_path())
    context |= {
        "title": f"Enter results: {test.code} — {test.name}",
        "test": test,
        "analytes": analytes,
        "rows": rows,
        "page": page,
        "item_id": item_id,
        "index_url": reverse("admin:bookings_resultvalue_worklist"),
    }
    return TemplateResponse(request, "admin/bookings/resultvalue/worklist.html", context)


# --- The analyser's CSV export --------------------------------------------------------------------------------


class AnalyserImportForm(forms.Form):
    file = forms.FileField(
        label="Analyser export (CSV)",
        help_text="Columns: sample (the tube's code, e.g. DP-7K3Q9X-01), analyte (its code, e.g. HCT), value, and "
        "optionally unit. UTF-8, at most 1 MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it into several imports.")
        return upload


def _pending_key(token: str) -> str:
    return f"analyser-import:{token}"


def analyser_import_view(model_admin, request):
    """GET: the upload form. POST with a file: the preview (every line and its problem; nothing written), the file
    kept in the cache for this session. POST ``confirm`` with the preview's token: import it in one transaction."""
    if not can_enter_results(request.user):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import an analyser export",
    }
    form = AnalyserImportForm()
    if request.method == "POST" and "confirm" in request.POST:
        token = request.POST.get("token", "")
        data = cache.get(_pending_key(token)) if token in request.session.get(SESSION_KEY, []) else None
        if data is None:
            model_admin.message_user(request, "That preview has expired; upload the file again.", messages.ERROR)
            return HttpResponseRedirect(request.path)
        request.session[SESSION_KEY] = [t for t in request.session.get(SESSION_KEY, []) if t != token]
        cache.delete(_pending_key(token))
        try:
            preview, outcome = analyser_import(data=data, by=request.user)
        except DomainError as refused:
            model_admin.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(request.path)
        if outcome is None:
            model_admin.message_user(
                request, "Nothing was imported: the file no longer passes the checks; see the preview.", messages.ERROR
            )
            context |= {"form": form, "preview": preview}
            return TemplateResponse(request, "admin/bookings/resultvalue/analyser_import.html", context)
        imported = len(outcome.created) + len(outcome.updated)
        text = ngettext("Imported %(count)d value", "Imported %(count)d values", imported) % {"count": imported}
        text += " as drafts"
        if outcome.critical:
            text += "; " + _critical(len(outcome.critical))
        model_admin.message_user(request, text + ".", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:bookings_resultvalue_worklist"))
    if request.method == "POST":
        form = AnalyserImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = b"".join(form.cleaned_data["file"].chunks())
            preview = analyser_preview(data)
            context["preview"] = preview
            if preview.ok:
                token = secrets.token_urlsafe(16)
                cache.set(_pending_key(token), data, PREVIEW_SECONDS)
                request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-4:], token]
                context["token"] = token
    context["form"] = form
    return TemplateResponse(request, "admin/bookings/resultvalue/analyser_import.html", context)
