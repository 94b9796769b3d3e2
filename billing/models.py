from django.conf import settings
from django.db import models
from django.db.models import F, Q

from billing.providers.base import EVENT_ID_MAX_LENGTH
from diagnopet.files import stored_name
from diagnopet.indexes import TrigramIndex
from diagnopet.models import TimeStampedModel, default_currency, money_field, random_upload_path
from diagnopet.money import format_money


class DistancePricingConfig(TimeStampedModel):
    """Home-collection charge rules. Rows are kept as history; the active one is chosen by date.

    Charge = 0 within ``max_free_distance_km``, else ``base_charge + (km − free km) × charge_per_km``;
    beyond ``max_service_distance_km`` home collection is refused.
    """

    base_charge = money_field()
    charge_per_km = money_field()
    max_free_distance_km = models.DecimalField(max_digits=6, decimal_places=2)
    max_service_distance_km = models.DecimalField(max_digits=6, decimal_places=2)
    effective_from = models.DateField(db_index=True)
    effective_until = models.DateField(null=True, blank=True, db_index=True)
    is_active = models.BooleanField(default=True)
    notes = models.CharField(max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = "distance pricing rule"
        verbose_name_plural = "distance pricing rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(base_charge__gte=0),
                name="billing_distance_base_non_negative",
                violation_error_message="The base charge cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(charge_per_km__gte=0),
                name="billing_distance_per_km_non_negative",
                violation_error_message="The charge per km cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(max_free_distance_km__gte=0),
                name="billing_distance_free_non_negative",
                violation_error_message="The free distance cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(max_service_distance_km__gte=F("max_free_distance_km")),
                name="billing_distance_service_covers_free",
                violation_error_message="The service distance must be at least the free distance.",
            ),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=F("effective_from")),
                name="billing_distance_dates_ordered",
                violation_error_message="“Effective until” cannot be before “effective from”.",
            ),
        ]

    def __str__(self) -> str:
        charge = f"{format_money(self.base_charge)} + {format_money(self.charge_per_km)}/km"
        return f"{charge} beyond {self.max_free_distance_km.normalize():f} km, {self.period}"

    @property
    def period(self) -> str:
        """When the row applies, as staff read it: "07 Dec 2026 – 31 Dec 2026", or "from 07 Dec 2026 on" while no
        end date is set (and "switched off" when it is not active). Which row is in force today is the service's
        to say (``billing.services.distance_pricing_active``): the admin's list shows it."""
        if not self.is_active:
            return f"switched off (from {self.effective_from:%d %b %Y})"
        if self.effective_until is None:
            return f"from {self.effective_from:%d %b %Y} on"
        return f"{self.effective_from:%d %b %Y} – {self.effective_until:%d %b %Y}"


