"""Customers' pets and addresses, as a collector sees them.

The rule lives here, with the visits: accounts and pets may not import bookings (README, "Project layout"), so
their admins are re-registered from this app with the scoping added; everything else of them stays as it is.
"""

from django.contrib import admin

from accounts.admin import AddressAdmin
from accounts.models import Address
from accounts.roles import staff_is_collector
from bookings.querysets import collector_visits
from pets.admin import PetAdmin
from pets.models import Pet


class VisitScopedAdmin:
    """For the admin of a row a booking points to (its pet, its address): a collector sees only the rows of
    their visits (``collector_visits``) — changelist, search, change/view and history pages alike; another row
    answers as not found. Other staff keep what their permissions give."""

    # The booking's foreign key to the row.
    visit_field: str

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if staff_is_collector(request.user):
            queryset = queryset.filter(pk__in=collector_visits(request.user).values(self.visit_field))
        return queryset


admin.site.unregister(Pet)
admin.site.unregister(Address)


@admin.register(Pet)
class VisitScopedPetAdmin(VisitScopedAdmin, PetAdmin):
    visit_field = "pet"


@admin.register(Address)
class VisitScopedAddressAdmin(VisitScopedAdmin, AddressAdmin):
    visit_field = "address"
