from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import StaffRole
from accounts.permissions import HasStaffRole
from billing.api.serializers import BillingSummarySerializer, SummaryQuerySerializer
from billing.selectors import billing_summary
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors


class BillingSummaryView(StrictQueryMixin, APIView):
    """Billing figures per day or month over a date range (analysts and clinic admins)."""

    permission_classes = [HasStaffRole.of(StaffRole.ANALYST, StaffRole.ADMIN)]

    @extend_schema(
        summary="Billing summary",
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, enum=["day", "month"], description="Default: day."),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
        ],
        responses={200: BillingSummarySerializer, **errors(400, 401, 403)},
    )
    def get(self, request):
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        summary = billing_summary(
            period=query.validated_data["period"],
            date_from=query.validated_data["date_from"],
            date_to=query.validated_data["date_to"],
        )
        return Response(BillingSummarySerializer(summary).data)
