from django.db.models import F, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import StaffRole
from accounts.permissions import HasStaffRole
from billing.api.serializers import (
    BillDetailSerializer,
    BillingSummarySerializer,
    BillSerializer,
    SummaryQuerySerializer,
)
from billing.documents import invoice_document, receipt_document
from billing.models import BillingRecord, Payment
from billing.selectors import billing_summary, refunded_amount
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import ErrorSerializer, errors
from diagnopet.errors import Conflict
from diagnopet.files import private_file_response


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


def customer_bills(user):
    """A customer's bills with what the API shows: the booking's code and the succeeded refunds, in the same query."""
    return BillingRecord.objects.filter(user_id=user.pk).annotate(
        booking_code=F("booking__code"), amount_refunded=refunded_amount()
    )


PDF = {(200, "application/pdf"): OpenApiTypes.BINARY}


@extend_schema_view(
    list=extend_schema(summary="My bills", responses={200: BillSerializer(many=True), **errors(400, 401)}),
    retrieve=extend_schema(
        summary="One of my bills, with its payments and refunds",
        responses={200: BillDetailSerializer, **errors(401, 404)},
    ),
)
class BillViewSet(StrictQueryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A customer's bills (one per booking), newest first; void bills (cancelled bookings) too, with their money."""

    serializer_class = BillSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return BillingRecord.objects.none()
        bills = customer_bills(self.request.user).order_by("-created_at", "-id")
        if self.action == "retrieve":
            # Payments and refunds of the bill, oldest first: one more query.
            payments = Payment.objects.order_by("received_at", "id")
            bills = bills.prefetch_related(Prefetch("payments", queryset=payments, to_attr="payment_rows"))
        return bills

    def get_serializer_class(self):
        return BillDetailSerializer if self.action == "retrieve" else BillSerializer

    @extend_schema(
        summary="Invoice of my bill (PDF)",
        responses={
            **PDF,
            **errors(401, 404),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`invoice_not_ready`: the bill has no invoice yet (it is issued once the visit is "
                "completed and the clinic invoices it).",
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def invoice(self, request, pk=None):
        record = self.get_object()
        document = invoice_document(record)
        if document is None:
            raise Conflict(
                "This bill has no invoice yet; it is issued once the visit is completed.", code="invoice_not_ready"
            )
        return private_file_response(document.file, download_name=f"{document.number}.pdf")


class PaymentReceiptView(StrictQueryMixin, APIView):
    """The receipt PDF of one of the customer's succeeded payments (anything else answers 404)."""

    @extend_schema(summary="Receipt of my payment (PDF)", responses={**PDF, **errors(401, 404)})
    def get(self, request, pk: int):
        payments = Payment.objects.filter(
            billing_record__user_id=request.user.pk, kind=Payment.Kind.PAYMENT, status=Payment.Status.SUCCEEDED
        )
        payment = get_object_or_404(payments, pk=pk)
        document = receipt_document(payment)
        return private_file_response(document.file, download_name=f"{document.number}.pdf")
