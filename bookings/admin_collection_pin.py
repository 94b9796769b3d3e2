"""The booking admin's "pin far from the collection point" flag: a changelist filter, a column and a warning on
the booking page. Bookings far beyond ``COLLECTION_PIN_TOLERANCE_KM`` had their home-collection charge worked out
again from where the samples were taken (``bookings.services.lifecycle``), or their bill flagged for staff."""

from django.conf import settings
from django.contrib import admin

from bookings.services.lifecycle import collection_pin_is_far


class PinFarFilter(admin.SimpleListFilter):
    title = "collection point"
    parameter_name = "pin"

    def lookups(self, request, model_admin):
        return [("far", "Far from the address pin"), ("near", "At the address pin")]

    def queryset(self, request, queryset):
        tolerance = settings.COLLECTION_PIN_TOLERANCE_KM
        match self.value():
            case "far":
                return queryset.filter(collection_pin_gap_km__gt=tolerance)
            case "near":
                return queryset.filter(collection_pin_gap_km__lte=tolerance)
        return queryset


class CollectionPinAdminMixin:
    @admin.display(description="pin gap (km)", ordering="collection_pin_gap_km")
    def pin_gap(self, obj) -> str:
        if obj.collection_pin_gap_km is None:
            return "—"
        return f"⚠ {obj.collection_pin_gap_km}" if collection_pin_is_far(obj.collection_pin_gap_km) else "ok"

    @admin.display(description="collection point check")
    def pin_warning(self, obj) -> str:
        if obj is None or not collection_pin_is_far(obj.collection_pin_gap_km):
            return "—"
        return (
            f"⚠ Pin far from the collection point: collected {obj.collection_pin_gap_km} km from the address pin "
            f"(tolerance {settings.COLLECTION_PIN_TOLERANCE_KM} km). See the bill's distance note."
        )
