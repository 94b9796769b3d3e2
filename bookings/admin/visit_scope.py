"""Customers' pets and addresses, as a collector sees them.

The rule lives here, with the visits: accounts and pets may not import bookings (README, "Project layout"), so
their admins are re-registered from this app with the scoping added; everything else of them stays as it is.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from accounts.admin import AddressAdmin
from accounts.models import Address
from accounts.roles import staff_is_collector
from bookings.health_record import pet_trend_png
from bookings.models import Booking
from bookings.querysets import collector_visits, published_results
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


RESULTS_PERMISSION = "bookings.view_resultvalue"

admin.site.unregister(Pet)
admin.site.unregister(Address)


@admin.register(Pet)
class VisitScopedPetAdmin(VisitScopedAdmin, PetAdmin):
    """Also shows the pet's trend chart of each analyte it has published values of, to staff who may see results
    (the same PNG as the customer's, through ``trend_view``)."""

    visit_field = "pet"
    readonly_fields = (*PetAdmin.readonly_fields, "weight_history")

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        # The charts only for staff who may see results (not collectors), and only on an existing pet's page.
        if obj is not None and request.user.has_perm(RESULTS_PERMISSION):
            fields += ("result_trends",)
        return fields

    @admin.display(description="result trends")
    def result_trends(self, obj) -> str:
        analytes = list(
            published_results(pet_id=obj.pk)
            .order_by("analyte__code")
            .values_list("analyte__code", "analyte__name")
            .distinct()
        )
        if not analytes:
            return "No published results yet."
        return format_html_join(
            "",
            '<figure style="display:inline-block;margin:0 8px 8px 0"><img src="{}" width="450" height="225" '
            'alt="{} trend" loading="lazy"><figcaption>{} — {}</figcaption></figure>',
            ((reverse("admin:pets_pet_trend", args=[obj.pk, code]), code, code, name) for code, name in analytes),
        )

    @admin.display(description="weight history")
    def weight_history(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "—"
        rows = (
            Booking.objects.filter(pet_id=obj.pk, pet_weight_kg__isnull=False)
            .order_by("-collected_at", "-id")
            .values_list("collected_at", "pet_weight_kg", "code")[:20]
        )
        if not rows:
            return "Not weighed at a visit yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li>{}: {} kg ({})</li>", ((date_format(localtime(at)), kg, code) for at, kg, code in rows)
            ),
        )

    def get_urls(self):
        trend = path(
            "<path:object_id>/trend/<str:analyte>.png",
            self.admin_site.admin_view(self.trend_view),
            name="pets_pet_trend",
        )
        return [trend, *super().get_urls()]

    def trend_view(self, request, object_id, analyte):
        """The pet's trend chart of one analyte: for staff who may view results and may see this pet (a
        collector's scoping applies through ``get_queryset``)."""
        if not request.user.has_perm(RESULTS_PERMISSION):
            raise PermissionDenied
        pet = self.get_object(request, unquote(object_id))
        if pet is None or not self.has_view_permission(request, pet):
            raise Http404
        png = pet_trend_png(pet_id=pet.pk, analyte_code=analyte, released_only=False)
        if png is None:
            raise Http404
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, max-age=300"
        return response


@admin.register(Address)
class VisitScopedAddressAdmin(VisitScopedAdmin, AddressAdmin):
    visit_field = "address"
