from django.conf import settings
from rest_framework import pagination

from diagnopet.errors import ValidationFailed


class PageNumberPagination(pagination.PageNumberPagination):
    """``page`` and ``page_size`` (default 20); larger page sizes are capped at 100; a ``page_size`` that is not a
    positive whole number is a 400, not silently ignored."""

    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isdigit() and int(raw) >= 1):
            raise ValidationFailed(
                "Use a whole number from 1 to 100.", code="invalid_page_size", field=self.page_size_query_param
            )
        return super().get_page_size(request)
