"""The read-only rows shown under a booking or an item: its items, report versions and prescriptions."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from bookings.admin.common import overdue_badge
from bookings.models import BookingItem, PrescriptionUpload, TestReport
from diagnopet.admin_base import ReadOnlyInline


class BookingItemInline(ReadOnlyInline):
    model = BookingItem
    fields = (
        "sequence",
        "code",
        "test",
        "package",
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
        return super().get_queryset(request).select_related("test", "package")

    @admin.display(description="overdue")
    def overdue(self, obj) -> str:
        return overdue_badge(obj, timezone.now())


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
