"""diagnopet/compiled.py. ``CompiledColumns``: the rows of any queryset, in its order, in one statement whose
column part was compiled once, exactly the rows ``values_list()`` gives; and ``values_list()`` itself wherever that
cannot be guaranteed. ``CompiledRead``: a keyed read's instance, exactly what ``first()`` gives, from a statement
compiled once; and ``first()`` itself wherever that cannot be guaranteed. ``CompiledInsert``: what ``bulk_create``
stores and sets on the objects, in one statement of one text for any number of rows."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.db.models import Count, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from billing.models import CategoryDayTotal
from bookings.models import Booking, BookingItem
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory
from catalog.models import LabTest
from catalog.tests.factories import LabTestFactory, TestCategoryFactory
from diagnopet.compiled import CompiledColumns, CompiledInsert, CompiledRead
from pets.models import Pet
from pets.tests.factories import PetFactory
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


def _fields(instance) -> dict:
    return {field.attname: repr(getattr(instance, field.attname)) for field in instance._meta.concrete_fields}


PET_READ = CompiledRead(
    lambda pet_id, user_id: Pet.objects.select_related("user").filter(pk=pet_id, user_id=user_id, is_active=True),
    "pet_id",
    "user_id",
)


def test_read_is_first_with_its_related_row_in_one_statement():
    pet = PetFactory(user=UserFactory(email="owner@example.com"), name="Bruno")
    expected = Pet.objects.select_related("user").filter(pk=pet.pk, user_id=pet.user_id, is_active=True).first()

    with CaptureQueriesContext(connection) as ctx:
        read = PET_READ.first(pet_id=pet.pk, user_id=pet.user_id)
        owner = read.user  # loaded with it: no query
    assert len(ctx.captured_queries) == 1
    assert _fields(read) == _fields(expected)
    assert _fields(owner) == _fields(expected.user)
    assert (read._state.db, read._state.adding, owner._state.adding) == ("default", False, False)

    read.name = "Bruno II"
    read.save(update_fields=["name"])  # a row read from the database: saving updates it
    assert list(Pet.objects.filter(user=pet.user).values_list("name", flat=True)) == ["Bruno II"]


def test_read_answers_none_when_no_row_matches():
    pet = PetFactory()
    other = UserFactory()
    assert PET_READ.first(pet_id=pet.pk, user_id=other.pk) is None
    Pet.objects.filter(pk=pet.pk).update(is_active=False)
    assert PET_READ.first(pet_id=pet.pk, user_id=pet.user_id) is None


def test_read_is_compiled_once():
    pets = [PetFactory(), PetFactory()]
    read = CompiledRead(lambda pet_id: Pet.objects.filter(pk=pet_id), "pet_id")
    with CaptureQueriesContext(connection) as ctx:
        first = read.first(pet_id=pets[0].pk)
        plan = read._plans["default"]
        second = read.first(pet_id=pets[1].pk)
    assert (first.pk, second.pk) == (pets[0].pk, pets[1].pk)
    assert read._plans["default"] is plan
    assert len(ctx.captured_queries) == 2


def test_read_applies_the_fields_database_converters():
    """A JSON field is decoded by its converter, as the ORM does, and the joined row by its own."""
    test = LabTestFactory(species=["dog", "cat"])
    read = CompiledRead(lambda test_id: LabTest.objects.select_related("category").filter(pk=test_id), "test_id")
    found = read.first(test_id=test.pk)
    assert found.species == ["dog", "cat"]
    assert _fields(found) == _fields(LabTest.objects.select_related("category").get(pk=test.pk))
    assert _fields(found.category) == _fields(test.category)


@pytest.mark.parametrize("how", ["a string key", "a value used twice"])
def test_what_it_cannot_express_is_read_with_first(how):
    pet = PetFactory()
    if how == "a string key":
        read, values = PET_READ, {"pet_id": str(pet.pk), "user_id": pet.user_id}
    else:
        read = CompiledRead(lambda key: Pet.objects.filter(pk=key, id__gte=key), "key")
        values = {"key": pet.pk}
    found = read.first(**values)
    assert _fields(found) == _fields(Pet.objects.get(pk=pet.pk))
    if how == "a value used twice":
        assert read._plans["default"] is None  # its position in the parameters is ambiguous: never compiled


def _totals(categories, day):
    return [
        CategoryDayTotal(day=day, category=category, items=n, amount=Decimal("12.34") * n)
        for n, category in enumerate(categories, start=1)
    ]


@pytest.mark.parametrize("rows", [1, 3])
def test_insert_stores_what_bulk_create_stores_in_one_statement(rows):
    categories = [TestCategoryFactory() for _ in range(rows)]
    day = datetime.date(2026, 12, 4)
    insert = CompiledInsert(CategoryDayTotal)
    objs = _totals(categories, day)
    with CaptureQueriesContext(connection) as ctx:
        made = insert.create(objs)
    assert made == objs
    assert len(ctx.captured_queries) == 1
    assert "UNNEST" in ctx.captured_queries[0]["sql"]

    expected = CategoryDayTotal.objects.bulk_create(_totals(categories, day + datetime.timedelta(days=1)))
    for obj, other in zip(made, expected, strict=True):
        assert obj.pk is not None
        assert (obj._state.adding, obj._state.db) == (False, "default")
        # auto_now stamps set, as bulk_create does
        assert None not in (obj.created_at, obj.updated_at)
        stored = CategoryDayTotal.objects.get(pk=obj.pk)
        assert _fields(stored) == _fields(obj)
        compared = {"id", "created_at", "updated_at", "day"}
        assert {k: v for k, v in _fields(stored).items() if k not in compared} == {
            k: v for k, v in _fields(CategoryDayTotal.objects.get(pk=other.pk)).items() if k not in compared
        }


def test_insert_is_one_statement_text_for_any_number_of_rows():
    categories = [TestCategoryFactory() for _ in range(3)]
    insert = CompiledInsert(CategoryDayTotal)
    insert.create(_totals(categories[:1], datetime.date(2026, 12, 4)))
    plan = insert._plans["default"]
    insert.create(_totals(categories, datetime.date(2026, 12, 5)))
    assert insert._plans["default"] is plan
    assert CategoryDayTotal.objects.count() == 4


def test_insert_of_nothing_is_no_statement():
    with CaptureQueriesContext(connection) as ctx:
        assert CompiledInsert(CategoryDayTotal).create([]) == []
    assert ctx.captured_queries == []


@pytest.mark.parametrize("how", ["an object with its key", "an expression among the values"])
def test_what_it_cannot_express_is_inserted_with_bulk_create(how):
    category = TestCategoryFactory()
    obj = CategoryDayTotal(day=datetime.date(2026, 12, 4), category=category, items=2, amount=Decimal("5.00"))
    if how == "an object with its key":
        obj.pk = 987654
    else:
        obj.items = Value(1) + Value(1)
    (made,) = CompiledInsert(CategoryDayTotal).create([obj])
    stored = CategoryDayTotal.objects.get(pk=made.pk)
    assert (stored.items, stored.amount, stored.category_id) == (2, Decimal("5.00"), category.pk)
    if how == "an object with its key":
        assert stored.pk == 987654
