"""The flag rule of a result: which reference range applies, and where a value falls in it. One function each,
used by the worklist, the analyser import and anything that shows a flag (the browser's "as you type" flag is a
copy of ``flag_for`` in ``bookings/static/bookings/worklist.js``).

The rule is ``ReferenceRange``'s docstring: ``low <= v <= high`` is normal (both limits inclusive), below ``low``
low, above ``high`` high; below ``critical_low`` or above ``critical_high`` critical (the critical limits themselves
are not critical). An empty limit is no limit on that side; a range without any limit, or no range at all for the
species and age, is ``no_range``. The age band is ``[min_age_months, max_age_months)``; of the bands that contain
the pet's age, the most specific wins: a closed band over a half-open one over the range for every age, and of two
closed bands the narrower.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from catalog.models import ReferenceRange


class Flag(models.TextChoices):
    """Where a value falls (``bookings.ResultValue.flag``)."""

    NORMAL = "normal", "Normal"
    LOW = "low", "Low"
    HIGH = "high", "High"
    CRITICAL_LOW = "critical_low", "Critical low"
    CRITICAL_HIGH = "critical_high", "Critical high"
    NO_RANGE = "no_range", "No reference range"


CRITICAL_FLAGS = frozenset({Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH})


@dataclass(frozen=True)
class Limits:
    """The four limits a value is judged against (copied onto each result at entry)."""

    low: Decimal | None = None
    high: Decimal | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None

    @classmethod
    def of(cls, reference: ReferenceRange | None) -> "Limits":
        if reference is None:
            return cls()
        return cls(reference.low, reference.high, reference.critical_low, reference.critical_high)

    @property
    def empty(self) -> bool:
        return self.low is None and self.high is None and self.critical_low is None and self.critical_high is None


def age_in_months(date_of_birth: datetime.date | None, on: datetime.date) -> int | None:
    """Whole months completed from birth to ``on`` (None when the birth date is unknown; 0 before birth)."""
    if date_of_birth is None:
        return None
    months = (on.year - date_of_birth.year) * 12 + (on.month - date_of_birth.month)
    if on.day < date_of_birth.day:
        months -= 1
    return max(months, 0)


def _contains(reference: ReferenceRange, age: int | None) -> bool:
    low, high = reference.min_age_months, reference.max_age_months
    if low is None and high is None:
        return True
    if age is None:
        return False  # an unknown age fits only the range for every age
    return (low is None or low <= age) and (high is None or age < high)


def _specificity(reference: ReferenceRange) -> tuple:
    """Smaller is more specific: fewer open ends, then a narrower band, then the younger band (a stable order)."""
    low, high = reference.min_age_months, reference.max_age_months
    open_ends = (low is None) + (high is None)
    width = (high - low) if low is not None and high is not None else 0
    return (open_ends, width, low if low is not None else -1, high if high is not None else -1)


def range_for(ranges: Iterable[ReferenceRange], *, species: str, age_months: int | None) -> ReferenceRange | None:
    """The range that applies to an animal of ``species`` aged ``age_months`` among ``ranges`` (an analyte's,
    as loaded: no query here), or None."""
    species = (species or "").lower()
    fitting = [r for r in ranges if r.species.lower() == species and _contains(r, age_months)]
    return min(fitting, key=_specificity, default=None)


def flag_for(value: Decimal, limits: Limits) -> Flag:
    """Where ``value`` falls within ``limits`` (the module docstring's rule)."""
    if limits.empty:
        return Flag.NO_RANGE
    if limits.critical_low is not None and value < limits.critical_low:
        return Flag.CRITICAL_LOW
    if limits.critical_high is not None and value > limits.critical_high:
        return Flag.CRITICAL_HIGH
    if limits.low is not None and value < limits.low:
        return Flag.LOW
    if limits.high is not None and value > limits.high:
        return Flag.HIGH
    return Flag.NORMAL


def value_parse(text: str, *, decimals: int) -> Decimal:
    """A result typed or exported as ``text``: a plain decimal number (a sign and a point, no thousands separators)
    with at most ``decimals`` places. ``ValueError`` with the message to show otherwise."""
    text = (text or "").strip()
    if not text:
        raise ValueError("is empty")
    if not all(c.isascii() and (c.isdigit() or c in "+-.") for c in text) or not any(c.isdigit() for c in text):
        raise ValueError(f"'{text[:20]}' is not a number")
    try:
        number = Decimal(text)
    except ArithmeticError:
        raise ValueError(f"'{text[:20]}' is not a number") from None
    if not number.is_finite():
        raise ValueError(f"'{text[:20]}' is not a number")
    if number.as_tuple().exponent < -decimals:
        places = "no decimal places" if decimals == 0 else f"at most {decimals} decimal place{'s' * (decimals > 1)}"
        raise ValueError(f"'{text}' has too many decimals ({places})")
    if abs(number) >= Decimal(10) ** 10:
        raise ValueError(f"'{text[:20]}' is too large")
    return number
