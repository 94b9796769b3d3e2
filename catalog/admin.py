from django.contrib import admin
from django.db.models import Count

from catalog.models import LabTest, TestCategory, TestTag

TIMESTAMPS = ("created_at", "updated_at")


@admin.register(TestCategory)
class TestCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "display_order", "is_active", "test_count")
    ordering = ("display_order", "name")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(test_count=Count("tests"))

    @admin.display(description="tests", ordering="test_count")
    def test_count(self, obj) -> int:
        return obj.test_count


@admin.register(TestTag)
class TestTagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "test_count")
    ordering = ("name",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(test_count=Count("tests"))

    @admin.display(description="tests", ordering="test_count")
    def test_count(self, obj) -> int:
        return obj.test_count


@admin.register(LabTest)
class LabTestAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "category",
        "price",
        "discounted_price",
        "sample_type",
        "tat_hours",
        "fasting_required",
        "is_package",
        "is_active",
    )
    list_select_related = ("category",)
    list_filter = ("is_active", "category", "is_package", "fasting_required", "sample_type", "tags")
    search_fields = ("code", "name", "description")
    autocomplete_fields = ("tags",)
    readonly_fields = TIMESTAMPS
    fieldsets = (
        (None, {"fields": ("code", "name", "category", "tags", "species", "description", "is_package", "is_active")}),
        ("Price", {"fields": ("price", "discounted_price")}),
        (
            "Sample",
            {
                "fields": (
                    "sample_type",
                    "tube_type",
                    "sample_quantity_ml",
                    "fasting_required",
                    "collection_instructions",
                    "tat_hours",
                )
            },
        ),
        ("Record", {"fields": TIMESTAMPS}),
    )