class BillingRecord(TimeStampedModel):
    """The money of one booking, snapshotted at booking time, and its invoice/payment state."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINALIZED = "finalized", "Finalized"
        INVOICED = "invoiced", "Invoiced"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="billing_record")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_records")
    tests = models.ManyToManyField("catalog.LabTest", related_name="+", blank=True)
    currency = models.CharField(max_length=3, default=default_currency)
    base_amount = money_field()
    discount_amount = money_field(default=0)
    distance_charge = money_field(default=0)
    final_amount = money_field()
    # Net of succeeded payments minus refunds, kept by billing.services under the record's row lock.
    amount_paid = money_field(default=0, editable=False)
    billing_date = models.DateField()  # indexed with the changelist's order (Meta.indexes)
    billing_period = models.CharField(max_length=7, db_index=True, help_text="YYYY-MM")
    # The booking's ("home" or "lab"), copied so that the billing summary reads this table alone.
    collection_type = models.CharField(max_length=4, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    invoice_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    invoice_date = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_date = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # Why the distance charge is not the booking-time quote's (recomputed from the collection point), or why it
    # should have been and was not (the bill was past draft): set by billing.services.billing_record_distance_adjust.
    distance_note = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = "bill"
        ordering = ["-billing_date", "-id"]
        indexes = [
            # The admin changelist's order (-billing_date, -id): a page is the index's first 50 entries. On
            # billing_date alone every bill of the page's days (1,400 a day) was joined and sorted by id first.
            models.Index(fields=["billing_date", "id"], name="billing_record_date_id"),
            # Its status filter in that order (and the billing summary's status and date reads, as before).
            models.Index(fields=["status", "billing_date", "id"], name="billing_record_status_date_id"),
            # Its collection-type filter in that order; the page's count reads this index alone.
            models.Index(fields=["collection_type", "billing_date", "id"], name="billing_record_type_date_id"),
            # The admin's search (icontains, one field at a time: diagnopet.admin_base.LargeTableAdmin).
            TrigramIndex(field="invoice_number", name="billing_record_invoice_trgm"),
            TrigramIndex(field="billing_period", name="billing_record_period_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(base_amount__gte=0),
                name="billing_record_base_non_negative",
                violation_error_message="The base amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0, discount_amount__lte=F("base_amount") + F("distance_charge")),
                name="billing_record_discount_within_gross",
                violation_error_message="The discount must be between 0 and the base amount plus the distance charge.",
            ),
            models.CheckConstraint(
                condition=Q(distance_charge__gte=0),
                name="billing_record_distance_non_negative",
                violation_error_message="The distance charge cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(final_amount=F("base_amount") - F("discount_amount") + F("distance_charge")),
                name="billing_record_final_is_sum",
                violation_error_message="The final amount must be base − discount + distance charge.",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0),
                name="billing_record_paid_non_negative",
                violation_error_message="The amount paid cannot be negative.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["invoiced", "paid"]) | Q(invoice_number__isnull=False),
                name="billing_record_invoiced_has_number",
                violation_error_message="An invoiced or paid bill needs an invoice number.",
            ),
            models.CheckConstraint(
                condition=Q(billing_period__regex=r"^[0-9]{4}-[0-9]{2}$"),
                name="billing_record_period_format",
                violation_error_message="The billing period is written YYYY-MM, e.g. 2026-12.",
            ),
        ]

    def __str__(self) -> str:
        """ "INV-2026-000123 · DP-7K2M9Q · Ananya Sharma · ₹1,250.00 due" ("Draft bill · …" before it has a
        number). Reads the booking and the customer (lists of bills select them) and the refunds, from the
        ``amount_refunded`` annotation that the bills' admin queryset carries, else with one query."""
        return f"{self.bill_name} · {self.balance_label}"

    @property
    def bill_name(self) -> str:
        """The bill without its balance, "INV-2026-000123 · DP-7K2M9Q · Ananya Sharma", for lists of payments and
        documents, where each row's balance would cost a query."""
        name = self.invoice_number or ("Draft bill" if self.status == self.Status.DRAFT else "Bill")
        return f"{name} · {self.booking.code} · {self.user.name}"

    @property
    def balance_label(self) -> str:
        """What is left to pay, by the one rule (``billing.selectors.record_payment``: refunds counted): "₹1,250.00
        due", "₹1,250.00 paid", "₹200.00 refunded" or "void"."""
        from billing.selectors import bill_refunded, record_payment  # the selectors read this model

        if self.status == self.Status.VOID:
            return "void"
        refunded = getattr(self, "amount_refunded", None)
        if refunded is None:
            refunded = bill_refunded(self)
        due = record_payment(self, amount_refunded=refunded).amount_due
        if due:
            return f"{format_money(due)} due"
        if refunded:
            return f"{format_money(refunded)} refunded"
        return f"{format_money(self.final_amount)} paid"


class Provider(models.TextChoices):
    """Who moved the money: a payment provider online, or staff at the door or the desk ("manual")."""

    MANUAL = "manual", "At the door or desk"
    RAZORPAY = "razorpay", "Razorpay"
    STRIPE = "stripe", "Stripe"


