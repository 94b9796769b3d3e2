"""Money arithmetic: the one place where amounts are rounded."""

from decimal import ROUND_HALF_UP, Decimal

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
