"""Result values: listed read-only here; entered on the lab's worklist (``worklist/``) or from an analyser's export
(``analyser-import/``), and published with their report (``bookings.admin_results``)."""

from django.contrib import admin
from django.urls import path

from bookings import admin_results
from bookings.models import ResultValue
from diagnopet.admin_base import LargeTableAdmin, ReadOnlyModelAdmin


@admin.register(ResultValue)
class ResultValueAdmin(LargeTableAdmin, ReadOnlyModelAdmin):
    list_display = ("item", "analyte", "value", "unit", "flag", "report", "entered_by", "entered_at")
    # The item's and the report's names read their booking, pet and test.
    list_select_related = (
        "item__booking__pet",
        "item__test",
        "analyte",
        "report__booking",
        "report__test",
        "report__pet",
        "entered_by",
    )
    list_filter = ("flag",)
    search_fields = ("item__code",)
    ordering = ("-entered_at", "-id")

    def get_urls(self):
        urls = [
            path(
                "worklist/",
                self.admin_site.admin_view(self.worklist_view),
                name="bookings_resultvalue_worklist",
            ),
            path(
                "analyser-import/",
                self.admin_site.admin_view(self.analyser_import_view),
                name="bookings_resultvalue_analyser_import",
            ),
        ]
        return [*urls, *super().get_urls()]

    def worklist_view(self, request):
        return admin_results.worklist_view(self, request)

    def analyser_import_view(self, request):
        return admin_results.analyser_import_view(self, request)

    def changelist_view(self, request, extra_context=None):
        # The worklist and import buttons above the list, for those who may enter results.
        extra_context = {**(extra_context or {}), "can_enter_results": admin_results.can_enter_results(request.user)}
        return super().changelist_view(request, extra_context)
