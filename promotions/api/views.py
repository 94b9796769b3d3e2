from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny

from catalog.models import LabTest
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors
from promotions.api.serializers import OfferSerializer
from promotions.models import Offer


@extend_schema(tags=["offers"])
class OfferViewSet(StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Offers running today (clinic time zone), soonest to end first."""

    permission_classes = [AllowAny]
    serializer_class = OfferSerializer
    filter_backends: list = []

    def get_queryset(self):
        return (
            Offer.objects.active_on(timezone.localdate())
            # Applicable test ids of every offer on the page in one query.
            .prefetch_related(Prefetch("applicable_tests", queryset=LabTest.objects.only("id")))
            .order_by("end_date", "name")
        )

    @extend_schema(summary="Current offers", responses={200: OfferSerializer(many=True), **errors(401, 404)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
