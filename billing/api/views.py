from django.db.models import BooleanField, ExpressionWrapper, F, Prefetch, Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, throttling, viewsets
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
    ConfirmRequestSerializer,
    PaymentSerializer,
    SummaryQuerySerializer,
    WebhookAckSerializer,
    WebhookEventSerializer,
)
from billing.documents import invoice_document, receipt_document
from billing.gateway import payment_confirm, provider_event_store
from billing.models import BillingRecord, Payment, Provider
from billing.providers import provider_get
from billing.selectors import billing_summary, refunded_amount
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import ErrorSerializer, ValidationErrorSerializer, errors
from diagnopet.api.throttling import CountingThrottle
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
        booking_code=F("booking__code"),
        booking_cancelled=ExpressionWrapper(Q(booking__cancelled_at__isnull=False), output_field=BooleanField()),
        amount_refunded=refunded_amount(),
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


class PaymentConfirmView(StrictQueryMixin, APIView):
    """The app's word that the provider's checkout succeeded: verified with the provider, recorded once."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Confirm an online payment",
        request=ConfirmRequestSerializer,
        responses={
            201: OpenApiResponse(PaymentSerializer, description="Recorded now."),
            200: OpenApiResponse(PaymentSerializer, description="Already recorded (a repeat, or the webhook first)."),
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="Field errors (an unknown provider, a missing field) map each field to its messages. "
                "`invalid_signature`: the signature or payment id does not prove a payment. "
                "`payment_provider_unavailable`: that provider is not configured here.",
            ),
            **errors(401, 404),
            409: OpenApiResponse(ErrorSerializer, description="`payment_not_captured`: not paid (yet)."),
            502: OpenApiResponse(ErrorSerializer, description="`payment_provider_error`: the provider failed."),
        },
    )
    def post(self, request):
        data = ConfirmRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        payment, created = payment_confirm(user=request.user, provider_name=payload.pop("provider"), payload=payload)
        return Response(
            PaymentSerializer(payment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class PaymentWebhookThrottle(CountingThrottle, throttling.SimpleRateThrottle):
    """Per provider and sending address: generous (providers burst retries), but a flood of forged calls is cut."""

    scope = "payment_webhook"

    def get_cache_key(self, request, view):
        ident = f"{view.kwargs.get('provider', '')}:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PaymentWebhookView(StrictQueryMixin, APIView):
    """Signed events from a provider. No login (the signature is the proof) and no CSRF (no cookies are read)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PaymentWebhookThrottle]

    def initial(self, request, *args, **kwargs):
        # An unknown provider answers 404 before the rate limit counts the call (DRF's initial() checks throttles):
        # made-up names neither cost a counter in the cache nor turn into 429s.
        if kwargs.get("provider") not in (Provider.RAZORPAY, Provider.STRIPE):
            raise Http404("No such payment provider.")
        super().initial(request, *args, **kwargs)

    @extend_schema(
        summary="Provider webhook (Razorpay, Stripe)",
        description="Razorpay signs with `X-Razorpay-Signature` and names the event in `X-Razorpay-Event-Id`; "
        "Stripe signs with `Stripe-Signature`. Each event is stored once by its id and processed after commit; a "
        "replay answers 200 with `duplicate` true and changes nothing; unknown event types are stored and ignored.",
        request=WebhookEventSerializer,
        responses={
            200: WebhookAckSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`invalid_signature`: the signature does not verify. "
                "`payment_provider_unavailable`: that provider (or its webhook secret) is not configured.",
            ),
            **errors(404, 429),
        },
    )
    def post(self, request, provider):
        gateway = provider_get(provider, webhooks=True)
        event = gateway.parse_webhook(body=request.body, headers=request.headers)
        _row, created = provider_event_store(provider_name=provider, event=event)
        return Response(WebhookAckSerializer({"received": True, "duplicate": not created}).data)
