"""Reads of the catalog for other apps."""

from collections.abc import Iterable

from catalog.models import LabTest, PackageComponent
from diagnopet.reference_cache import reference_get, reference_key

BOOKABLE_TESTS_CACHE = reference_key("catalog-bookable-tests")
# What a quote shows, prices from and checks (the species it is offered for).
_QUOTED_FIELDS = ("id", "code", "name", "price", "discounted_price", "species", "is_package")
# What a booking reads more, with them: the category (its bill's split) and the tube (its answer shows the items).
_BOOKED_FIELDS = ("category", "tube_type")
PACKAGE_COMPONENTS_CACHE = reference_key("catalog-package-components")
# A component as a booking prices it (its share of the package follows its own price) and books it.
_COMPONENT_FIELDS = ("id", "code", "name", "price", "discounted_price")


def bookable_tests_cached() -> dict[int, LabTest]:
    """Every bookable test (``LabTestQuerySet.active``) by id, with its prices, from the shared reference cache:
    what quotes price from. ``catalog.signals`` invalidates it whenever a test or a category is saved or deleted
    (the admin and the CSV import save each row). The cache holds rows; each call gets its own instances."""
    rows = reference_get(BOOKABLE_TESTS_CACHE, _bookable_test_rows)
    return {row["id"]: LabTest(**row) for row in rows}


def bookable_tests_read(ids: Iterable[int]) -> dict[int, LabTest]:
    """The bookable tests among ``ids``, by id, read from the database (one query): what a booking charges, never an
    older cached copy."""
    return {
        test.id: test for test in LabTest.objects.active().filter(pk__in=ids).only(*_QUOTED_FIELDS, *_BOOKED_FIELDS)
    }


def _bookable_test_rows() -> list[dict]:
    return list(LabTest.objects.active().order_by("id").values(*_QUOTED_FIELDS))


def tests_named(ids: Iterable[int]) -> dict[int, str]:
    """The names of the tests among ``ids`` that exist, bookable or not (to say which ones cannot be booked)."""
    return dict(LabTest.objects.filter(pk__in=ids).values_list("id", "name"))


def package_components_cached() -> dict[int, list[LabTest]]:
    """Every package's component tests (package id → its tests in the package's order), from the shared reference
    cache: what quotes expand packages with. Invalidated with the bookable tests (``catalog.signals``)."""
    packages: dict[int, list[LabTest]] = {}
    for row in reference_get(PACKAGE_COMPONENTS_CACHE, _package_component_rows):
        package_id = row.pop("package_id")
        packages.setdefault(package_id, []).append(LabTest(**row))
    return packages


def package_components_read(package_ids: Iterable[int]) -> dict[int, list[LabTest]]:
    """The component tests of ``package_ids`` (package id → its tests in order), read from the database in one
    query: what a booking books. A component need not be sold on its own (``is_active``): the package is."""
    links = (
        PackageComponent.objects.filter(package_id__in=package_ids)
        .select_related("test")
        .only("package", "position", *(f"test__{name}" for name in (*_COMPONENT_FIELDS, *_BOOKED_FIELDS)))
        .order_by("package_id", "position")
    )
    packages: dict[int, list[LabTest]] = {}
    for link in links:
        packages.setdefault(link.package_id, []).append(link.test)
    return packages


def _package_component_rows() -> list[dict]:
    links = PackageComponent.objects.order_by("package_id", "position")
    return [
        {"package_id": row["package_id"], **{name: row[f"test__{name}"] for name in _COMPONENT_FIELDS}}
        for row in links.values("package_id", *(f"test__{name}" for name in _COMPONENT_FIELDS))
    ]
