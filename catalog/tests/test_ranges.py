"""The flag rule (catalog.ranges): edges exactly as ReferenceRange documents them, species, age bands."""

import datetime
from decimal import Decimal

import pytest

from catalog.ranges import Flag, Limits, age_in_months, flag_for, range_for, value_parse
from catalog.tests.factories import ReferenceRangeFactory

D = Decimal
HGB = Limits(low=D("12.0"), high=D("18.0"), critical_low=D("7.0"), critical_high=D("25.0"))


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("6.9999", Flag.CRITICAL_LOW),
        ("7.0", Flag.LOW),  # the critical limit itself is not critical
        ("11.9999", Flag.LOW),
        ("12.0", Flag.NORMAL),  # both normal limits are inclusive
        ("15", Flag.NORMAL),
        ("18.0", Flag.NORMAL),
        ("18.0001", Flag.HIGH),
        ("25.0", Flag.HIGH),
        ("25.0001", Flag.CRITICAL_HIGH),
    ],
)
def test_flags_at_the_edges(value, flag):
    assert flag_for(D(value), HGB) == flag


def test_an_empty_limit_is_no_limit_on_that_side():
    upper_only = Limits(high=D("0.9"))  # total bilirubin: 0–0.9, nothing is too low

    assert flag_for(D("0"), upper_only) == Flag.NORMAL
    assert flag_for(D("0.9"), upper_only) == Flag.NORMAL
    assert flag_for(D("1.0"), upper_only) == Flag.HIGH
    assert flag_for(D("-5"), Limits(low=D("1"), high=D("2"))) == Flag.LOW  # no critical limit: never critical
    assert flag_for(D("3"), Limits(low=D("1"), critical_high=D("2"))) == Flag.CRITICAL_HIGH


def test_no_range_without_any_limit():
    assert flag_for(D("5"), Limits()) == Flag.NO_RANGE
    assert flag_for(D("5"), Limits.of(None)) == Flag.NO_RANGE


def _range(**values):
    return ReferenceRangeFactory.build(**{"critical_low": None, "critical_high": None, **values})


def _ranges():
    dog = _range(species="dog", low=D("37"), high=D("55"))
    cat = _range(species="cat", low=D("30"), high=D("45"))
    puppy = _range(species="dog", min_age_months=0, max_age_months=6, low=D("28"), high=D("48"))
    young = _range(species="dog", min_age_months=0, max_age_months=12, low=D("30"), high=D("50"))
    senior = _range(species="dog", min_age_months=96, low=D("35"), high=D("54"))
    return dog, cat, puppy, young, senior


def test_species_specific_ranges():
    dog, cat, *_ = _ranges()
    ranges = [dog, cat]

    assert range_for(ranges, species="dog", age_months=36) is dog
    assert range_for(ranges, species="cat", age_months=36) is cat
    assert range_for(ranges, species="CAT", age_months=None) is cat
    assert range_for(ranges, species="rabbit", age_months=36) is None
    # The same value is normal for a dog and high for a cat.
    assert flag_for(D("50"), Limits.of(dog)) == Flag.NORMAL
    assert flag_for(D("50"), Limits.of(cat)) == Flag.HIGH


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0, "puppy"),  # the band's lower end is inside it
        (5, "puppy"),  # [0, 6) and [0, 12) both contain 5: the narrower wins
        (6, "young"),  # the upper end is outside: 6 months is no longer a puppy
        (11, "young"),
        (12, "dog"),
        (95, "dog"),
        (96, "senior"),  # a half-open band beats the range for every age
        (200, "senior"),
        (None, "dog"),  # an unknown age fits only the range for every age
    ],
)
def test_the_most_specific_age_band_wins(age, expected):
    dog, cat, puppy, young, senior = _ranges()
    named = {"dog": dog, "puppy": puppy, "young": young, "senior": senior}

    assert range_for([senior, young, dog, cat, puppy], species="dog", age_months=age) is named[expected]


def test_no_band_fits_and_no_range_for_every_age():
    puppy = _range(species="dog", min_age_months=0, max_age_months=6)

    assert range_for([puppy], species="dog", age_months=7) is None
    assert range_for([puppy], species="dog", age_months=None) is None


def test_age_in_months_counts_whole_months():
    born = datetime.date(2024, 1, 31)

    assert age_in_months(born, datetime.date(2024, 2, 29)) == 0
    assert age_in_months(born, datetime.date(2024, 3, 31)) == 2
    assert age_in_months(born, datetime.date(2025, 1, 30)) == 11
    assert age_in_months(born, datetime.date(2025, 1, 31)) == 12
    assert age_in_months(None, datetime.date(2025, 1, 31)) is None
    assert age_in_months(born, datetime.date(2023, 1, 1)) == 0


@pytest.mark.parametrize(
    ("text", "decimals", "value"),
    [("45.2", 1, D("45.2")), (" 7 ", 0, D("7")), ("-2.50", 2, D("-2.50")), ("+0.8", 1, D("0.8")), (".5", 1, D("0.5"))],
)
def test_values_parse(text, decimals, value):
    assert value_parse(text, decimals=decimals) == value


@pytest.mark.parametrize(
    ("text", "decimals", "message"),
    [
        ("", 1, "is empty"),
        ("abc", 1, "is not a number"),
        ("1,5", 1, "is not a number"),
        ("1e3", 1, "is not a number"),
        ("NaN", 1, "is not a number"),
        ("1.2.3", 1, "is not a number"),
        ("-", 1, "is not a number"),
        ("٣", 0, "is not a number"),
        ("45.25", 1, "too many decimals (at most 1 decimal place)"),
        ("7.5", 0, "too many decimals (no decimal places)"),
        ("99999999999", 0, "is too large"),
    ],
)
def test_values_that_are_not_numbers_are_refused(text, decimals, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        value_parse(text, decimals=decimals)
