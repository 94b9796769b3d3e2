"""Money arithmetic: the one place where amounts are rounded."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value) -> Decimal:
    """Round to paise (2 places), half-up — the rounding rule for every amount we store or show."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
