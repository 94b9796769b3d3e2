from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import BillingRecord, Payment
from billing.selectors import PaymentStatus, record_payment
from diagnopet.api.serializers import ModelSerializer, StrictCharField


class SummaryQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=["day", "month"], default="day")
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def to_internal_value(self, data):
        # The query string says from/to (SPEC); Python cannot name a field "from".
        data = {"period": data.get("period", "day"), "date_from": data.get("from"), "date_to": data.get("to")}
        return super().to_internal_value({k: v for k, v in data.items() if v is not None})

    def validate(self, attrs):
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"from": "'from' must not be after 'to'."})
        return attrs


def _money(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class FiguresSerializer(serializers.Serializer):
    bookings = serializers.IntegerField()
    base = _money()
    discount = _money()
    distance = _money()
    final = _money()
    paid = _money()
    outstanding = _money()
    payments = _money(help_text="Succeeded payments received in the period (gross), whatever the bill's date or state.")
    refunds = _money(help_text="Succeeded refunds given in the period.")
    net = _money(help_text="payments − refunds.")


class PeriodRowSerializer(FiguresSerializer):
    period = serializers.DateField(help_text="First day of the day or month.")


class CollectionTypeRowSerializer(PeriodRowSerializer):
    collection_type = serializers.CharField()


class CategoryRowSerializer(serializers.Serializer):
    period = serializers.DateField()
    category = serializers.CharField(allow_null=True)
    items = serializers.IntegerField()
    amount = _money()


class BillingSummarySerializer(serializers.Serializer):
    period = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    currency = serializers.SerializerMethodField()
    totals = FiguresSerializer()
    rows = PeriodRowSerializer(many=True)
    by_collection_type = CollectionTypeRowSerializer(many=True)
    by_category = CategoryRowSerializer(many=True)
    categories_as_of = serializers.DateTimeField(
        allow_null=True,
        help_text="When the split by category was last computed (every 10 minutes; null: not yet). Bills made since "
        "are in the totals and rows but not yet in by_category.",
    )

    def get_currency(self, obj) -> str:
        return settings.CURRENCY


# --- A customer's bills ------------------------------------------------------------------------------------------


def _absolute(serializer, path: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request else path


class BillPaymentSerializer(ModelSerializer):
    receipt_url = serializers.SerializerMethodField(help_text="The receipt PDF; null unless the payment succeeded.")

    class Meta:
        model = Payment
        fields = ["id", "amount", "method", "status", "reference", "received_at", "receipt_url"]
        read_only_fields = fields

    def get_receipt_url(self, payment) -> str | None:
        if payment.status != Payment.Status.SUCCEEDED:
            return None
        return _absolute(self, reverse("billing:payment-receipt", kwargs={"pk": payment.pk}))


class BillRefundSerializer(ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "amount", "method", "status", "reference", "received_at"]
        read_only_fields = fields


class BillSerializer(ModelSerializer):
    """A bill as its customer sees it. Read from ``billing.api.views.customer_bills`` (its annotations)."""

    booking_code = serializers.CharField(read_only=True)
    amount_paid = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="Paid, net of refunds."
    )
    amount_refunded = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    amount_due = serializers.SerializerMethodField(help_text="What is still to be paid; 0.00 on a void bill.")
    payment_status = serializers.SerializerMethodField(
        help_text="`unpaid`, `partially_paid`, `paid`, `refunded` (money given back, none held) or "
        "`partially_refunded` (some given back, some held)."
    )
    invoice_url = serializers.SerializerMethodField(help_text="The invoice PDF; null until the bill is invoiced.")

    class Meta:
        model = BillingRecord
        fields = [
            "id",
            "booking",
            "booking_code",
            "status",
            "invoice_number",
            "invoice_date",
            "billing_date",
            "currency",
            "base_amount",
            "discount_amount",
            "distance_charge",
            "final_amount",
            "amount_paid",
            "amount_refunded",
            "amount_due",
            "payment_status",
            "invoice_url",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2))
    def get_amount_due(self, record) -> str:
        return format(_payment(record).amount_due, "f")

    @extend_schema_field(serializers.ChoiceField(choices=PaymentStatus.choices))
    def get_payment_status(self, record) -> str:
        return _payment(record).payment_status

    def get_invoice_url(self, record) -> str | None:
        if not record.invoice_number:
            return None
        return _absolute(self, reverse("billing:bill-invoice", kwargs={"pk": record.pk}))


