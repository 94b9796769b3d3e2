import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound

from diagnopet.errors import ValidationFailed

# ASCII digits only: str.isdigit() also accepts "²" and "①" (which int() refuses: a 500) and "٣" (which int() reads
# as 3); and a bounded length (int() refuses more than 4,300 digits).
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def whole_number(raw: str) -> int | None:
    """``raw`` as a non-negative whole number written in ASCII digits (at most 9), else None."""
    return int(raw) if WHOLE_NUMBER.fullmatch(raw) else None


class PageNumberPagination(pagination.PageNumberPagination):
    """``page`` and ``page_size`` (default 20); larger page sizes are capped at 100; a ``page_size`` that is not a
    positive whole number is a 400, not silently ignored; a ``page`` that is not one (nor ``last``) is the same 404
    as a page past the end."""

    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (whole_number(raw) or 0) >= 1:
            raise ValidationFailed(
                "Use a whole number from 1 to 100.", code="invalid_page_size", field=self.page_size_query_param
            )
        return super().get_page_size(request)

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        if number not in self.last_page_strings and whole_number(str(number)) is None:
            raise NotFound(_("Invalid page."))
        return number


class CountedOn:
    """Rows to page (Django's ``Paginator`` takes any sliceable with ``count()``), counted on another queryset.

    A page of ``values()`` rows joined to their relations is counted on the bare filtered queryset: the same rows,
    and a ``COUNT(*)`` that joins nothing."""

    def __init__(self, rows, *, counted):
        self.rows, self.counted = rows, counted
        self.ordered = rows.ordered

    def count(self) -> int:
        return self.counted.count()

    def __getitem__(self, key):
        return self.rows[key]
