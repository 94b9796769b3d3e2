"""Back-office pages and helpers behind the booking admin: action forms, the day sheet, CSV export, label PDFs,
report upload/amend pages and private file downloads.

Every write goes through ``bookings.services``; a refusal (``DomainError``) becomes an admin message, never a 500.
"""

import csv
import datetime
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from bookings.assignment import (
    MATCH_RANK,
    AssignmentWarning,
    Suggestion,
    auto_assign_plan,
    collector_loads,
    collector_profiles,
    collector_suggestions,
    plan_fingerprint,
)
from bookings.codes import booking_code_from_scan
from bookings.labels import tube_labels_pdf
from bookings.maps import maps_url
from bookings.models import PET_WEIGHT_MAX_KG, PET_WEIGHT_MIN_KG, Booking, BookingItem, CollectionSlot
from bookings.querysets import booking_status_counts, bookings_for_export, bookings_of_day
from bookings.services import booking_mark_no_show, report_amend, report_upload
from bookings.services.assignment import day_auto_assign
from bookings.services.collections import collection_complete
from bookings.services.visits import visit_refuse_samples
from bookings.states import BOOKING_SCHEDULED
from diagnopet.admin_base import action_form, action_form_page
from diagnopet.errors import DomainError, ValidationFailed
from diagnopet.files import REPORT_TYPES, private_file_response, upload_check
from diagnopet.spreadsheet import money_heading

# --- Running a service per object ------------------------------------------------------------------------------


def run_each(model_admin, request, objects: Iterable, operation: Callable, *, done: str) -> int:
    """Run ``operation(obj)`` for each object — each call is its own transaction (the services are atomic), so one
    refusal does not undo the others. Successes are summed up in one message, each refusal gets its own with the
    service's reason. Returns how many succeeded."""
    succeeded, refused = [], []
    for obj in objects:
        try:
            operation(obj)
        except DomainError as exc:
            refused.append(f"{obj}: {exc.message}")
        else:
            succeeded.append(str(obj))
    if succeeded:
        model_admin.message_user(request, f"{done}: {', '.join(succeeded)}.", messages.SUCCESS)
    for message in refused:
        model_admin.message_user(request, message, messages.ERROR)
    if not succeeded and not refused:
        model_admin.message_user(request, "Nothing was changed: none of the selected rows is yours.", messages.WARNING)
    return len(succeeded)


# --- Intermediate pages of actions ---------------------------------------------------------------------------


def run_with_form(model_admin, request, queryset, *, form_class, action: str, title: str, operation, done):
    """An action that asks for something first: its intermediate page until the form is valid, then
    ``operation(obj, cleaned_data)`` for each selected row (``run_each``). ``done`` is the success message's start,
    or a function of the cleaned data that gives it."""
    form = action_form(form_class, request)
    if not form.is_bound or not form.is_valid():
        return action_form_page(model_admin, request, queryset, form=form, action=action, title=title)
    data = form.cleaned_data
    label = done(data) if callable(done) else done
    run_each(model_admin, request, queryset, lambda obj: operation(obj, data), done=label)
    return None


# --- Assigning a collector ----------------------------------------------------------------------------------


@dataclass
class RankedCollector:
    """One collector for the selected visits: their suggestion for each, best first (``bookings.assignment``)."""

    collector: User
    suggestions: list[Suggestion]

    @property
    def warnings(self) -> list[AssignmentWarning]:
        return [w for s in self.suggestions for w in s.warnings]

    def rank_key(self):
        return (
            sum(1 for s in self.suggestions if s.warnings),
            sum(MATCH_RANK[s.match] for s in self.suggestions),
            sum(s.load / s.cap for s in self.suggestions),
            self.collector.full_name,
            self.collector.pk,
        )

    @property
    def label(self) -> str:
        first = self.suggestions[0]
        name = self.collector.get_full_name() or self.collector.phone
        if len(self.suggestions) == 1:
            return f"{name} — {first.match_label} · {first.load}/{first.cap} visits that day"
        fitting = sum(1 for s in self.suggestions if s.fits)
        return f"{name} — fits {fitting} of {len(self.suggestions)} visits"


