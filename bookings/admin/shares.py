"""Report share links and their accesses, read-only: customers make and revoke them in the app; the lab sees who
shared what and when it was opened (for a customer's question or a leaked link)."""

from django.contrib import admin
from django.db.models import Count

from bookings.models import ReportShare, ReportShareAccess
from diagnopet.admin_base import ReadOnlyInline, ReadOnlyModelAdmin


class ReportShareAccessInline(ReadOnlyInline):
    model = ReportShareAccess
    fields = ("created_at", "kind", "ip_hash", "user_agent")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    extra = 0


@admin.register(ReportShare)
class ReportShareAdmin(ReadOnlyModelAdmin):
    list_display = ("__str__", "report", "created_by", "created_at", "expires_at", "revoked_at", "access_count")
    list_select_related = ("report__booking", "report__test", "report__pet", "created_by")  # the report's name
    list_filter = ("revoked_at",)
    search_fields = ("report__booking__code", "created_by__phone")
    date_hierarchy = "created_at"
    exclude = ("token_sha256",)
    inlines = [ReportShareAccessInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(access_total=Count("accesses"))

    @admin.display(description="openings", ordering="access_total")
    def access_count(self, obj) -> int:
        return obj.access_total


@admin.register(ReportShareAccess)
class ReportShareAccessAdmin(ReadOnlyModelAdmin):
    list_display = ("__str__", "share", "kind", "ip_hash", "created_at")
    list_select_related = ("share__report__booking", "share__report__test", "share__report__pet")
    list_filter = ("kind",)
    search_fields = ("ip_hash",)
    date_hierarchy = "created_at"
