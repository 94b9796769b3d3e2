from django.contrib import admin

from diagnopet.admin_base import TIMESTAMPS, ReadOnlyModelAdmin
from privacy.models import AccountClosure


@admin.register(AccountClosure)
class AccountClosureAdmin(ReadOnlyModelAdmin):
    """Closed accounts and when each is (or was) anonymised: written only by ``account_close`` and the daily job."""

    list_display = ("user", "closed_at", "anonymise_after", "anonymised_at")
    list_select_related = ("user",)
    list_filter = (("anonymised_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__phone", "user__full_name")
    date_hierarchy = "closed_at"
    fields = ("user", "closed_at", "anonymise_after", "anonymised_at", *TIMESTAMPS)
    readonly_fields = fields
