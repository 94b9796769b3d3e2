"""Money arithmetic and display: the one place where amounts are rounded, and the one place they are written out."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency
from django.conf import settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value) -> Decimal:
    """Round to paise (2 places), half-up — the rounding rule for every amount we store or show."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def split_amount(total, weights) -> list[Decimal]:
    """``total`` shared out in proportion to ``weights``, in paise, summing exactly to ``total``.

    Largest remainder: each share is its exact proportion rounded down to a paisa, and the paise left over go one
    each to the shares that lost the most to that rounding (the earlier one first on a tie), so the result depends
    only on the inputs and their order. All weights zero (or none positive): equal shares, the same way. A package's
    price split across its tests (``bookings``) uses it.
    """
    paise_total = int(to_money(total) / CENT)
    weights = [max(Decimal(w or 0), Decimal(0)) for w in weights]
    if not weights:
        return []
    if not any(weights):
        weights = [Decimal(1)] * len(weights)
    weight_sum = sum(weights)
    exact = [Decimal(paise_total) * w / weight_sum for w in weights]
    paise = [int(share) for share in exact]  # non-negative: int() rounds down
    leftover = paise_total - sum(paise)
    by_loss = sorted(range(len(exact)), key=lambda i: (-(exact[i] - paise[i]), i))
    for i in by_loss[:leftover]:
        paise[i] += 1
    return [Decimal(p) * CENT for p in paise]


# The locale whose digit grouping staff read (lakh and crore: ₹1,23,45,678.50); babel knows each currency's symbol.
MONEY_LOCALE = "en_IN"


def format_money(amount, currency: str | None = None) -> str:
    """``amount`` as staff and customers read it: the currency's symbol (``settings.CURRENCY``), Indian digit
    grouping, two places; ``—`` for no amount. ``format_money(Decimal("1250"))`` is ``"₹1,250.00"``."""
    if amount is None or amount == "":
        return "—"
    return format_currency(to_money(amount), currency or settings.CURRENCY, locale=MONEY_LOCALE)