class Payment(TimeStampedModel):
    """Money received for (or refunded from) a billing record. Amounts are positive; ``kind`` says which.

    A refund is ``pending`` until the money is back with the customer (the provider confirmed it, or the clinic admin
    marked a desk refund done); it counts against what was paid from the moment it is asked for, so nothing can be
    refunded twice. A refund that fails gives the amount back to what was paid.
    """

    class Method(models.TextChoices):
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        UPI = "upi", "UPI"
        ONLINE = "online", "Online"

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    billing_record = models.ForeignKey(BillingRecord, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    amount = money_field()
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED, db_index=True)
    reference = models.CharField(max_length=100, blank=True, help_text="UPI/card/gateway reference.")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="payments_received"
    )
    received_at = models.DateTimeField(db_index=True)
    notes = models.CharField(max_length=255, blank=True)
    # A failed refund: why, in the provider's words (a refusal such as "The refund amount provided is greater than
    # amount captured", or that it reported the refund failed). Written by billing.gateway, shown in the admin.
    failure_reason = models.CharField(max_length=255, blank=True)
    # Online payments: which provider took the money and its ids ("" for money taken at the door or the desk).
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.MANUAL, db_index=True)
    provider_order_id = models.CharField(max_length=100, blank=True, db_index=True)
    provider_payment_id = models.CharField(max_length=100, blank=True)
    provider_refund_id = models.CharField(max_length=100, blank=True)
    # A refund: the payment it gives money back from (its provider and method).
    refund_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        limit_choices_to={"kind": "payment"},
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="billing_payment_amount_positive",
                violation_error_message="The amount must be more than 0.",
            ),
            # One row per provider payment and per provider refund: a confirmation and a webhook (or a replayed
            # webhook) for the same money cannot both record it.
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=Q(kind="payment") & ~Q(provider_payment_id=""),
                name="billing_payment_provider_payment_unique",
                violation_error_message="This provider payment is already recorded.",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_refund_id"],
                condition=~Q(provider_refund_id=""),
                name="billing_payment_provider_refund_unique",
                violation_error_message="This provider refund is already recorded.",
            ),
            models.CheckConstraint(
                condition=Q(kind="payment", refund_of__isnull=True) | Q(kind="refund"),
                name="billing_payment_refund_of_only_refunds",
                violation_error_message="Only a refund can name the payment it refunds.",
            ),
        ]

    def __str__(self) -> str:
        """ "₹1,250.00 cash · DP-7K2M9Q" ("Refund ₹…" for money given back). Lists of payments select the bill
        and its booking."""
        refund = "Refund " if self.kind == self.Kind.REFUND else ""
        method = self.get_method_display()
        method = method if method.isupper() else method.lower()  # "cash", "card", but "UPI"
        return f"{refund}{format_money(self.amount)} {method} · {self.billing_record.booking.code}"


class InvoiceSequence(TimeStampedModel):
    """The last invoice number issued per year; locked row by row to keep numbers gap-free."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_number__gte=0),
                name="billing_invoiceseq_non_negative",
                violation_error_message="The last invoice number cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"Invoice numbers of {self.year}: {self.last_number} taken"


def collection_type_label(code: str) -> str:
    """A booking's collection type as staff read it (``home`` → "Home collection"), from the booking's own choices,
    named through the bill's relation: billing does not import bookings."""
    booking = BillingRecord._meta.get_field("booking").related_model
    return dict(booking._meta.get_field("collection_type").flatchoices).get(code, code)


class CategoryDayTotal(TimeStampedModel):
    """Items and gross amount (unit price × quantity) of the bills that count (not void) per billing day and test
    category: the billing summary's split by category, without reading millions of booking items.

    Computed, never written by a bill change: ``billing.services.category_totals_rebuild`` replaces every row with
    what the items add up to, every 10 minutes (Celery beat) and on demand (``manage.py billing_totals``). One row
    per day and category after a rebuild; readers sum them anyway.
    """

    day = models.DateField(db_index=True)
    category = models.ForeignKey("catalog.TestCategory", on_delete=models.PROTECT, related_name="+")
    items = models.IntegerField()
    amount = money_field(max_digits=14)

    class Meta:
        ordering = ["-day", "category"]
        verbose_name = "category day total"

    def __str__(self) -> str:
        return f"{self.day:%d %b %Y} · {self.category.name}: {self.items} items, {format_money(self.amount)}"