def ranked_collectors(bookings) -> list[RankedCollector]:
    """Every active collector for the selected bookings, best first: for one booking the order of
    ``collector_suggestions``; for several, fewest visits with warnings, then area match and load."""
    by_collector: dict[int, RankedCollector] = {}
    for booking in bookings:
        for suggestion in collector_suggestions(booking):
            ranked = by_collector.setdefault(suggestion.collector.pk, RankedCollector(suggestion.collector, []))
            ranked.suggestions.append(suggestion)
    return sorted(by_collector.values(), key=RankedCollector.rank_key)


class AssignCollectorForm(forms.Form):
    """The collector, from the ranked list; choosing one with warnings needs ``accept_warnings`` ticked."""

    collector = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Collector")
    accept_warnings = forms.BooleanField(
        required=False, label="Assign anyway", help_text="The warnings shown are recorded with the assignment."
    )

    def __init__(self, *args, ranked: list[RankedCollector], **kwargs):
        super().__init__(*args, **kwargs)
        self.ranked = {r.collector.pk: r for r in ranked}
        self.fields["collector"].choices = [(r.collector.pk, r.label) for r in ranked]
        if ranked:
            self.fields["collector"].initial = ranked[0].collector.pk

    def clean(self):
        data = super().clean()
        chosen = self.ranked.get(data.get("collector"))
        if chosen is None:
            return data
        data["collector"] = chosen.collector
        if chosen.warnings and not data.get("accept_warnings"):
            raise forms.ValidationError(
                [w.message for w in chosen.warnings] + ["Tick “Assign anyway” to assign despite this."],
                code="assignment_warning",
            )
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, strip=True)


class SlotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        lab = "no limit" if obj.lab_capacity is None else obj.lab_capacity - obj.lab_booked
        return f"{obj} — home places left {obj.remaining}, lab {lab}"


class RescheduleForm(forms.Form):
    """The windows of the next 60 days that have not started (the service checks the place and the kind of visit)."""

    slot = SlotChoiceField(queryset=CollectionSlot.objects.none(), empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.localtime()
        self.fields["slot"].queryset = (
            CollectionSlot.objects.filter(
                is_active=True, date__gte=now.date(), date__lte=now.date() + datetime.timedelta(days=60)
            )
            .exclude(date=now.date(), start_time__lte=now.time())
            .order_by("date", "start_time")
        )


class NoShowForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "—")] + Booking.NoShowReason.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000, strip=True, required=False)


class CollectedAtDoorForm(forms.Form):
    """The day sheet's "Collected" button: the phone's position when the browser gave it."""

    latitude = forms.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False)
    pet_weight_kg = forms.DecimalField(
        label="Weight (kg)",
        max_digits=6,
        decimal_places=2,
        min_value=PET_WEIGHT_MIN_KG,
        max_value=PET_WEIGHT_MAX_KG,
        required=False,
    )


class RefuseAtDoorForm(forms.Form):
    """The day sheet's "Refuse sample" form: the reason from the rejection reasons, and which samples."""

    reason = forms.ChoiceField(choices=[("", "—")] + BookingItem.RejectionReason.choices)
    items = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(max_length=1000, strip=True, required=False)

    def __init__(self, *args, booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [
            (item.pk, item.test.name) for item in booking.items.all() if item.status == BookingItem.Status.PENDING
        ]


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.booking.code} #{obj.sequence} {obj.test.code} ({obj.get_status_display()})"


