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
from django.db.models import Count, Q, Value
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
    template = compiled._plans[Booking.objects.db]
    list(compiled.rows(Booking.objects.filter(pk=bookings[0].pk)))
    assert compiled._plans[Booking.objects.db] is template


def _fields(instance) -> dict:
    return {field.attname: repr(getattr(instance, field.attname)) for field in instance._meta.concrete_fields}


def _pet_read_builds():
    """The pet read of booking_quote, with a count of how often its queryset is built."""
    builds = []

    def build(pet_id, user_id):
        builds.append((pet_id, user_id))
        return Pet.objects.select_related("user").filter(
            pk=pet_id, user_id=user_id, user__is_active=True, is_active=True
        )

    return CompiledRead(build, "pet_id", "user_id"), builds


def _pet_with_its_own_numbers():
    """A pet whose key differs from its owner's (the two come from separate sequences), so that swapped values
    would find nothing."""
    pet = PetFactory(name="Bruno")
    while pet.pk == pet.user_id:
        pet = PetFactory(user=pet.user, name="Bruno")
    return pet


def test_read_is_first_with_its_related_row_in_one_statement():
    pet = _pet_with_its_own_numbers()
    read, _builds = _pet_read_builds()
    expected = Pet.objects.select_related("user").get(pk=pet.pk)

    with CaptureQueriesContext(connection) as ctx:
        found = read.first(pet_id=pet.pk, user_id=pet.user_id)
        owner = found.user  # loaded with it: no query
    assert len(ctx.captured_queries) == 1
    assert _fields(found) == _fields(expected)
    assert _fields(owner) == _fields(expected.user)
    assert (found._state.db, found._state.adding, owner._state.adding) == ("default", False, False)

    found.name = "Bruno II"
    found.save(update_fields=["name"])  # a row read from the database: saving updates it
    assert Pet.objects.get(pk=pet.pk).name == "Bruno II"
    assert Pet.objects.filter(name__startswith="Bruno").count() == Pet.objects.filter(user=pet.user).count()


def test_read_is_built_and_compiled_once_then_only_run():
    pets = [_pet_with_its_own_numbers() for _ in range(3)]
    read, builds = _pet_read_builds()
    assert read.first(pet_id=pets[0].pk, user_id=pets[0].user_id).pk == pets[0].pk
    plan, built = read._plans["default"], len(builds)
    assert plan is not None

    found = [read.first(pet_id=pet.pk, user_id=pet.user_id) for pet in pets]
    assert [pet.pk for pet in found] == [pet.pk for pet in pets]
    assert read.first(pet_id=pets[0].user_id, user_id=pets[0].pk) is None  # the values in their own places
    assert len(builds) == built  # no queryset built per read: the compiled statement ran
    assert read._plans["default"] is plan


def test_read_answers_none_when_no_row_matches():
    pet = _pet_with_its_own_numbers()
    read, _builds = _pet_read_builds()
    assert read.first(pet_id=pet.pk, user_id=UserFactory().pk) is None
    pet.user.is_active = False  # a condition on the joined row
    pet.user.save(update_fields=["is_active"])
    assert read.first(pet_id=pet.pk, user_id=pet.user_id) is None
    assert read._plans["default"] is not None


def test_read_applies_the_fields_database_converters():
    """A JSON field is decoded by its converter, as the ORM does, and the joined row by its own."""
    test = LabTestFactory(species=["dog", "cat"])
    read = CompiledRead(lambda test_id: LabTest.objects.select_related("category").filter(pk=test_id), "test_id")
    found = read.first(test_id=test.pk)
    assert read._plans["default"] is not None
    assert found.species == ["dog", "cat"]
    assert _fields(found) == _fields(LabTest.objects.select_related("category").get(pk=test.pk))
    assert _fields(found.category) == _fields(test.category)


def test_read_takes_exactly_its_values():
    read, _builds = _pet_read_builds()
    with pytest.raises(TypeError):
        read.first(pet_id=1)
    with pytest.raises(TypeError):
        read.first(pet_id=1, user_id=2, name="Bruno")


def _item_by_booking_or_sequence(key):
    # sequence is a smallint: a sentinel out of its range would drop this condition from the compiled SQL
    return BookingItem.objects.filter(Q(booking_id=key) | Q(sequence=key))


