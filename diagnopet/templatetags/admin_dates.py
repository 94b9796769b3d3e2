"""``{% contiguous_date_hierarchy cl %}``: Django admin's date drill-down without a ``SELECT DISTINCT`` over the table.

Django's ``date_hierarchy`` lists the years (then months, then days) that have rows with ``SELECT DISTINCT
date_trunc(…)`` over every row of the changelist: on a million bookings that was 200 ms of every page, and more on
the bills (bench/README.md). This lists every period from the first row to the last instead, from the first and the
last value (two ordered look-ups of one row each, where Django also reads ``MIN`` and ``MAX``): the same links and
page, the periods between without rows included. It is for the admins of large tables (``LargeTableAdmin`` in
``diagnopet.admin_base``); the others keep Django's.
"""

import datetime

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import get_fields_from_path
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


def _span(cl, field_name: str, is_datetime: bool):
    # The first and the last value as two ordered look-ups (LIMIT 1), not MIN()/MAX(): PostgreSQL turns those into
    # index look-ups only on a single table, and a collector's items or bills are scoped through their bookings
    # (a join), where MIN/MAX joined all 133,000 of a collector's bookings (2.4 s) and these stop at the first row.
    values = cl.queryset.filter(**{f"{field_name}__isnull": False}).values_list(field_name, flat=True)
    first, last = values.order_by(field_name).first(), values.order_by(f"-{field_name}").first()
    if first is None or last is None:
        return None, None
    if is_datetime:
        first, last = (timezone.localtime(v) if timezone.is_aware(v) else v for v in (first, last))
    return first, last


def contiguous_date_hierarchy(cl) -> dict:
    field_name = cl.date_hierarchy
    is_datetime = isinstance(get_fields_from_path(cl.model, field_name)[-1], models.DateTimeField)
    year_field, month_field, day_field = (f"{field_name}__{part}" for part in ("year", "month", "day"))
    year, month, day = (cl.params.get(name) for name in (year_field, month_field, day_field))
    if year and month and day:
        return date_hierarchy(cl)  # one day: Django reads nothing for it

    def link(filters):
        return cl.get_query_string(filters, [f"{field_name}__"])

    first, last = _span(cl, field_name, is_datetime)
    if not (year or month or day) and first is not None and first.year == last.year:
        # Django's start level: the one year (or month) the rows are in.
        year = first.year
        if first.month == last.month:
            month = first.month
    if year and month:
        year_number, month_number = int(year), int(month)
        # The rows are those of this month (the changelist filters by it, or they all fall in it).
        days = range(first.day, last.day + 1) if first is not None else ()
        return {
            "show": True,
            "back": {"link": link({year_field: year}), "title": str(year)},
            "choices": [
                {
                    "link": link({year_field: year, month_field: month, day_field: number}),
                    "title": capfirst(
                        formats.date_format(datetime.date(year_number, month_number, number), "MONTH_DAY_FORMAT")
                    ),
                }
                for number in days
            ],
        }
    if year:
        year_number = int(year)
        months = range(first.month, last.month + 1) if first is not None else ()
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {
                    "link": link({year_field: year, month_field: number}),
                    "title": capfirst(formats.date_format(datetime.date(year_number, number, 1), "YEAR_MONTH_FORMAT")),
                }
                for number in months
            ],
        }
    years = range(first.year, last.year + 1) if first is not None else ()
    return {
        "show": True,
        "back": None,
        "choices": [{"link": link({year_field: str(number)}), "title": str(number)} for number in years],
    }


@register.tag(name="contiguous_date_hierarchy")
def contiguous_date_hierarchy_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=contiguous_date_hierarchy, template_name="date_hierarchy.html", takes_context=False
    )
