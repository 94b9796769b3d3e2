"""Read vocabulary for the catalog (no writes)."""

from django.db import connection, models
from django.db.models.functions import Coalesce


class LabTestQuerySet(models.QuerySet):
    def active(self):
        """Tests that are shown and bookable: active themselves and in an active category (switching a category
        off hides and stops every test in it, without touching the tests' own flags)."""
        return self.filter(is_active=True, category__is_active=True)

    def with_current_price(self):
        """``current_price``: what a customer pays per unit (discounted price if set, else price), for filters and
        ordering. Named apart from the model's ``effective_price`` property, which computes the same in Python."""
        return self.annotate(current_price=Coalesce("discounted_price", "price"))

    def offered_for(self, species: str):
        """Tests whose ``species`` list names ``species`` (``LabTest.offered_to`` says the same of one test, with an
        empty list meaning every species; this filter lists only the tests that name it)."""
        if connection.features.supports_json_field_contains:
            return self.filter(species__contains=[species])
        # SQLite (the bare-machine default) has no JSON containment: match the quoted element in the JSON text.
        return self.filter(species__icontains=f'"{species}"')

    @staticmethod
    def component_links_prefetch():
        """A package's ``component_links`` with their tests, in the package's order (one query for a page)."""
        from catalog.models import PackageComponent  # models.py imports this module

        links = PackageComponent.objects.select_related("test").order_by("package_id", "position")
        return models.Prefetch("component_links", queryset=links)

    def for_catalog(self):
        """Active tests with everything the public API shows, in a fixed number of queries."""
        return (
            self.active()
            .with_current_price()
            .select_related("category")
            # Tags of every test on the page in one query (in TestTag's order: by name), and the packages'
            # components with their tests in one more (in each package's order).
            .prefetch_related("tags", self.component_links_prefetch())
            # id last: a stable order for pagination when names repeat.
            .order_by("category__display_order", "name", "id")
        )
