from django.contrib import admin

from diagnopet.admin_base import LargeTableAdmin
from pets.models import Pet


@admin.register(Pet)
class PetAdmin(LargeTableAdmin, admin.ModelAdmin):
    """Collectors see only the pets of their visits: bookings/admin.py re-registers it with that rule."""

    list_display = ("name", "species", "breed", "sex", "user", "is_active", "is_deceased", "created_at")
    list_select_related = ("user",)
    list_filter = ("species", "sex", "neutered", "is_active", "is_deceased")
    search_fields = ("name", "breed", "microchip_id", "user__phone", "user__full_name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
