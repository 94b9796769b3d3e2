"""Booking items (samples) and their batch groups: overdue filter and badge, lab actions, report upload."""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.db.models import Count
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.roles import staff_is_collector
from bookings import admin_receive, admin_views, admin_worklist
from bookings.admin.common import AuditHistory, overdue_badge
from bookings.admin.inlines import TestReportInline
from bookings.admin_results import can_enter_results
from bookings.models import BookingItem, TestBatchGroup
from bookings.querysets import collector_visits, item_overdue_q
from bookings.services import item_receive, item_reject, item_start_processing
from bookings.services.results import results_submit
from bookings.states import ITEM_IN_LAB, ITEM_REPORTABLE
from diagnopet.admin_base import TIMESTAMPS, LargeTableAdmin


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

    # What the lab reads off a tube: the pet and its species, the test, the sample type and tube, and the times.
    list_display = (
        "code",
        "booking",
        "pet",
        "test",
        "sample",
        "status",
        "collected_at",
        "received_at",
        "due_at",
        "is_overdue",
        "next_step",
    )
    list_select_related = ("booking__pet", "test")
    # Newest first, like the bookings, and on the items' own columns: ordered by booking_id the page joined the
    # bookings in key order (a merge join through a million of them to reach the samples in the lab).
    ordering = ("-created_at", "-id")
    list_filter = (OverdueFilter, "status", "rejection_reason")
    # The tube's code first: a scanned label finds its item (trigram index bookings_item_code_trgm).
    search_fields = ("code", "booking__code", "test__code", "test__name")
    date_hierarchy = "created_at"
    inlines = [TestReportInline]
    actions = ["receive", "start_processing", "submit_results", "reject"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "booking",
                    "sequence",
                    "test",
                    "package",
                    "batch_group",
                    "quantity",
                    "unit_price",
                    "status",
                )
            },
        ),
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

    @admin.display(description="pet", ordering="booking__pet__name")
    def pet(self, obj) -> str:
        pet = obj.booking.pet
        return f"{pet.name} · {pet.get_species_display()}"

    @admin.display(description="sample · tube")
    def sample(self, obj) -> str:
        return " · ".join(part for part in (obj.test.sample_type, obj.test.tube_type) if part) or "—"

    @admin.display(description="next step")
    def next_step(self, obj) -> str:
        """Upload the report or reject the sample, from the list (only the steps the sample's state allows)."""
        links = []
        if obj.status in ITEM_REPORTABLE:
            links.append((reverse("admin:bookings_bookingitem_upload_report", args=[obj.pk]), "Upload report"))
        if obj.status in ITEM_IN_LAB:
            links.append((reverse("admin:bookings_bookingitem_reject", args=[obj.pk]), "Reject…"))
        return format_html_join(" · ", '<a href="{}">{}</a>', links) if links else ""

    @admin.display(description="overdue")
    def is_overdue(self, obj) -> str:
        return overdue_badge(obj, timezone.now())

    @admin.display(description="report")
    def report_link(self, obj) -> str:
        # Results are entered on the worklist, one sample or many (also after delivery: an amendment).
        results = reverse("admin:bookings_resultvalue_worklist") + f"?test={obj.test_id}&item={obj.pk}"
        enter = format_html('<a class="button" href="{}">Enter results</a>', results)
        if obj.status not in ITEM_REPORTABLE:
            return format_html("{} Reports are uploaded while the sample is in the lab.", enter)
        url = reverse("admin:bookings_bookingitem_upload_report", args=[obj.pk])
        return format_html('{} <a class="button" href="{}">Upload the report (PDF)</a>', enter, url)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_lab_permission(self, request) -> bool:
        return request.user.has_perm("bookings.change_bookingitem") and not staff_is_collector(request.user)

    def get_list_display(self, request):
        display = super().get_list_display(request)
        return display if self.has_lab_permission(request) else tuple(c for c in display if c != "next_step")

    def get_urls(self):
        upload = path(
            "<path:object_id>/upload-report/",
            self.admin_site.admin_view(self.upload_report_view),
            name="bookings_bookingitem_upload_report",
        )
        receive = path(
            "receive/", self.admin_site.admin_view(self.receive_scan_view), name="bookings_bookingitem_receive"
        )
        worklist = path(
            "worklist/", self.admin_site.admin_view(self.worklist_view), name="bookings_bookingitem_worklist"
        )
        reject = path(
            "<path:object_id>/reject/",
            self.admin_site.admin_view(self.reject_view),
            name="bookings_bookingitem_reject",
        )
        return [upload, receive, worklist, reject, *super().get_urls()]

    def worklist_view(self, request):
        return admin_worklist.worklist_view(self, request)

    def reject_view(self, request, object_id):
        return admin_worklist.item_reject_view(self, request, unquote(object_id))

    def receive_scan_view(self, request):
        return admin_receive.receive_scan_view(self, request)

    def changelist_view(self, request, extra_context=None):
        # The "Receive by scan" button above the list, for those who may receive.
        extra_context = {**(extra_context or {}), "can_receive": self.has_lab_permission(request)}
        return super().changelist_view(request, extra_context)

    def upload_report_view(self, request, object_id):
        return admin_views.report_upload_view(self, request, unquote(object_id))

    @admin.action(description="Receive at the lab", permissions=["lab"])
    def receive(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda i: item_receive(item=i, by=request.user), done="Received at the lab"
        )

    def has_results_permission(self, request) -> bool:
        return can_enter_results(request.user)

    @admin.action(description="Submit entered results for verification", permissions=["results"])
    def submit_results(self, request, queryset):
        admin_views.run_each(
            self,
            request,
            queryset.select_related("test"),
            lambda i: results_submit(item=i, by=request.user),
            done="Submitted for verification",
        )

    @admin.action(description="Move to processing", permissions=["lab"])
    def start_processing(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda i: item_start_processing(item=i, by=request.user), done="Processing"
        )

    @admin.action(description="Reject samples…", permissions=["lab"])
    def reject(self, request, queryset):
        """The selected samples rejected with one reason; each gets its free re-collection (``item_reject``)."""
        return admin_views.run_with_form(
            self,
            request,
            queryset.select_related("booking", "test"),
            form_class=admin_worklist.RejectItemForm,
            action="reject",
            title="Reject samples",
            operation=lambda item, data: item_reject(
                item=item, by=request.user, reason=data["reason"], notes=data["notes"]
            ),
            done="Rejected (each gets a free re-collection)",
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
