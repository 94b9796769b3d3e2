"""The public, read-only catalog: categories, tags and active tests. Responses are cached (see caching.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import filters, mixins, viewsets
from rest_framework.permissions import AllowAny

from catalog.api.serializers import CategorySerializer, LabTestSerializer, TagSerializer
from catalog.filters import LabTestFilter
from catalog.models import LabTest, TestCategory, TestTag
from catalog.signals import CATALOG_CACHE  # also connects the receivers that invalidate the cache
from diagnopet.api.caching import IF_NONE_MATCH, NOT_MODIFIED, PublicCacheMixin, cached_public_response
from diagnopet.api.filters import FilterBackend, StrictQueryMixin
from diagnopet.api.schema import errors


@extend_schema(tags=["catalog"])
class CategoryViewSet(PublicCacheMixin, StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    serializer_class = CategorySerializer
    queryset = TestCategory.objects.filter(is_active=True).order_by("display_order", "name", "id")
    filter_backends: list = []

    @extend_schema(
        summary="Test categories",
        parameters=[IF_NONE_MATCH],
        responses={200: CategorySerializer(many=True), **NOT_MODIFIED, **errors(404)},
    )
    @cached_public_response(CATALOG_CACHE)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["catalog"])
class TagViewSet(PublicCacheMixin, StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    serializer_class = TagSerializer
    queryset = TestTag.objects.order_by("name", "id")
    filter_backends: list = []

    @extend_schema(
        summary="Test tags",
        parameters=[IF_NONE_MATCH],
        responses={200: TagSerializer(many=True), **NOT_MODIFIED, **errors(404)},
    )
    @cached_public_response(CATALOG_CACHE)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["catalog"])
class LabTestViewSet(PublicCacheMixin, StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Active tests only; an inactive test answers 404."""

    permission_classes = [AllowAny]
    serializer_class = LabTestSerializer
    queryset = LabTest.objects.for_catalog()
    # Ordering comes from LabTestFilter (``ordering``), which can order by the price actually paid.
    filter_backends = [FilterBackend, filters.SearchFilter]
    filterset_class = LabTestFilter
    search_fields = ["name", "code", "description"]

    @extend_schema(
        summary="Catalog tests",
        parameters=[IF_NONE_MATCH],
        responses={200: LabTestSerializer(many=True), **NOT_MODIFIED, **errors(400, 404)},
    )
    @cached_public_response(CATALOG_CACHE)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One catalog test",
        parameters=[IF_NONE_MATCH],
        responses={200: LabTestSerializer, **NOT_MODIFIED, **errors(404)},
    )
    @cached_public_response(CATALOG_CACHE)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
