"""Back-office pages and helpers behind the booking admin: action forms, the day sheet, CSV export, label PDFs,
report upload/amend pages and private file downloads.

Every write goes through ``bookings.services``; a refusal (``DomainError``) becomes an admin message, never a 500.
"""

import csv
import itertools
from collections.abc import Callable, Iterable

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole, User
from bookings.labels import tube_labels_pdf
from bookings.models import Booking, BookingItem
from bookings.querysets import booking_status_counts, bookings_for_export, bookings_of_day
from bookings.services import report_amend, report_upload
from diagnopet.admin_base import action_form, action_form_page
from diagnopet.errors import DomainError, ValidationFailed
from diagnopet.files import REPORT_TYPES, private_file_response, upload_check

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


class CollectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        area = obj.staff_profile.assigned_area
        return f"{obj.get_full_name() or obj.phone} ({area})" if area else obj.get_full_name() or obj.phone


class AssignCollectorForm(forms.Form):
    collector = CollectorChoiceField(
        queryset=User.objects.filter(is_active=True, is_staff=True, staff_profile__role=StaffRole.COLLECTOR)
        .select_related("staff_profile")
        .order_by("full_name", "pk"),
        empty_label=None,
    )


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, strip=True)


class NoShowForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, strip=True, required=False)


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


def booking_today_view(model_admin, request) -> TemplateResponse:
    """Today's visits grouped by slot, with collector, area and counts per status. ``model_admin.get_queryset``
    scopes the rows (a collector sees their own visits). ``?day=YYYY-MM-DD`` shows another day."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    day = timezone.localdate()
    if request.GET.get("day"):
        try:
            day = forms.DateField().clean(request.GET["day"])
        except forms.ValidationError:
            model_admin.message_user(request, "That is not a date; showing today.", messages.WARNING)
    scoped = model_admin.get_queryset(request)
    bookings = list(bookings_of_day(scoped, day))
    counts = booking_status_counts(scoped.filter(booking_date=day))
    groups = [(slot, list(rows)) for slot, rows in itertools.groupby(bookings, key=lambda b: b.slot)]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Visits of {day:%A %d %B %Y}",
        "opts": model_admin.model._meta,
        "day": day,
        "groups": groups,
        "total": len(bookings),
        "status_counts": [(label, counts[value]) for value, label in Booking.Status.choices],
        "changelist_url": reverse("admin:bookings_booking_changelist"),
    }
    return TemplateResponse(request, "admin/bookings/booking/today.html", context)


# --- Exports ------------------------------------------------------------------------------------------------

CSV_HEADER = (
    "code",
    "date",
    "slot",
    "status",
    "customer",
    "pet",
    "collection type",
    "collector",
    "subtotal",
    "discount",
    "distance charge",
    "total",
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
                    b.status,
                    customer,
                    b.pet.name,
                    b.collection_type,
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
