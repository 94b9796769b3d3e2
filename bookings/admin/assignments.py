"""The record of collector assignments: who gave which visit to whom, and the warnings they went past."""

from django.contrib import admin

from bookings.models import CollectorAssignment
from diagnopet.admin_base import TIMESTAMPS, LargeTableAdmin, ReadOnlyModelAdmin


@admin.register(CollectorAssignment)
class CollectorAssignmentAdmin(LargeTableAdmin, ReadOnlyModelAdmin):
    """Written only by ``booking_assign_collector``: a history, never edited."""

    list_display = ("booking", "collector", "assigned_by", "automatic", "warned", "created_at")
    list_select_related = ("booking", "collector", "assigned_by")
    list_filter = ("automatic", "created_at")
    search_fields = ("booking__code", "collector__full_name", "collector__phone")
    date_hierarchy = "created_at"
    fields = ("booking", "collector", "assigned_by", "automatic", "warnings", *TIMESTAMPS)
    readonly_fields = fields

    @admin.display(boolean=True, description="warnings passed")
    def warned(self, obj) -> bool:
        return obj.warned
