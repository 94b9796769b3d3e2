from auditlog.mixins import AuditlogHistoryAdminMixin
from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from accounts.phone import PhoneAdminMixin
from clinic.models import ClinicHoliday, ClinicInfo, OpeningHours
from diagnopet.admin_base import TIMESTAMPS, CalendarSafeAdmin

# The fields that change which collection windows should exist.
SLOT_SHAPING_FIELDS = frozenset(
    {
        "opening_time",
        "closing_time",
        "slot_minutes",
        "slot_buffer_minutes",
        "home_slot_capacity",
        "lab_slot_capacity",
        "home_daily_capacity",
        "lab_daily_capacity",
    }
)


def offer_slot_regeneration(model_admin, request) -> None:
    """After the hours changed: say that slots already generated keep the old hours, and link to the page that
    regenerates the future ones nobody booked (the bookings app's slot admin, found by its URL name: the clinic
    app does not import it)."""
    try:
        url = reverse("admin:bookings_collectionslot_regenerate")
    except NoReverseMatch:  # pragma: no cover - the bookings admin is always installed
        return
    model_admin.message_user(
        request,
        format_html(
            'Slots already generated keep their old hours. <a href="{}">Regenerate future slots without bookings</a>'
            " to apply the new ones (booked slots are never touched).",
            url,
        ),
        messages.WARNING,
    )


class OpeningHoursFormSet(forms.BaseInlineFormSet):
    """Windows of one weekday must not overlap."""

    def clean(self):
        super().clean()
        windows = sorted(
            (form.cleaned_data["weekday"], form.cleaned_data["opens_at"], form.cleaned_data["closes_at"])
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and {"weekday", "opens_at", "closes_at"} <= set(form.cleaned_data)
        )
        for (day, _opens, closes), (next_day, next_opens, _next_closes) in zip(windows, windows[1:], strict=False):
            if day == next_day and next_opens < closes:
                raise forms.ValidationError("Two windows of the same weekday overlap.")


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    formset = OpeningHoursFormSet
    fields = ("weekday", "opens_at", "closes_at")
    extra = 0
    verbose_name_plural = "Weekly opening hours (a weekday without a window is closed; none at all: every day "
    "from opening to closing time)"


@admin.register(ClinicInfo)
class ClinicInfoAdmin(PhoneAdminMixin, AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """The one clinic row: it can be added while none exists, then only edited, never deleted. The list is skipped:
    it opens the row's change page (or the add page while there is none)."""

    show_auditlog_history_link = True
    inlines = [OpeningHoursInline]
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
                    "slot_buffer_minutes",
                    "home_slot_capacity",
                    "lab_slot_capacity",
                    "home_daily_capacity",
                    "lab_daily_capacity",
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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        hours_changed = any(formset.has_changed() for formset in formsets)
        if change and (hours_changed or SLOT_SHAPING_FIELDS & set(form.changed_data)):
            offer_slot_regeneration(self, request)


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    """The weekly hours as a list (they are also edited on the clinic's page)."""

    list_display = ("weekday", "opens_at", "closes_at")
    list_filter = ("weekday",)
    list_select_related = ("clinic",)
    readonly_fields = TIMESTAMPS
    # Each row compared on its own here; overlaps between a day's windows are checked on the clinic's page.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        offer_slot_regeneration(self, request)


@admin.register(ClinicHoliday)
class ClinicHolidayAdmin(CalendarSafeAdmin, admin.ModelAdmin):
    """Date exceptions to the weekly hours: closed all day, or special hours (e.g. a half day)."""

    list_display = ("date", "name", "opens_at", "closes_at")
    search_fields = ("name",)
    date_hierarchy = "date"
    readonly_fields = TIMESTAMPS

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        offer_slot_regeneration(self, request)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        offer_slot_regeneration(self, request)
