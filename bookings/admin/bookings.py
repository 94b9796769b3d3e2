"""Back-office pages for slots, bookings and their items, batches, reports and prescriptions.

Bookings, items and reports move through their lifecycles only through ``bookings.services``: the actions
here run one service per selected row and report each success or refusal as a message. Status, money and
people fields are read-only, and nothing is editable once a booking is closed.

Who may run what follows ``accounts.roles``: an action needs the model permission it writes with
(``change_booking``, ``change_bookingitem``, ``add``/``change_testreport``, ``change_prescriptionupload``).
Collectors hold ``change_booking`` for their visits only, so of the booking actions they get the ones of a visit
(mark collected, no-show, tube labels); dispatching (assign, confirm, cancel) and lab steps are not theirs.
Analysts (view only) get the CSV export and nothing that writes.
"""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.admin import AddressAdmin
from accounts.models import Address
from accounts.roles import staff_is_collector
from bookings import admin_views
from bookings.admin_collection_pin import CollectionPinAdminMixin, PinFarFilter
from bookings.models import Booking, BookingItem, CollectionSlot, PrescriptionUpload, TestBatchGroup, TestReport
from bookings.querysets import collector_visits, item_is_overdue, item_overdue_q
from bookings.services import (
    booking_assign_collector,
    booking_cancel,
    booking_confirm,
    booking_mark_collected,
    item_receive,
    item_reject,
    item_start_processing,
    report_deliver,
    report_verify,
)
from bookings.services.no_show import booking_mark_no_show
from bookings.services.prescriptions import prescription_verify
from bookings.states import BOOKING_TERMINAL, ITEM_IN_LAB, ITEM_REPORTABLE, REPORT_UNVERIFIED
from diagnopet.admin_base import TIMESTAMPS, LargeTableAdmin, ReadOnlyInline
from diagnopet.errors import Conflict, DomainError
from pets.admin import PetAdmin
from pets.models import Pet


class AuditHistory(AuditlogHistoryAdminMixin):
    """django-auditlog's history page and changelist link; an object outside the user's rows answers 404."""

    show_auditlog_history_link = True

    def auditlog_history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("Not found.")
        return super().auditlog_history_view(request, object_id, extra_context)


def _overdue_badge(item: BookingItem, now) -> str:
    return mark_safe('<strong style="color:#ba2121">overdue</strong>') if item_is_overdue(item, now) else ""  # noqa: S308