class PaymentDayTotal(TimeStampedModel):
    """Succeeded payments and refunds per local day of receipt (the clinic's time zone), collection type of their
    bill and kind: the billing summary's money received over past days, without reading every payment row.

    Computed, never written by a payment: the job that rebuilds the category totals replaces every row with what
    the payments add up to, for each day before the one it runs on. The summary reads the days after the last one
    stored from the payments themselves, so the latest money is always current; a payment of an earlier day
    recorded or changed since the last rebuild (at most 10 minutes ago) counts from the next one.
    """

    day = models.DateField(db_index=True)
    collection_type = models.CharField(max_length=4)
    kind = models.CharField(max_length=10, choices=Payment.Kind.choices)
    amount = money_field(max_digits=14)

    class Meta:
        ordering = ["-day", "collection_type", "kind"]
        verbose_name = "payment day total"

    def __str__(self) -> str:
        return (
            f"{self.day:%d %b %Y} · {collection_type_label(self.collection_type)} · {self.get_kind_display()}:"
            f" {format_money(self.amount)}"
        )


def document_upload_to(instance, filename: str) -> str:
    return random_upload_path("billing", stored_name("application/pdf"))


class BillingDocument(TimeStampedModel):
    """A generated PDF of a bill: its invoice (one per bill, once it has a number) or the receipt of one succeeded
    payment. Rendered by ``billing.documents`` after commit; stored privately under a random name and served only
    through the customer API and the admin."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        RECEIPT = "receipt", "Receipt"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    billing_record = models.ForeignKey(BillingRecord, on_delete=models.PROTECT, related_name="documents")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="documents", help_text="Receipts only."
    )
    number = models.CharField(max_length=30, help_text="The invoice number, or the receipt's.")
    file = models.FileField(upload_to=document_upload_to)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["billing_record"],
                condition=Q(kind="invoice"),
                name="billing_document_one_invoice_per_bill",
                violation_error_message="This bill already has an invoice.",
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="receipt"),
                name="billing_document_one_receipt_per_payment",
                violation_error_message="This payment already has a receipt.",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", payment__isnull=True) | Q(kind="receipt", payment__isnull=False),
                name="billing_document_receipt_has_payment",
                violation_error_message="A receipt needs its payment; an invoice has none.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class PaymentOrder(TimeStampedModel):
    """One checkout attempt: an order (Razorpay) or PaymentIntent (Stripe) made at the provider for a bill's amount
    due. The payment that settles it is recorded once, by the confirmation or the provider's event, whichever comes
    first."""

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    billing_record = models.ForeignKey(BillingRecord, on_delete=models.PROTECT, related_name="payment_orders")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    amount = money_field()
    currency = models.CharField(max_length=3, default=default_currency)
    provider_order_id = models.CharField(max_length=100)
    # Stripe's PaymentIntent client secret, handed to the app that started the checkout (and only to it).
    client_secret = models.CharField(max_length=255, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATED, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="billing_paymentorder_amount_positive",
                violation_error_message="The amount must be more than 0.",
            ),
            models.UniqueConstraint(fields=["provider", "provider_order_id"], name="billing_paymentorder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.provider_order_id} · {format_money(self.amount)}"


class ProviderEvent(TimeStampedModel):
    """A provider's webhook event, stored once by its id (a replay finds the row and changes nothing), then
    processed by a Celery task after commit. ``outcome`` says what processing did; ``processed_at`` is empty while
    it waits (e.g. a refund whose payment is not recorded yet)."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    event_id = models.CharField(max_length=EVENT_ID_MAX_LENGTH)
    event_type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="billing_providerevent_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.event_type} {self.event_id}"
