from django.conf import settings
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``page`` and ``page_size`` (default 20); larger page sizes are capped at 100."""

    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
