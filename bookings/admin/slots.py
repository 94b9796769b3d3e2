"""Collection slots and days: capacity is edited by hand, the booked counters move only with bookings; a page
regenerates future windows nobody booked after the clinic's hours changed."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from bookings.models import CollectionDay, CollectionSlot
from bookings.services import slot_regenerate
from diagnopet.admin_base import TIMESTAMPS, CalendarSafeAdmin
from diagnopet.errors import DomainError


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


class RegenerateSlotsForm(forms.Form):
    start = forms.DateField(help_text="First day (default: tomorrow).")
    days = forms.IntegerField(min_value=1, max_value=366, initial=14, help_text="How many days from the first.")

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start < timezone.localdate():
            raise forms.ValidationError("Past days are never regenerated.")
        return start


@admin.register(CollectionSlot)
class CollectionSlotAdmin(CalendarSafeAdmin, admin.ModelAdmin):
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

    def get_urls(self):
        regenerate = path(
            "regenerate/", self.admin_site.admin_view(self.regenerate_view), name="bookings_collectionslot_regenerate"
        )
        return [regenerate, *super().get_urls()]

    def has_regenerate_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_delete_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra = {"can_regenerate": self.has_regenerate_permission(request)}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def regenerate_view(self, request):
        """Apply the clinic's current hours to future windows nobody booked (``slot_regenerate``); booked windows are
        kept as they are and listed."""
        if not self.has_regenerate_permission(request):
            raise PermissionDenied
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        form = RegenerateSlotsForm(request.POST or None, initial={"start": tomorrow, "days": 14})
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                result = slot_regenerate(start=form.cleaned_data["start"], days=form.cleaned_data["days"])
            except DomainError as exc:
                form.add_error(None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": "Regenerate future slots",
            "opts": self.model._meta,
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/bookings/collectionslot/regenerate.html", context)


@admin.register(CollectionDay)
class CollectionDayAdmin(CalendarSafeAdmin, admin.ModelAdmin):
    """The daily caps over all windows of a day (set from the clinic's by slot generation; editable here)."""

    list_display = ("date", "capacity", "booked", "lab_capacity", "lab_booked")
    date_hierarchy = "date"
    readonly_fields = ("booked", "lab_booked", *TIMESTAMPS)
    fields = ("date", "capacity", "booked", "lab_capacity", "lab_booked", *TIMESTAMPS)

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "date") if obj else self.readonly_fields
