"""Bookings: the visit-day filter, the lifecycle actions and the per-booking action buttons."""

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone

from accounts.roles import staff_is_collector
from bookings import admin_views
from bookings.admin.common import AuditHistory
from bookings.admin.inlines import BookingItemInline, PrescriptionUploadInline, TestReportInline
from bookings.admin_collection_pin import CollectionPinAdminMixin, PinFarFilter
from bookings.codes import item_codes_to_booking_codes
from bookings.models import Booking, BookingItem
from bookings.querysets import collector_visits
from bookings.services import (
    booking_assign_collector,
    booking_cancel,
    booking_confirm,
    booking_mark_collected,
    booking_reschedule,
    item_receive,
    item_reject,
    item_start_processing,
)
from bookings.services.collections import collection_complete
from bookings.services.no_show import booking_mark_no_show
from bookings.states import (
    BOOKING_CLOSED,
    BOOKING_SCHEDULED,
    BOOKING_TERMINAL,
    BOOKING_UNSCHEDULED,
    BOOKING_UPCOMING,
    ITEM_IN_LAB,
    can_transition,
)
from diagnopet.admin_base import TIMESTAMPS, LargeTableAdmin
from diagnopet.errors import Conflict, DomainError


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


def action_allowed(name: str, booking: Booking, item_statuses: set[str]) -> bool:
    """Whether the booking's state lets ``name`` (one of the admin's actions) do anything: the state-machine checks
    the action's services make (``bookings.states``), so the booking's page offers only buttons that can work."""
    B, It = Booking.Status, BookingItem.Status
    match name:
        case "assign_collector":  # booking_assign_collector: a pending or confirmed booking
            return booking.status in BOOKING_SCHEDULED
        case "confirm":  # booking_confirm: not before a re-collection has its slot
            return booking.status not in BOOKING_UNSCHEDULED and can_transition("booking", booking.status, B.CONFIRMED)
        case "mark_collected":
            return can_transition("booking", booking.status, B.COLLECTED)
        case "receive_at_lab":
            return It.COLLECTED in item_statuses
        case "start_processing":
            return It.RECEIVED in item_statuses
        case "reject_sample":
            return bool(item_statuses & ITEM_IN_LAB)
        case "reschedule":
            return booking.status in BOOKING_UPCOMING
        case "cancel":
            return can_transition("booking", booking.status, B.CANCELLED)
        case "mark_no_show":
            return can_transition("booking", booking.status, B.NO_SHOW)
        case "print_tube_labels":
            return booking.status not in BOOKING_CLOSED
    return False  # the CSV export and any action without a rule here: the changelist only


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
    # Visit days newest first and, within a day, by the slot's start time (09:00, 10:00, 11:00), not by when the
    # booking was made. PostgreSQL reads the booking_date index backwards and sorts each day's few rows.
    ordering = ("-booking_date", F("slot__start_time").asc(nulls_last=True), "code")
    inlines = [BookingItemInline, PrescriptionUploadInline, TestReportInline]
    actions = [
        "assign_collector",
        "confirm",
        "reschedule",
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
                    "pet_weight_kg",
                    "processing_at",
                    "completed_at",
                    "no_show_at",
                    "no_show_reason",
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

    def get_search_results(self, request, queryset, search_term):
        # A scanned tube label (DP-7K3Q9X-01) finds its visit: the booking's code is what is searched.
        return super().get_search_results(request, queryset, item_codes_to_booking_codes(search_term))

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
                "today/<int:object_id>/collected/",
                self.admin_site.admin_view(self.visit_collected_view),
                name="bookings_booking_visit_collected",
            ),
            path(
                "today/<int:object_id>/no-show/",
                self.admin_site.admin_view(self.visit_no_show_view),
                name="bookings_booking_visit_no_show",
            ),
            path(
                "today/<int:object_id>/refuse/",
                self.admin_site.admin_view(self.visit_refuse_view),
                name="bookings_booking_visit_refuse",
            ),
            path(
                "auto-assign/", self.admin_site.admin_view(self.auto_assign_view), name="bookings_booking_auto_assign"
            ),
            path(
                "<path:object_id>/act/<str:action>/",
                self.admin_site.admin_view(self.object_action_view),
                name="bookings_booking_act",
            ),
        ]
        return [*urls, *super().get_urls()]

    def today_view(self, request):
        return admin_views.booking_today_view(self, request)

    def visit_collected_view(self, request, object_id):
        return admin_views.visit_collected_view(self, request, object_id)

    def visit_no_show_view(self, request, object_id):
        return admin_views.visit_no_show_view(self, request, object_id)

    def visit_refuse_view(self, request, object_id):
        return admin_views.visit_refuse_view(self, request, object_id)

    def auto_assign_view(self, request):
        return admin_views.auto_assign_view(self, request)

    def changelist_view(self, request, extra_context=None):
        extra = {"may_dispatch": self.has_dispatch_permission(request)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The changelist actions the user may run and the booking's state allows, as buttons on its own page.
        booking = self.get_object(request, unquote(object_id))
        buttons = []
        if booking is not None:
            items = set(booking.items.values_list("status", flat=True))
            buttons = [
                (reverse("admin:bookings_booking_act", args=[booking.pk, name]), description)
                for name, (_func, _name, description) in self.get_actions(request).items()
                if action_allowed(name, booking, items)
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
        """Collectors ranked for the selected visits (area, working day, load against the cap), with the warnings
        of each; a collector with warnings needs "Assign anyway", and the warnings are recorded."""
        bookings = list(queryset.select_related("address", "slot").order_by("booking_date", "code"))
        ranked = admin_views.ranked_collectors(bookings)
        form = admin_views.action_form(admin_views.AssignCollectorForm, request, ranked=ranked)
        if not form.is_bound or not form.is_valid():
            return admin_views.action_form_page(
                self,
                request,
                bookings,
                form=form,
                action="assign_collector",
                title="Assign a collector",
                template="admin/bookings/booking/assign_collector.html",
                ranked=ranked,
                submit_label="Assign",
            )
        collector, accept = form.cleaned_data["collector"], form.cleaned_data["accept_warnings"]
        admin_views.run_each(
            self,
            request,
            bookings,
            lambda b: booking_assign_collector(booking=b, collector=collector, by=request.user, accept_warnings=accept),
            done=f"Assigned to {collector.get_full_name() or collector.phone}",
        )
        return None

    @admin.action(description="Confirm", permissions=["dispatch"])
    def confirm(self, request, queryset):
        admin_views.run_each(
            self, request, queryset, lambda b: booking_confirm(booking=b, by=request.user), done="Confirmed"
        )

    @admin.action(description="Mark samples collected", permissions=["visit"])
    def mark_collected(self, request, queryset):
        # A collector records their visit on its day only, as on the day sheet and in the staff API; the clinic
        # admin may record one afterwards.
        mark = collection_complete if staff_is_collector(request.user) else booking_mark_collected
        admin_views.run_each(
            self, request, queryset, lambda b: mark(booking=b, by=request.user), done="Samples collected"
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

    @admin.action(description="Reschedule…", permissions=["dispatch"])
    def reschedule(self, request, queryset):
        """Move bookings to another slot (staff: at any time, no cutoff); an awaiting re-collection gets its slot."""
        return admin_views.run_with_form(
            self,
            request,
            queryset,
            form_class=admin_views.RescheduleForm,
            action="reschedule",
            title="Reschedule bookings",
            operation=lambda b, data: booking_reschedule(booking=b, slot_id=data["slot"].pk, by=request.user),
            done=lambda data: f"Moved to {data['slot']}",
        )

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
            operation=lambda b, data: booking_mark_no_show(
                booking=b, by=request.user, reason=data["reason"], notes=data["notes"]
            ),
            done="Marked no-show",
        )

    @admin.action(description="Print tube labels (PDF)", permissions=["labels"])
    def print_tube_labels(self, request, queryset):
        return admin_views.tube_labels_response(queryset)

    @admin.action(description="Export CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return admin_views.bookings_csv_response(queryset)
