"""``{% load money %}`` then ``{{ amount|money }}``: an amount with its currency symbol and Indian digit grouping."""

from django import template

from diagnopet.money import format_money

register = template.Library()


@register.filter
def money(amount) -> str:
    return format_money(amount)
