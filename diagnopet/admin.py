"""The system settings page: one row of run-time settings (``diagnopet.system_settings``)."""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from diagnopet.admin_base import TIMESTAMPS
from diagnopet.models import SystemSettings


@admin.register(SystemSettings)
class SystemSettingsAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """One row: added while none exists (the environment's values filled in), then only edited, never deleted. The
    list opens the row (or the add page). Every change is in the audit trail (its History link)."""

    show_auditlog_history_link = True
    list_display = ("__str__", "updated_by", "updated_at")
    list_select_related = ("updated_by",)
    readonly_fields = ("updated_by", *TIMESTAMPS)
    fieldsets = (
        ("Cancelling and rescheduling", {"fields": ("cancellation_cutoff_hours",)}),
        (
            "Holding places",
            {"fields": ("booking_pending_hold_minutes", "home_visit_prepayment_required", "prepayment_hold_minutes")},
        ),
        ("Booking limits", {"fields": ("booking_max_open_per_customer_per_day", "booking_max_open_per_pet_per_day")}),
        ("Notification channels", {"fields": ("sms_enabled", "whatsapp_enabled", "email_enabled")}),
        ("Record", {"fields": ("updated_by", *TIMESTAMPS)}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SystemSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if request.method != "GET" or not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        row = SystemSettings.objects.only("pk").first()
        if row is not None:
            return HttpResponseRedirect(reverse("admin:diagnopet_systemsettings_change", args=[row.pk]))
        if self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:diagnopet_systemsettings_add"))
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
