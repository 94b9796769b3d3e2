from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from clinic.api.serializers import ClinicInfoSerializer
from clinic.selectors import clinic_info_get
from clinic.signals import CLINIC_CACHE  # also connects the receivers that invalidate the cache
from diagnopet.api.caching import IF_NONE_MATCH, NOT_MODIFIED, PublicCacheMixin, cached_public_response
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors


@extend_schema(tags=["clinic"])
class ClinicInfoView(PublicCacheMixin, StrictQueryMixin, GenericAPIView):
    """The clinic's public details. Cached (see diagnopet/api/caching.py)."""

    permission_classes = [AllowAny]
    serializer_class = ClinicInfoSerializer

    @extend_schema(
        summary="Clinic information",
        parameters=[IF_NONE_MATCH],
        responses={200: ClinicInfoSerializer, **NOT_MODIFIED, **errors(404)},
    )
    @cached_public_response(CLINIC_CACHE)
    def get(self, request):
        return Response(self.get_serializer(clinic_info_get()).data)
