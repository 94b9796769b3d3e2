"""Prescription uploads: download and verify; customers upload through the API."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import path, reverse
from django.utils.html import format_html

from bookings import admin_views
from bookings.models import PrescriptionUpload
from bookings.services.prescriptions import prescription_verify
from diagnopet.admin_base import TIMESTAMPS, LargeTableAdmin


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