class BookingItemInline(ReadOnlyInline):
    model = BookingItem
    fields = (
        "sequence",
        "test",
        "quantity",
        "unit_price",
        "status",
        "rejection_reason",
        "collected_at",
        "due_at",
        "overdue",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("test")

    @admin.display(description="overdue")
    def overdue(self, obj) -> str:
        return _overdue_badge(obj, timezone.now())


class TestReportInline(ReadOnlyInline):
    """Every version, current or superseded: the history of each item's report."""

    model = TestReport
    fields = (
        "test",
        "version",
        "status",
        "is_current",
        "amendment_reason",
        "uploaded_by",
        "verified_by",
        "delivered_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("test", "uploaded_by", "verified_by")
            .order_by("test", "version")
        )


class PrescriptionUploadInline(ReadOnlyInline):
    model = PrescriptionUpload
    fields = ("file_name", "download", "file_type", "file_size_bytes", "created_at", "verified_by", "verified_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("verified_by")

    @admin.display(description="file")
    def download(self, obj) -> str:
        url = reverse("admin:bookings_prescriptionupload_download", args=[obj.pk])
        return format_html('<a href="{}">Download</a>', url)


class CollectionSlotForm(forms.ModelForm):
    """The booked counters are not on the form, so the database checks ``booked ≤ capacity`` would only
    fail at save time; say it here instead."""

    class Meta:
        model = CollectionSlot
        fields = ("date", "start_time", "end_time", "capacity", "lab_capacity", "is_active")

    def clean_capacity(self):
        capacity = self.cleaned_data.get("capacity")
        if capacity is not None and capacity < self.instance.booked:
            raise forms.ValidationError(f"{self.instance.booked} home visits are already booked in this window.")
        return capacity

    def clean_lab_capacity(self):
        lab_capacity = self.cleaned_data.get("lab_capacity")
        if lab_capacity is not None and lab_capacity < self.instance.lab_booked:
            raise forms.ValidationError(f"{self.instance.lab_booked} lab visits are already booked in this window.")
        return lab_capacity


@admin.register(CollectionSlot)
class CollectionSlotAdmin(admin.ModelAdmin):
    form = CollectionSlotForm
    list_display = (
        "date",
        "start_time",
        "end_time",
        "capacity",
        "booked",
        "remaining",
        "lab_capacity",
        "lab_booked",
        "is_active",
    )
    list_filter = ("is_active",)
    search_fields = ("date",)
    date_hierarchy = "date"
    # The counters move with bookings (booking and cancelling), never by hand.
    readonly_fields = ("booked", "lab_booked", *TIMESTAMPS)

    @admin.display(description="remaining")
    def remaining(self, obj) -> int:
        return obj.remaining


class VisitDayFilter(admin.SimpleListFilter):
    """Bookings by visit day. Collectors land on today's visits (SPEC §6); "All days" lifts that."""

    title = "visit day"
    parameter_name = "day"

    def __init__(self, request, params, model, model_admin):
        self.default = "today" if staff_is_collector(request.user) else None
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        options = [("today", "Today"), ("upcoming", "Today and later"), ("past", "Before today")]
        return [*options, ("all", "All days")] if self.default else options

    def value(self):
        value = super().value()
        return self.default if value is None else value

    def choices(self, changelist):
        choices = super().choices(changelist)
        if self.default:
            next(choices)  # Django's "All" would mean the default here; "All days" says what it does.
        yield from choices

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "today":
                return queryset.filter(booking_date=today)
            case "upcoming":
                return queryset.filter(booking_date__gte=today)
            case "past":
                return queryset.filter(booking_date__lt=today)
        return queryset


@admin.register(Booking)
class BookingAdmin(CollectionPinAdminMixin, LargeTableAdmin, AuditHistory, admin.ModelAdmin):
    """Created by the booking flow (pricing, slot capacity, coupon, billing in one transaction), so not
    addable here; only the notes can be edited, and only while the booking is open."""

    list_display = (
        "code",
        "booking_date",
        "slot",
        "user",
        "pet",
        "collection_type",
        "status",
        "collection_staff",
        "total_amount",
        "pin_gap",
        "created_at",
    )
    list_select_related = ("user", "pet", "slot", "collection_staff")
    list_filter = (
        VisitDayFilter,
        "status",
        "collection_type",
        # The plain filter already offers only staff (limit_choices_to); RelatedOnly scanned every booking.
        "collection_staff",
        PinFarFilter,
    )
    search_fields = ("code", "user__phone", "user__full_name", "pet__name", "address_text")
    date_hierarchy = "booking_date"
    inlines = [BookingItemInline, PrescriptionUploadInline, TestReportInline]
    actions = [
        "assign_collector",
        "confirm",
        "mark_collected",
        "receive_at_lab",
        "start_processing",
        "reject_sample",
        "cancel",
        "mark_no_show",
        "print_tube_labels",
        "export_csv",
    ]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "status",
                    "user",
                    "pet",
                    "collection_type",
                    "booking_date",
                    "slot",
                    "recollection_of",
                    "notes",
                )
            },
        ),
        (
            "Address",
            {"fields": ("address", "address_text", "address_link", "latitude", "longitude", "estimated_distance_km")},
        ),
        (
            "Money (snapshot at booking time)",
            {"fields": ("subtotal", "discount_amount", "distance_charge", "total_amount", "coupon", "offer")},
        ),
        (
            "Collection",
            {
                "fields": (
                    "collection_staff",
                    "confirmed_at",
                    "collected_at",
                    "collected_latitude",
                    "collected_longitude",
                    "collection_pin_gap_km",
                    "pin_warning",
                    "processing_at",
                    "completed_at",
                    "no_show_at",
                )
            },
        ),
        ("Cancellation", {"fields": ("cancelled_at", "cancelled_by", "cancelled_by_role", "cancellation_reason")}),
        ("Record", {"fields": ("idempotency_key", *TIMESTAMPS)}),
    )
    readonly_fields = tuple(name for name in flatten_fieldsets(fieldsets) if name != "notes")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # SPEC §4: a collector sees the bookings assigned to them.
        return queryset & collector_visits(request.user) if staff_is_collector(request.user) else queryset

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status in BOOKING_TERMINAL:
            return flatten_fieldsets(self.fieldsets)
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # --- Who may run which action (see the module docstring) ---

    def has_dispatch_permission(self, request) -> bool:
        return request.user.has_perm("bookings.change_booking") and not staff_is_collector(request.user)

    def has_visit_permission(self, request) -> bool:
        return request.user.has_perm("bookings.change_booking")

    def has_lab_permission(self, request) -> bool:
        return request.user.has_perm("bookings.change_bookingitem") and not staff_is_collector(request.user)

    def has_labels_permission(self, request) -> bool:
        return self.has_visit_permission(request) or self.has_lab_permission(request)

    # --- Pages ---

    def get_urls(self):
        urls = [
            path("today/", self.admin_site.admin_view(self.today_view), name="bookings_booking_today"),
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.object_action_view),
                name="bookings_booking_act",
            ),
        ]
        return [*urls, *super().get_urls()]

    def today_view(self, request):
        return admin_views.booking_today_view(self, request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The changelist actions the user may run, as buttons on the booking's own page.
        buttons = [
            (reverse("admin:bookings_booking_act", args=[object_id, name]), description)
            for name, (_func, _name, description) in self.get_actions(request).items()
            if name != "export_csv"
        ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "action_buttons": buttons})

    def object_action_view(self, request, object_id, action):
        """A changelist action run for this one booking (POST only); the same permission checks and services."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        booking = self.get_object(request, unquote(object_id))
        if booking is None:
            raise Http404("Not found.")
        actions = self.get_actions(request)
        if action not in actions:
            raise PermissionDenied
        response = actions[action][0](self, request, self.get_queryset(request).filter(pk=booking.pk))
        return response or HttpResponseRedirect(reverse("admin:bookings_booking_change", args=[booking.pk]))

    # --- Actions: one service call per booking, each its own transaction ---

    @admin.action(description="Assign a collector…", permissions=["dispatch"])
    def assign_collector(self, request, queryset):
        return admin_views.run_with_form(
            self,
            request,
            queryset,
            form_class=admin_views.AssignCollectorForm,
            action="assign_collector",
            title="Assign a collector",
            operation=lambda b, data: booking_assign_collector(booking=b, collector=data["collector"], by=request.user),
            done=lambda data: f"Assigned to {data['collector'].get_full_name() or data['collector'].phone}",
        )

    @admin.action(description="Confirm", permissions=["dispatch"])
    def confirm(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda b: booking_confirm(booking=b, by=request.user), done="Confirmed"
        )

    @admin.action(description="Mark samples collected", permissions=["visit"])
    def mark_collected(self, request, queryset):
        admin_views.run_each(
            self,
            request,
            queryset,
            lambda b: booking_mark_collected(booking=b, by=request.user),
            done="Samples collected",
        )

    def _each_item(self, request, queryset, *, status: str, service, done: str, none_message: str):
        """Run ``service`` on every item of a booking in ``status`` — per booking one transaction, so a booking's
        items move together or not at all."""

        def run(booking):
            with transaction.atomic():
                items = list(booking.items.filter(status=status).order_by("sequence"))
                if not items:
                    raise Conflict(none_message, code="no_items")
                for item in items:
                    service(item=item, by=request.user)

        admin_views.run_each(self, request, queryset, run, done=done)

    @admin.action(description="Receive samples at the lab", permissions=["lab"])
    def receive_at_lab(self, request, queryset):
        self._each_item(
            request,
            queryset,
            status=BookingItem.Status.COLLECTED,
            service=item_receive,
            done="Received at the lab",
            none_message="No collected sample is waiting to be received.",
        )

    @admin.action(description="Move received samples to processing", permissions=["lab"])
    def start_processing(self, request, queryset):
        self._each_item(
            request,
            queryset,
            status=BookingItem.Status.RECEIVED,
            service=item_start_processing,
            done="Processing",
            none_message="No received sample is waiting to be processed.",
        )

    @admin.action(description="Reject a sample…", permissions=["lab"])
    def reject_sample(self, request, queryset):
        items = (
            BookingItem.objects.filter(booking__in=queryset.order_by().values("pk"), status__in=ITEM_IN_LAB)
            .select_related("booking", "test")
            .order_by("booking__code", "sequence")
        )
        if not items.exists():
            self.message_user(request, "None of the selected bookings has a sample in the lab.", messages.ERROR)
            return None
        form = admin_views.action_form(admin_views.RejectSampleForm, request, items=items)
        if not form.is_bound or not form.is_valid():
            return admin_views.action_form_page(
                self, request, queryset, form=form, action="reject_sample", title="Reject a sample"
            )
        item = form.cleaned_data["item"]
        try:
            recollection = item_reject(
                item=item, by=request.user, reason=form.cleaned_data["reason"], notes=form.cleaned_data["notes"]
            )
        except DomainError as exc:
            self.message_user(request, f"{item.booking.code} #{item.sequence}: {exc.message}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"Sample {item.booking.code} #{item.sequence} rejected; "
                f"free re-collection booking {recollection.code}.",
                messages.SUCCESS,
            )
        return None

    @admin.action(description="Cancel…", permissions=["dispatch"])
    def cancel(self, request, queryset):
        return admin_views.run_with_form(
            self,
            request,
            queryset,
            form_class=admin_views.CancelForm,
            action="cancel",
            title="Cancel bookings",
            operation=lambda b, data: booking_cancel(booking=b, by=request.user, reason=data["reason"]),
            done="Cancelled",
        )

    @admin.action(description="Mark as no-show…", permissions=["visit"])
    def mark_no_show(self, request, queryset):
        return admin_views.run_with_form(
            self,
            request,
            queryset,
            form_class=admin_views.NoShowForm,
            action="mark_no_show",
            title="Mark as no-show",
            operation=lambda b, data: booking_mark_no_show(booking=b, by=request.user, reason=data["reason"]),
            done="Marked no-show",
        )

    @admin.action(description="Print tube labels (PDF)", permissions=["labels"])
    def print_tube_labels(self, request, queryset):
        return admin_views.tube_labels_response(queryset)

    @admin.action(description="Export CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return admin_views.bookings_csv_response(queryset)


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "Overdue"), ("no", "Not overdue"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(item_overdue_q(timezone.now()))
        if self.value() == "no":
            return queryset.exclude(item_overdue_q(timezone.now()))
        return queryset


@admin.register(BookingItem)
class BookingItemAdmin(LargeTableAdmin, AuditHistory, admin.ModelAdmin):
    """Items are created with their booking at a frozen price and moved on by the lifecycle services."""

    list_display = (
        "booking",
        "sequence",
        "test",
        "status",
        "quantity",
        "unit_price",
        "collected_at",
        "due_at",
        "is_overdue",
    )
    list_select_related = ("booking", "test")
    list_filter = (OverdueFilter, "status", "rejection_reason")
    search_fields = ("booking__code", "test__code", "test__name")
    date_hierarchy = "created_at"
    inlines = [TestReportInline]
    actions = ["receive", "start_processing"]
    fieldsets = (
        (None, {"fields": ("booking", "sequence", "test", "batch_group", "quantity", "unit_price", "status")}),
        ("Rejection", {"fields": ("rejection_reason", "rejection_notes", "rejected_at")}),
        (
            "Sample",
            {
                "fields": (
                    "collected_at",
                    "collected_by",
                    "received_at",
                    "received_by",
                    "processing_at",
                    "completed_at",
                    "due_at",
                    "is_overdue",
                )
            },
        ),
        ("Report", {"fields": ("report_link",)}),
        ("Record", {"fields": TIMESTAMPS}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if staff_is_collector(request.user):
            queryset = queryset.filter(booking__in=collector_visits(request.user))
        return queryset

    @admin.display(description="overdue")
    def is_overdue(self, obj) -> str:
        return _overdue_badge(obj, timezone.now())

    @admin.display(description="report")
    def report_link(self, obj) -> str:
        if obj.status not in ITEM_REPORTABLE:
            return "Reports are uploaded while the sample is in the lab."
        url = reverse("admin:bookings_bookingitem_upload_report", args=[obj.pk])
        return format_html('<a class="button" href="{}">Upload the report (PDF)</a>', url)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_lab_permission(self, request) -> bool:
        return request.user.has_perm("bookings.change_bookingitem") and not staff_is_collector(request.user)

    def get_urls(self):
        upload = path(
            "<path:object_id>/upload-report/",
            self.admin_site.admin_view(self.upload_report_view),
            name="bookings_bookingitem_upload_report",
        )
        return [upload, *super().get_urls()]

    def upload_report_view(self, request, object_id):
        return admin_views.report_upload_view(self, request, unquote(object_id))

    @admin.action(description="Receive at the lab", permissions=["lab"])
    def receive(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda i: item_receive(item=i, by=request.user), done="Received at the lab"
        )

    @admin.action(description="Move to processing", permissions=["lab"])
    def start_processing(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda i: item_start_processing(item=i, by=request.user), done="Processing"
        )


@admin.register(TestBatchGroup)
class TestBatchGroupAdmin(LargeTableAdmin, admin.ModelAdmin):
    list_display = ("__str__", "booking", "item_count", "created_at")
    ordering = ("id",)
    list_select_related = ("booking",)
    search_fields = ("batch_name", "booking__code")
    date_hierarchy = "created_at"
    autocomplete_fields = ("booking",)
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="items", ordering="item_count")
    def item_count(self, obj) -> int:
        return obj.item_count

    def get_readonly_fields(self, request, obj=None):
        # A group stays with the booking it was made for.
        readonly = super().get_readonly_fields(request, obj)
        return readonly if obj is None else ("booking", *readonly)


@admin.register(TestReport)
class TestReportAdmin(LargeTableAdmin, AuditHistory, admin.ModelAdmin):
    """Uploaded, verified (four-eyes) and delivered by the report services. Findings can be corrected until
    the report is verified; after that nothing changes here (an amendment is a new version)."""

    list_display = ("__str__", "booking", "pet", "test", "status", "version", "is_current", "delivered_at")
    list_select_related = ("booking", "pet", "test")
    list_filter = ("status", "is_current")
    search_fields = ("booking__code", "pet__name", "test__code", "test__name")
    date_hierarchy = "created_at"
    actions = ["verify", "deliver"]
    fieldsets = (
        (None, {"fields": ("booking", "booking_item", "pet", "test", "batch_group")}),
        ("Result", {"fields": ("status", "stored_file", "findings")}),
        ("Versions", {"fields": ("version", "is_current", "supersedes", "amendment_reason", "version_history")}),
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
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="bookings_testreport_download",
            ),
        ]
        return [*urls, *super().get_urls()]

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

    @admin.action(description="Verify (four-eyes)", permissions=["change"])
    def verify(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda r: report_verify(report=r, by=request.user), done="Verified"
        )

    @admin.action(description="Deliver to the customer", permissions=["change"])
    def deliver(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda r: report_deliver(report=r, by=request.user), done="Delivered"
        )


@admin.register(PrescriptionUpload)
class PrescriptionUploadAdmin(LargeTableAdmin, admin.ModelAdmin):
    """Customers upload through the API (content-type checks live there); staff download and verify here."""

    list_display = ("file_name", "booking", "user", "file_type", "file_size_bytes", "created_at", "verified_at")
    list_select_related = ("booking", "user")
    list_filter = ("file_type", ("verified_at", admin.EmptyFieldListFilter))
    search_fields = ("file_name", "booking__code", "user__phone", "user__full_name")
    date_hierarchy = "created_at"
    actions = ["verify"]
    fields = (
        "booking",
        "user",
        "file_name",
        "stored_file",
        "file_type",
        "file_size_bytes",
        "verified_by",
        "verified_at",
        "verification_notes",
        *TIMESTAMPS,
    )
    # Verification (who, when, notes) is written by prescription_verify through the action, not by hand.
    readonly_fields = fields

    @admin.display(description="stored file")
    def stored_file(self, obj) -> str:
        # Uploads are private: served through the authenticated download view, never a media URL.
        url = reverse("admin:bookings_prescriptionupload_download", args=[obj.pk])
        return format_html('<a href="{}">Download</a>', url)

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        download = path(
            "<path:object_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="bookings_prescriptionupload_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request, object_id):
        return admin_views.private_download_view(
            self, request, unquote(object_id), field="file", name=lambda p: p.file_name
        )

    @admin.action(description="Verify…", permissions=["change"])
    def verify(self, request, queryset):
        return admin_views.run_with_form(
            self,
            request,
            queryset,
            form_class=admin_views.PrescriptionVerifyForm,
            action="verify",
            title="Verify prescriptions",
            operation=lambda p, data: prescription_verify(prescription=p, by=request.user, notes=data["notes"]),
            done="Verified",
        )


# --- Customers' pets and addresses, as a collector sees them ----------------------------------------------------
# The rule lives here, with the visits: accounts and pets may not import bookings (README, "Project layout"), so
# their admins are re-registered from this app with the scoping added; everything else of them stays as it is.


class VisitScopedAdmin:
    """For the admin of a row a booking points to (its pet, its address): a collector sees only the rows of
    their visits (``collector_visits``) — changelist, search, change/view and history pages alike; another row
    answers as not found. Other staff keep what their permissions give."""

    # The booking's foreign key to the row.
    visit_field: str

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if staff_is_collector(request.user):
            queryset = queryset.filter(pk__in=collector_visits(request.user).values(self.visit_field))
        return queryset


admin.site.unregister(Pet)
admin.site.unregister(Address)


@admin.register(Pet)
class VisitScopedPetAdmin(VisitScopedAdmin, PetAdmin):
    visit_field = "pet"


@admin.register(Address)
class VisitScopedAddressAdmin(VisitScopedAdmin, AddressAdmin):
    visit_field = "address"