class RejectSampleForm(forms.Form):
    item = ItemChoiceField(queryset=BookingItem.objects.none(), empty_label=None)
    reason = forms.ChoiceField(choices=BookingItem.RejectionReason.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


class PrescriptionVerifyForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


# --- The day sheet ------------------------------------------------------------------------------------------


def _day_of(model_admin, request, raw: str | None) -> datetime.date:
    if raw:
        try:
            day = forms.DateField().clean(raw)
        except forms.ValidationError:
            model_admin.message_user(request, "That is not a date; showing today.", messages.WARNING)
        else:
            # The pages link the day before and after: none exists at the ends of the calendar.
            if 1900 <= day.year <= 2999:
                return day
            model_admin.message_user(request, "Choose a day between 1900 and 2999; showing today.", messages.WARNING)
    return timezone.localdate()


@dataclass
class SheetVisit:
    """One visit as the day sheet shows it: the booking and what the collector needs at the door."""

    booking: Booking
    maps_url: str
    tubes: list[str]
    fasting: bool
    preparation: list[str]
    pending: bool  # samples still to take: the door buttons apply
    no_show_form: NoShowForm
    refuse_form: RefuseAtDoorForm


def _sheet_visit(booking: Booking) -> SheetVisit:
    items = list(booking.items.all())
    tests = [item.test for item in items if item.status != BookingItem.Status.CANCELLED]
    tubes = sorted({" · ".join(p for p in (t.sample_type, t.tube_type) if p) for t in tests} - {""})
    preparation = list(dict.fromkeys(t.collection_instructions.strip() for t in tests if t.collection_instructions))
    return SheetVisit(
        booking=booking,
        maps_url=maps_url(booking),
        tubes=tubes,
        fasting=any(t.fasting_required for t in tests),
        preparation=preparation,
        pending=booking.status in BOOKING_SCHEDULED and any(i.status == BookingItem.Status.PENDING for i in items),
        no_show_form=NoShowForm(auto_id=f"id_noshow_{booking.pk}_%s"),
        refuse_form=RefuseAtDoorForm(booking=booking, auto_id=f"id_refuse_{booking.pk}_%s"),
    )


def _sheet_find(model_admin, request, scoped, raw: str) -> Booking | None:
    """The visit a scanned or typed code names (a booking's code, or any of its tubes'), among the visits the user
    may see; None, with a message on the sheet, when there is none."""
    code = booking_code_from_scan(raw)
    found = scoped.filter(code=code).only("pk", "booking_date").first()
    if found is None:
        model_admin.message_user(request, f"No visit of yours has the code {code}.", messages.WARNING)
    return found


def booking_today_view(model_admin, request) -> TemplateResponse:
    """The day sheet, phone first: a day's visits in time order (grouped by slot), each with what the collector
    needs at the door (pet, tests, tubes, fasting and preparation, the customer's notes, phone and map links) and
    the door buttons (collected, no-show, refuse sample). ``model_admin.get_queryset`` scopes the rows (a collector
    sees their own visits). ``?day=YYYY-MM-DD`` shows another day."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    scoped = model_admin.get_queryset(request)
    if request.GET.get("code"):
        found = _sheet_find(model_admin, request, scoped, request.GET["code"])
        if found is not None:
            return _back_to_sheet(found)
    day = _day_of(model_admin, request, request.GET.get("day"))
    bookings = list(bookings_of_day(scoped, day))
    counts = booking_status_counts(scoped.filter(booking_date=day))
    is_today = day == timezone.localdate()
    visits = [_sheet_visit(b) for b in bookings]
    groups = [(slot, list(rows)) for slot, rows in itertools.groupby(visits, key=lambda v: v.booking.slot)]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Visits of {day:%A %d %B %Y}",
        "opts": model_admin.model._meta,
        "day": day,
        "is_today": is_today,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "groups": groups,
        "total": len(bookings),
        "status_counts": [(label, counts[value]) for value, label in Booking.Status.choices],
        "changelist_url": reverse("admin:bookings_booking_changelist"),
        "may_act": model_admin.has_visit_permission(request),
        "may_dispatch": model_admin.has_dispatch_permission(request),
    }
    return TemplateResponse(request, "admin/bookings/booking/today.html", context)


def _door_visit(model_admin, request, object_id) -> Booking:
    """The visit a door button acts on: POST only, by someone who may record visits, and only a visit the user may
    see — for a collector, one assigned to them (``model_admin.get_queryset``); another's is 404."""
    if request.method != "POST":
        raise PermissionDenied
    if not model_admin.has_visit_permission(request):
        raise PermissionDenied
    booking = (
        model_admin.get_queryset(request).select_related("user").prefetch_related("items__test").filter(pk=object_id)
    ).first()
    if booking is None:
        raise Http404("No visit of yours with this id.")
    return booking


def _back_to_sheet(booking: Booking) -> HttpResponseRedirect:
    url = reverse("admin:bookings_booking_today")
    return HttpResponseRedirect(f"{url}?day={booking.booking_date.isoformat()}#visit-{booking.pk}")


def _door_run(model_admin, request, booking, form, run: Callable, done: str) -> HttpResponseRedirect:
    """Run a door button's service (the same one the staff API calls); a refusal or a bad form is a message on the
    day sheet, never a 500."""
    if not form.is_valid():
        errors = "; ".join(str(e) for field_errors in form.errors.values() for e in field_errors)
        model_admin.message_user(request, f"{booking.code}: {errors}", messages.ERROR)
        return _back_to_sheet(booking)
    try:
        run(form.cleaned_data)
    except DomainError as exc:
        model_admin.message_user(request, f"{booking.code}: {exc.message}", messages.ERROR)
    else:
        model_admin.message_user(request, f"{booking.code}: {done}", messages.SUCCESS)
    return _back_to_sheet(booking)


def visit_collected_view(model_admin, request, object_id):
    booking = _door_visit(model_admin, request, object_id)
    return _door_run(
        model_admin,
        request,
        booking,
        CollectedAtDoorForm(request.POST),
        lambda data: collection_complete(
            booking=booking,
            by=request.user,
            latitude=data["latitude"],
            longitude=data["longitude"],
            pet_weight_kg=data["pet_weight_kg"],
        ),
        "samples collected.",
    )


def visit_no_show_view(model_admin, request, object_id):
    booking = _door_visit(model_admin, request, object_id)
    return _door_run(
        model_admin,
        request,
        booking,
        NoShowForm(request.POST),
        lambda data: booking_mark_no_show(booking=booking, by=request.user, reason=data["reason"], notes=data["notes"]),
        "marked no-show.",
    )


def visit_refuse_view(model_admin, request, object_id):
    booking = _door_visit(model_admin, request, object_id)
    return _door_run(
        model_admin,
        request,
        booking,
        RefuseAtDoorForm(request.POST, booking=booking),
        lambda data: visit_refuse_samples(
            booking=booking, by=request.user, reason=data["reason"], item_ids=data["items"], notes=data["notes"]
        ),
        "sample refused; its test goes into a free re-collection.",
    )


# --- The day's auto-assignment ------------------------------------------------------------------------------


class AutoAssignForm(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    plan = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100_000)


def auto_assign_view(model_admin, request) -> TemplateResponse | HttpResponseRedirect:
    """Plan the day's unassigned home visits (GET: the preview) and commit exactly that plan (POST with the
    preview's fingerprint). If the day changed in between, nothing is written: the page says so and shows the new
    plan to confirm."""
    if not model_admin.has_dispatch_permission(request):
        raise PermissionDenied
    day = _day_of(model_admin, request, request.POST.get("day") or request.GET.get("day"))
    if request.method == "POST":
        form = AutoAssignForm(request.POST)
        if form.is_valid():
            try:
                plan = day_auto_assign(
                    day=form.cleaned_data["day"], by=request.user, previewed=form.cleaned_data["plan"]
                )
            except DomainError as exc:
                model_admin.message_user(request, exc.message, messages.WARNING)
            else:
                assigned = sum(1 for v in plan if v.collector is not None)
                model_admin.message_user(request, f"Assigned {assigned} visits of {day:%d %b %Y}.", messages.SUCCESS)
                return HttpResponseRedirect(f"{reverse('admin:bookings_booking_today')}?day={day.isoformat()}")
    plan = auto_assign_plan(day)
    loads = collector_loads(day)
    planned = Counter(v.collector.pk for v in plan if v.collector is not None)
    totals = [
        (profile, loads[profile.user_id], loads[profile.user_id] + planned[profile.user_id])
        for profile in collector_profiles()
        if loads[profile.user_id] or planned[profile.user_id]
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Auto-assign the visits of {day:%A %d %B %Y}",
        "opts": model_admin.model._meta,
        "day": day,
        "plan": plan,
        "assignable": sum(1 for v in plan if v.collector is not None),
        "totals": totals,
        "form": AutoAssignForm(initial={"day": day, "plan": plan_fingerprint(plan)}),
        "changelist_url": reverse("admin:bookings_booking_changelist"),
    }
    return TemplateResponse(request, "admin/bookings/booking/auto_assign.html", context)


# --- Exports ------------------------------------------------------------------------------------------------

CSV_HEADER = (
    "Code",
    "Date",
    "Slot",
    "Status",
    "Customer",
    "Pet",
    "Collection type",
    "Collector",
    *map(money_heading, ("Subtotal", "Discount", "Distance charge", "Total")),
)


class _Echo:
    """A file-like object whose write returns the line, for streaming ``csv.writer`` output."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    # Spreadsheets run cells that start with these as formulas; customer-typed names must stay text.
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_rows(queryset):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for b in bookings_for_export(queryset).iterator(chunk_size=500):
        customer = b.user.get_full_name() or b.user.phone
        collector = (b.collection_staff.get_full_name() or b.collection_staff.phone) if b.collection_staff else ""
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    b.code,
                    b.booking_date.isoformat(),
                    str(b.slot) if b.slot else "",
                    b.get_status_display(),
                    customer,
                    b.pet.name,
                    b.get_collection_type_display(),
                    collector,
                    b.subtotal,
                    b.discount_amount,
                    b.distance_charge,
                    b.total_amount,
                )
            ]
        )


def bookings_csv_response(queryset) -> StreamingHttpResponse:
    """The bookings of ``queryset`` as a CSV download, streamed row by row from one query."""
    response = StreamingHttpResponse(_csv_rows(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bookings-{timezone.localdate():%Y%m%d}.csv"'
    return response


def tube_labels_response(queryset) -> HttpResponse:
    """One PDF with a label per item of the bookings in ``queryset`` (cancelled items get none)."""
    items = (
        BookingItem.objects.filter(booking__in=queryset.order_by().values("pk"))
        .exclude(status=BookingItem.Status.CANCELLED)
        .select_related("booking__pet", "test")
        .order_by("booking__booking_date", "booking__code", "sequence")
    )
    response = HttpResponse(tube_labels_pdf(items), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="tube-labels-{timezone.localdate():%Y%m%d}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Report upload and amendment ----------------------------------------------------------------------------


class ReportFileForm(forms.Form):
    file = forms.FileField(help_text="The report as a PDF.")
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)

    def clean_file(self):
        file = self.cleaned_data["file"]
        try:
            upload_check(file, allowed=REPORT_TYPES)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc
        return file


class ReportAmendForm(ReportFileForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Told to the customer with the amended report."
    )
    field_order = ("file", "reason", "findings")


def object_form_page(model_admin, request, obj, *, form, title: str) -> TemplateResponse:
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "original": obj,
        "form": form,
        "change_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
    }
    return TemplateResponse(request, "admin/bookings/object_form.html", context)


def _object_or_404(model_admin, request, object_id):
    obj = model_admin.get_object(request, object_id)
    if obj is None:
        raise Http404(f"No {model_admin.model._meta.verbose_name} with this id.")
    return obj


def _form_page_run(model_admin, request, obj, *, form_class, title: str, run: Callable, done: str):
    """GET shows the form; a valid POST runs the service. A refusal is shown on the form (nothing is saved)."""
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = run(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            model_admin.message_user(request, done, messages.SUCCESS)
            opts = result._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[result.pk]))
    return object_form_page(model_admin, request, obj, form=form, title=title)


def report_upload_view(model_admin, request, object_id):
    """Upload (or, before verification, replace) the PDF report of a booking item in the lab."""
    if not request.user.has_perm("bookings.add_testreport"):
        raise PermissionDenied
    item = _object_or_404(model_admin, request, object_id)
    return _form_page_run(
        model_admin,
        request,
        item,
        form_class=ReportFileForm,
        title=f"Upload the report of {item.booking.code} #{item.sequence} ({item.test.code})",
        run=lambda data: report_upload(item=item, file=data["file"], by=request.user, findings=data["findings"]),
        done="Report uploaded; it now waits for verification by someone else.",
    )


def report_amend_view(model_admin, request, object_id):
    """Amend a delivered report: a new version with its reason, to verify and deliver again."""
    if not request.user.has_perm("bookings.add_testreport"):
        raise PermissionDenied
    report = _object_or_404(model_admin, request, object_id)
    return _form_page_run(
        model_admin,
        request,
        report,
        form_class=ReportAmendForm,
        title=f"Amend {report}",
        run=lambda data: report_amend(
            report=report, file=data["file"], by=request.user, reason=data["reason"], findings=data["findings"]
        ),
        done="Amendment saved as a new version; it needs verification and delivery.",
    )


# --- Private files ------------------------------------------------------------------------------------------


def private_download_view(model_admin, request, object_id, *, field: str, name: Callable):
    """Serve an uploaded file of an object the user may view, as an attachment."""
    obj = _object_or_404(model_admin, request, object_id)
    if not model_admin.has_view_permission(request, obj):
        raise PermissionDenied
    field_file = getattr(obj, field)
    if not field_file:
        raise Http404("No file was uploaded.")
    return private_file_response(field_file, download_name=name(obj))
