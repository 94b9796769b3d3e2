"""Reads of the catalog for other apps."""

from collections.abc import Iterable

from catalog.models import LabTest
from diagnopet.reference_cache import reference_get, reference_key

BOOKABLE_TESTS_CACHE = reference_key("catalog-bookable-tests")
# What a quote shows, prices from and checks (the species it is offered for); a booking's items also need the
# category, read with them.
_QUOTED_FIELDS = ("id", "code", "name", "price", "discounted_price", "species")


def bookable_tests_cached() -> dict[int, LabTest]:
    """Every bookable test (``LabTestQuerySet.active``) by id, with its prices, from the shared reference cache:
    what quotes price from. ``catalog.signals`` invalidates it whenever a test or a category is saved or deleted
    (the admin and the CSV import save each row). The cache holds rows; each call gets its own instances."""
    rows = reference_get(BOOKABLE_TESTS_CACHE, _bookable_test_rows)
    return {row["id"]: LabTest(**row) for row in rows}


def bookable_tests_read(ids: Iterable[int]) -> dict[int, LabTest]:
    """The bookable tests among ``ids``, by id, read from the database (one query): what a booking charges, never an
    older cached copy."""
    return {test.id: test for test in LabTest.objects.active().filter(pk__in=ids).only(*_QUOTED_FIELDS, "category")}


def _bookable_test_rows() -> list[dict]:
    return list(LabTest.objects.active().order_by("id").values(*_QUOTED_FIELDS))


def tests_named(ids: Iterable[int]) -> dict[int, str]:
    """The names of the tests among ``ids`` that exist, bookable or not (to say which ones cannot be booked)."""
    return dict(LabTest.objects.filter(pk__in=ids).values_list("id", "name"))
