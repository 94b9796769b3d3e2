"""Collection slots: capacity is edited by hand, the booked counters move only with bookings."""

from django import forms
from django.contrib import admin

from bookings.models import CollectionSlot
from diagnopet.admin_base import TIMESTAMPS


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