class BillDetailSerializer(BillSerializer):
    """A bill with its payments and refunds (oldest first), each in every status."""

    payments = serializers.SerializerMethodField()
    refunds = serializers.SerializerMethodField()

    class Meta(BillSerializer.Meta):
        fields = [*BillSerializer.Meta.fields, "payments", "refunds"]
        read_only_fields = fields

    @extend_schema_field(BillPaymentSerializer(many=True))
    def get_payments(self, record):
        rows = [p for p in record.payment_rows if p.kind == Payment.Kind.PAYMENT]
        return BillPaymentSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(BillRefundSerializer(many=True))
    def get_refunds(self, record):
        rows = [p for p in record.payment_rows if p.kind == Payment.Kind.REFUND]
        return BillRefundSerializer(rows, many=True, context=self.context).data


ONLINE_PROVIDERS = [("razorpay", "Razorpay"), ("stripe", "Stripe")]


class PayRequestSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=ONLINE_PROVIDERS)


class CheckoutSerializer(serializers.Serializer):
    """What the app needs to open the provider's checkout for a booking's amount due."""

    provider = serializers.CharField()
    order_id = serializers.CharField(
        source="provider_order_id", help_text="Razorpay order id (order_…) or Stripe PaymentIntent id (pi_…)."
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    public_key = serializers.SerializerMethodField(
        help_text="Razorpay key id (Checkout's `key`) or Stripe publishable key: public by design."
    )
    client_secret = serializers.CharField(
        help_text="Stripe: the PaymentIntent's client secret for the Payment Sheet. Razorpay: empty."
    )
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Ask again after this for a fresh order.")

    def get_public_key(self, order) -> str:
        return self.context["public_key"]


class ConfirmRequestSerializer(serializers.Serializer):
    """What the provider's checkout handed the app. Razorpay: the three razorpay_* fields. Stripe: payment_intent."""

    provider = serializers.ChoiceField(choices=ONLINE_PROVIDERS)
    razorpay_order_id = StrictCharField(required=False, max_length=100)
    razorpay_payment_id = StrictCharField(required=False, max_length=100)
    razorpay_signature = StrictCharField(required=False, max_length=200)
    payment_intent = StrictCharField(required=False, max_length=100)

    def validate(self, attrs):
        needed = (
            ["razorpay_order_id", "razorpay_payment_id", "razorpay_signature"]
            if attrs["provider"] == "razorpay"
            else ["payment_intent"]
        )
        missing = {name: "This field is required." for name in needed if not attrs.get(name)}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    booking = serializers.IntegerField(source="billing_record.booking_id")
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(source="billing_record.currency")
    method = serializers.CharField()
    status = serializers.CharField()
    provider = serializers.CharField()
    provider_payment_id = serializers.CharField()
    received_at = serializers.DateTimeField()


class WebhookAckSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField(help_text="True: this event id was received before; nothing changed.")


class WebhookEventSerializer(serializers.Serializer):
    """A provider's event as it signs it (documentation only: the raw body is verified and stored as sent).
    Razorpay: ``event`` and ``payload``; Stripe: ``id``, ``type`` and ``data``."""

    event = StrictCharField(required=False, help_text="Razorpay: the event type, e.g. payment.captured.")
    payload = serializers.JSONField(required=False, help_text="Razorpay: the entities (payment, refund, order).")
    id = StrictCharField(required=False, help_text="Stripe: the event id (evt_…).")
    type = StrictCharField(required=False, help_text="Stripe: the event type, e.g. payment_intent.succeeded.")
    data = serializers.JSONField(required=False, help_text='Stripe: {"object": the PaymentIntent or Refund}.')


def _payment(record):
    """A bill of ``customer_bills`` (annotated with its refunds and whether its booking was cancelled)."""
    return record_payment(record, amount_refunded=record.amount_refunded, booking_cancelled=record.booking_cancelled)
