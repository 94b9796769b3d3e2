"""Splitting an amount (a package's price across its tests) to the paisa."""

from decimal import Decimal as D

import pytest

from diagnopet.money import split_amount


@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        # 2399 × 450/1900, 800/1900, 650/1900 = 568.18|42…, 1010.10|52…, 820.71|05…: the paisa left to the .52.
        ("2399.00", ["450", "800", "650"], ["568.18", "1010.11", "820.71"]),
        # Equal weights: the leftover paise go to the earliest.
        ("10.00", ["1", "1", "1"], ["3.34", "3.33", "3.33"]),
        ("0.02", ["5", "5", "5"], ["0.01", "0.01", "0.00"]),
        # No prices to go by (all free): equal shares.
        ("100.00", ["0", "0"], ["50.00", "50.00"]),
        # A free test in a priced package gets nothing.
        ("999.99", ["0", "300"], ["0.00", "999.99"]),
        ("0.00", ["450", "800"], ["0.00", "0.00"]),
        ("500.00", [], []),
    ],
)
def test_split_amount(total, weights, shares):
    result = split_amount(D(total), [D(w) for w in weights])

    assert result == [D(s) for s in shares]
    assert sum(result, D("0.00")) == (D(total) if weights else D("0.00"))
