"""Filters for the public catalog."""

from django.db.models import Q
from django_filters import rest_framework as filters

from catalog.querysets import LabTestQuerySet
from diagnopet.api.filters import StrictBooleanFilter
from diagnopet.api.pagination import whole_number


class StableOrderingFilter(filters.OrderingFilter):
    """Orders as asked, then by id, so pages never repeat or skip rows that tie."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "id") if value else qs


class LabTestFilter(filters.FilterSet):
    category = filters.CharFilter(method="filter_category", help_text="Category id or slug.")
    tag = filters.CharFilter(field_name="tags__slug", help_text="Tag slug.")
    sample_type = filters.CharFilter(lookup_expr="iexact", help_text="e.g. Whole blood (case-insensitive).")
    # current_price is annotated by LabTestQuerySet.with_current_price(): the discounted price if set, else price.
    min_price = filters.NumberFilter(
        field_name="current_price", lookup_expr="gte", help_text="Price paid (discounted if set) at least this."
    )
    max_price = filters.NumberFilter(
        field_name="current_price", lookup_expr="lte", help_text="Price paid (discounted if set) at most this."
    )
    fasting_required = StrictBooleanFilter()
    is_package = StrictBooleanFilter()
    species = filters.CharFilter(method="filter_species", help_text="Tests offered for this species, e.g. dog.")
    ordering = StableOrderingFilter(
        fields=(("name", "name"), ("current_price", "price"), ("tat_hours", "tat_hours")),
        help_text="name, price (the price paid) or tat_hours; prefix with - for descending.",
    )

    def filter_category(self, queryset, name, value):
        condition = Q(category__slug=value)
        category_id = whole_number(value)  # ASCII digits only: "²" passes str.isdigit() but not int()
        if category_id is not None:
            condition |= Q(category_id=category_id)
        return queryset.filter(condition)

    def filter_species(self, queryset: LabTestQuerySet, name, value):
        return queryset.offered_for(value.strip().lower())
