"""Splitting an amount (a package's price across its tests) to the paisa; amounts written out for people."""

from decimal import Decimal
from decimal import Decimal as D

import pytest
from django.template import Context, Template

from diagnopet.money import format_money, split_amount


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


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1250"), "₹1,250.00"),
        (Decimal("12345678.5"), "₹1,23,45,678.50"),
        (Decimal("0.005"), "₹0.01"),
        (Decimal("-1458"), "-₹1,458.00"),
        ("99.9", "₹99.90"),
        (None, "—"),
    ],
)
def test_format_money_uses_the_symbol_and_indian_grouping(amount, shown):
    assert format_money(amount) == shown


def test_format_money_follows_the_currency_setting(settings):
    settings.CURRENCY = "USD"

    assert format_money(Decimal("1250")) == "$1,250.00"


def test_money_template_filter():
    rendered = Template("{% load money %}{{ amount|money }}").render(Context({"amount": Decimal("1250")}))

    assert rendered == "₹1,250.00"
