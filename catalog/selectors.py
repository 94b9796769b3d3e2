"""Reads of the catalog for other apps."""

from catalog.models import LabTest
from diagnopet.reference_cache import reference_cached, reference_name

BOOKABLE_TESTS_CACHE = reference_name("catalog-bookable-tests")


def bookable_tests_cached() -> dict[int, LabTest]:
    """Every active test by id, with its prices, from the shared reference cache: what quotes and bookings price
    from. ``catalog.signals`` invalidates it whenever a test is saved or deleted (the admin and the CSV import save
    each row). The tests are shared objects: read them, never change them."""
    return reference_cached(BOOKABLE_TESTS_CACHE, _bookable_tests)


def _bookable_tests() -> dict[int, LabTest]:
    return {test.id: test for test in LabTest.objects.active().order_by("id")}
