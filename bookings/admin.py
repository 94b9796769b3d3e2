"""Back-office pages for slots, bookings and their items, batches, reports and prescriptions.

Bookings, items and reports move through their lifecycles only through ``bookings.services`` (actions
come with those workflows), so their status, money and people fields are read-only here.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Count
from django.utils import timezone

from accounts.roles import staff_is_collector
from bookings.models import Booking, BookingItem, CollectionSlot, PrescriptionUpload, TestBatchGroup, TestReport

TIMESTAMPS = ("created_at", "updated_at")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BookingItemInline(ReadOnlyInline):
    model = BookingItem
    fields = ("sequence", "test", "quantity", "unit_price", "status", "rejection_reason", "collected_at", "due_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("test")


class TestReportInline(ReadOnlyInline):
    model = TestReport
    fields = ("test", "version", "status", "is_current", "uploaded_by", "verified_by", "delivered_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("test", "uploaded_by", "verified_by")


class PrescriptionUploadInline(ReadOnlyInline):
    model = PrescriptionUpload
    fields = ("file_name", "file_type", "file_size_bytes", "created_at", "verified_by", "verified_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("verified_by")


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


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Created by the booking flow (pricing, slot capacity, coupon, billing in one transaction), so not
    addable here; only the notes can be edited."""

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
        "created_at",
    )
    list_select_related = ("user", "pet", "slot", "collection_staff")
    list_filter = ("status", "collection_type", ("collection_staff", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "user__phone", "user__full_name", "pet__name", "address_text")
    date_hierarchy = "booking_date"
    inlines = [BookingItemInline, PrescriptionUploadInline, TestReportInline]
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
        return queryset.filter(collection_staff=request.user) if staff_is_collector(request.user) else queryset

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BookingItem)
class BookingItemAdmin(admin.ModelAdmin):
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
    list_filter = ("status", "rejection_reason")
    search_fields = ("booking__code", "test__code", "test__name")
    date_hierarchy = "created_at"
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
                )
            },
        ),
        ("Record", {"fields": TIMESTAMPS}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(booking__collection_staff=request.user) if staff_is_collector(request.user) else queryset

    @admin.display(boolean=True, description="overdue")
    def is_overdue(self, obj) -> bool:
        waiting = (BookingItem.Status.COLLECTED, BookingItem.Status.RECEIVED, BookingItem.Status.PROCESSING)
        return obj.status in waiting and obj.due_at is not None and obj.due_at < timezone.now()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TestBatchGroup)
class TestBatchGroupAdmin(admin.ModelAdmin):
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
class TestReportAdmin(admin.ModelAdmin):
    """Uploaded, verified (four-eyes) and delivered by the report services. Findings can be corrected until
    the report is verified; after that nothing changes here (an amendment is a new version)."""

    list_display = ("__str__", "booking", "pet", "test", "status", "version", "is_current", "delivered_at")
    list_select_related = ("booking", "pet", "test")
    list_filter = ("status", "is_current")
    search_fields = ("booking__code", "pet__name", "test__code", "test__name")
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("booking", "booking_item", "pet", "test", "batch_group")}),
        ("Result", {"fields": ("status", "stored_file", "findings")}),
        ("Versions", {"fields": ("version", "is_current", "supersedes", "amendment_reason")}),
        (
            "Workflow",
            {"fields": ("uploaded_by", "generated_at", "verified_by", "verified_at", "delivered_at", *TIMESTAMPS)},
        ),
    )
    _editable_before_verification = ("findings",)

    @admin.display(description="report file")
    def stored_file(self, obj) -> str:
        # The name only: report files are served through authenticated download views, not media URLs.
        return obj.report_file.name or "—"

    def get_readonly_fields(self, request, obj=None):
        fields = flatten_fieldsets(self.fieldsets)
        if obj is not None and obj.status in (TestReport.Status.PENDING, TestReport.Status.GENERATED):
            return tuple(name for name in fields if name not in self._editable_before_verification)
        return fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PrescriptionUpload)
class PrescriptionUploadAdmin(admin.ModelAdmin):
    """Customers upload through the API (content-type checks live there); staff read and annotate here."""

    list_display = ("file_name", "booking", "user", "file_type", "file_size_bytes", "created_at", "verified_at")
    list_select_related = ("booking", "user")
    list_filter = ("file_type", ("verified_at", admin.EmptyFieldListFilter))
    search_fields = ("file_name", "booking__code", "user__phone", "user__full_name")
    date_hierarchy = "created_at"
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
    readonly_fields = tuple(name for name in fields if name != "verification_notes")

    @admin.display(description="stored file")
    def stored_file(self, obj) -> str:
        # The name only: uploads are private and served through authenticated views, never a media URL.
        return obj.file.name

    def has_add_permission(self, request):
        return False
