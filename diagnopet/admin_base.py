"""What several apps' admins share."""

from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A record only the business flows write (a ledger, a counter, a redemption): listed and shown, never added,
    changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
