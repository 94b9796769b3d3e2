from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse

from clinic.models import ClinicHoliday, ClinicInfo
from diagnopet.admin_base import TIMESTAMPS


@admin.register(ClinicInfo)
class ClinicInfoAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """The one clinic row: it can be added while none exists, then only edited, never deleted. The list is skipped:
    it opens the row's change page (or the add page while there is none)."""

    show_auditlog_history_link = True
    list_display = ("name", "whatsapp_number", "phone", "opening_time", "closing_time", "updated_at")
    search_fields = ("name", "address")
    readonly_fields = ("whatsapp_link", "updated_by", *TIMESTAMPS)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("name", "whatsapp_number", "whatsapp_link", "phone", "email")}),
        ("Location", {"fields": ("address", "google_maps_link", "latitude", "longitude", "road_factor")}),
        (
            "Hours and slots",
            {
                "fields": (
                    "opening_time",
                    "closing_time",
                    "slot_minutes",
                    "home_slot_capacity",
                    "lab_slot_capacity",
                    "cancellation_cutoff_hours",
                )
            },
        ),
        ("Invoices", {"fields": ("gstin", "hsn_sac_code", "tax_rate")}),
        ("Record", {"fields": ("updated_by", *TIMESTAMPS)}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ClinicInfo.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if request.method != "GET" or not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)  # actions; or the stock 403
        clinic = ClinicInfo.objects.only("pk").first()
        if clinic is not None:
            return HttpResponseRedirect(reverse("admin:clinic_clinicinfo_change", args=[clinic.pk]))
        if self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:clinic_clinicinfo_add"))
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ClinicHoliday)
class ClinicHolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
    readonly_fields = TIMESTAMPS
