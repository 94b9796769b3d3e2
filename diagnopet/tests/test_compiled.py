"""``CompiledColumns`` (diagnopet/api/compiled.py): the rows of any queryset, in its order, in one statement whose
column part was compiled once, exactly the rows ``values_list()`` gives; and ``values_list()`` itself wherever that
cannot be guaranteed."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import Booking, BookingItem
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory
from diagnopet.api.compiled import CompiledColumns
from promotions.tests.factories import CouponFactory

pytestmark = pytest.mark.django_db

# Plain columns, a non-null foreign key's column, nullable ones (slot, coupon: LEFT JOINs), a datetime and money.
COLUMNS = ("id", "code", "pet__name", "slot__date", "slot__start_time", "coupon__code", "total_amount", "created_at")


@pytest.fixture
def bookings():
    slot = CollectionSlotFactory(date=timezone.localdate() + datetime.timedelta(days=2), start_time=datetime.time(8))
    made = [
        BookingFactory(slot=slot, subtotal=Decimal("500.00")),
        BookingFactory(slot=None, coupon=CouponFactory(), subtotal=Decimal("250.50")),
        BookingFactory(slot=slot, coupon=CouponFactory(), subtotal=Decimal("500.00")),
        BookingFactory(slot=None, subtotal=Decimal("990.00")),
    ]
    return made


def _read(compiled, queryset):
    with CaptureQueriesContext(connection) as ctx:
        rows = list(compiled.rows(queryset))
    return rows, [query["sql"] for query in ctx.captured_queries]


@pytest.mark.parametrize(
    "shape",
    [
        lambda qs: qs.order_by("-subtotal", "id"),  # ties on subtotal: the second key decides
        lambda qs: qs.order_by("slot__date", "-id"),  # nulls and an ordering through a join
        lambda qs: qs.filter(coupon__isnull=False).order_by("code"),
        lambda qs: qs.order_by("id")[1:3],  # a page
        lambda qs: qs.filter(pet__name__isnull=False, subtotal__gte=Decimal("300")),
    ],
)
def test_rows_are_values_list_rows_in_one_statement(bookings, shape):
    compiled = CompiledColumns(Booking, COLUMNS)
    queryset = shape(Booking.objects.all())

    rows, statements = _read(compiled, queryset)

    # repr: the same Decimal places and the same tzinfo, not only equal values
    assert [tuple(map(repr, row)) for row in rows] == [tuple(map(repr, row)) for row in queryset.values_list(*COLUMNS)]
    assert len(rows) >= 1
    assert len(statements) == 1
    assert "unnest(ARRAY(" in statements[0]


def test_nothing_to_read_is_no_statement(bookings):
    rows, statements = _read(CompiledColumns(Booking, COLUMNS), Booking.objects.filter(pk__in=[]))
    assert rows == []
    assert statements == []


@pytest.mark.parametrize(
    "shape",
    [
        lambda qs: qs.distinct(),
        lambda qs: qs.annotate(lines=Count("items")).order_by("-lines", "id"),
        lambda qs: qs.filter(subtotal=Decimal("500.00")).union(qs.filter(subtotal=Decimal("990.00"))),
    ],
)
def test_what_it_cannot_express_is_read_with_values_list(bookings, shape):
    queryset = shape(Booking.objects.all())
    rows, statements = _read(CompiledColumns(Booking, COLUMNS), queryset)
    assert sorted(rows) == sorted(queryset.values_list(*COLUMNS))
    assert "unnest" not in statements[0]


def test_another_models_queryset_is_refused_like_values_list(bookings):
    """Keys of another table must never be read as this table's: values_list() raises, and so does this."""
    item_ids = BookingItem.objects.filter(booking__in=bookings)
    with pytest.raises(FieldError):
        list(CompiledColumns(Booking, ("id", "code", "pet__name")).rows(item_ids))


def test_a_column_across_a_to_many_relation_is_read_with_values_list(bookings):
    """values_list() reuses a filter's join on the same to-many relation (one row per matching item); a template
    compiled apart cannot, so such columns are not compiled."""
    for booking in bookings[:2]:
        BookingItemFactory(booking=booking, sequence=1)
        BookingItemFactory(booking=booking, sequence=2)
    columns = ("id", "items__sequence")
    queryset = Booking.objects.filter(items__sequence=1).order_by("id")
    rows, statements = _read(CompiledColumns(Booking, columns), queryset)
    assert rows == list(queryset.values_list(*columns))
    assert len(rows) == 2
    assert "unnest" not in statements[0]


def test_the_column_sql_is_compiled_once(bookings):
    compiled = CompiledColumns(Booking, COLUMNS)
    list(compiled.rows(Booking.objects.all()))
    template = compiled._templates[Booking.objects.db]
    list(compiled.rows(Booking.objects.filter(pk=bookings[0].pk)))
    assert compiled._templates[Booking.objects.db] is template