@pytest.mark.parametrize(
    "how",
    [
        "a string key",
        "a value used twice",
        "a value transformed (into a Decimal)",
        "a constant of its own",
        "a value an out-of-range check would drop",
        "a value a lookup refuses (a year)",
        "a value build converts (a date)",
    ],
)
def test_what_it_cannot_prove_is_read_with_first(how):
    pet = _pet_with_its_own_numbers()
    pet.weight_kg = Decimal("24.50")
    pet.save(update_fields=["weight_kg"])
    item = BookingItemFactory(booking=BookingFactory(pet=pet, user=pet.user), sequence=1)
    reads = {
        "a string key": (_pet_read_builds()[0], {"pet_id": str(pet.pk), "user_id": pet.user_id}, pet),
        "a value used twice": (
            CompiledRead(lambda key: Pet.objects.filter(pk=key, id__gte=key), "key"),
            {"key": pet.pk},
            pet,
        ),
        "a value transformed (into a Decimal)": (
            CompiledRead(lambda key: Pet.objects.filter(pk=key, weight_kg__lte=key), "key"),
            {"key": pet.pk},
            pet,
        ),
        "a constant of its own": (
            CompiledRead(lambda key: Pet.objects.filter(pk=key, name="Bruno"), "key"),
            {"key": pet.pk},
            pet,
        ),
        "a value an out-of-range check would drop": (
            CompiledRead(_item_by_booking_or_sequence, "key"),
            {"key": 1},
            item,
        ),
        "a value a lookup refuses (a year)": (
            CompiledRead(lambda year: Pet.objects.filter(created_at__year=year), "year"),
            {"year": pet.created_at.year},
            pet,
        ),
        "a value build converts (a date)": (
            CompiledRead(lambda day: Pet.objects.filter(created_at__date=datetime.date.fromordinal(day)), "day"),
            {"day": timezone.localdate(pet.created_at).toordinal()},
            pet,
        ),
    }
    read, values, expected = reads[how]
    found = read.first(**values)
    assert found is not None
    assert _fields(found) == _fields(read.build(**values).first())
    if how not in ("a value a lookup refuses (a year)", "a value build converts (a date)"):
        assert found.pk == expected.pk  # (the other two find the first pet of that year or day)
    if how != "a string key":
        assert read._plans.get("default") is None  # never compiled: the ORM answers every call


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


@pytest.mark.parametrize("rows", [1, 3])
def test_insert_of_booking_items_stores_what_bulk_create_stores(rows):
    """Nullable keys and times (arrays of NULLs), empty texts, choices and money, as on every booking."""
    tests = [LabTestFactory() for _ in range(rows)]
    ours, theirs = BookingFactory(), BookingFactory()

    def items(booking):
        return [
            BookingItem(booking=booking, sequence=n, test=test, quantity=1, unit_price=Decimal("450.5"))
            for n, test in enumerate(tests, start=1)
        ]

    insert = CompiledInsert(BookingItem)
    made = insert.create(items(ours))
    assert insert._plans["default"] is not None
    expected = BookingItem.objects.bulk_create(items(theirs))
    skip = {"id", "booking_id", "created_at", "updated_at"}
    for obj, other in zip(made, expected, strict=True):
        stored = BookingItem.objects.get(pk=obj.pk)
        assert (stored.booking_id, stored.created_at, obj._state.adding) == (ours.pk, obj.created_at, False)
        assert {k: v for k, v in _fields(stored).items() if k not in skip} == {
            k: v for k, v in _fields(BookingItem.objects.get(pk=other.pk)).items() if k not in skip
        }


def test_insert_takes_a_related_objects_key_and_refuses_an_unsaved_one():
    category = TestCategoryFactory.build()
    obj = CategoryDayTotal(day=datetime.date(2026, 12, 4), category=category, items=1, amount=Decimal("1.00"))
    with pytest.raises(ValueError, match="unsaved related object"):
        CompiledInsert(CategoryDayTotal).create([obj])
    assert CategoryDayTotal.objects.count() == 0

    category.save()  # saved after it was assigned: its key is taken, as bulk_create does
    (made,) = CompiledInsert(CategoryDayTotal).create([obj])
    assert CategoryDayTotal.objects.get(pk=made.pk).category_id == category.pk


def test_insert_is_one_statement_text_for_any_number_of_rows():
    categories = [TestCategoryFactory() for _ in range(3)]
    insert = CompiledInsert(CategoryDayTotal)
    insert.create(_totals(categories[:1], datetime.date(2026, 12, 4)))
    plan = insert._plans["default"]
    assert plan is not None
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
