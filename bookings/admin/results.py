"""Result values, read-only: they are entered on the lab's worklist and published with their report."""

from django.contrib import admin

from bookings.models import ResultValue
from diagnopet.admin_base import LargeTableAdmin, ReadOnlyModelAdmin


@admin.register(ResultValue)
class ResultValueAdmin(LargeTableAdmin, ReadOnlyModelAdmin):
    list_display = ("item", "analyte", "value", "unit", "flag", "report", "entered_by", "entered_at")
    list_select_related = ("item", "analyte", "report", "entered_by")
    list_filter = ("flag",)
    search_fields = ("item__code",)
    ordering = ("-entered_at", "-id")
