from decimal import Decimal

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import BillingRecord, DistancePricingConfig, InvoiceSequence, Payment

TIMESTAMPS = ("created_at", "updated_at")
_ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))


def _succeeded_sum(kind: str):
    return Coalesce(
        Sum("payments__amount", filter=Q(payments__kind=kind, payments__status=Payment.Status.SUCCEEDED)), _ZERO
    )


@admin.register(DistancePricingConfig)
class DistancePricingConfigAdmin(admin.ModelAdmin):
    """Rows are the pricing history: newest first, never deleted (end one with ``effective_until``)."""

    list_display = (
        "effective_from",
        "effective_until",
        "base_charge",
        "charge_per_km",
        "max_free_distance_km",
        "max_service_distance_km",
        "is_active",
        "updated_by",
    )
    list_select_related = ("updated_by",)
    list_filter = ("is_active",)
    search_fields = ("notes",)
    date_hierarchy = "effective_from"
    ordering = ("-effective_from", "-id")
    readonly_fields = ("updated_by", *TIMESTAMPS)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ("received_at", "kind", "amount", "method", "status", "reference", "received_by")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("received_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BillingRecord)
class BillingRecordAdmin(admin.ModelAdmin):
    """Created with the booking and moved on by the billing services; every field here is read-only."""

    list_display = (
        "__str__",
        "booking",
        "user",
        "status",
        "base_amount",
        "discount_amount",
        "distance_charge",
        "final_amount",
        "paid_amount",
        "billing_date",
    )
    list_select_related = ("booking", "user")
    list_filter = ("status", "booking__collection_type", "billing_date")
    search_fields = ("invoice_number", "booking__code", "user__phone", "user__full_name", "billing_period")
    date_hierarchy = "billing_date"
    inlines = [PaymentInline]
    fieldsets = (
        (None, {"fields": ("booking", "user", "status", "tests")}),
        ("Amounts", {"fields": ("currency", "base_amount", "discount_amount", "distance_charge", "final_amount")}),
        ("Invoice", {"fields": ("billing_date", "billing_period", "invoice_number", "invoice_date")}),
        ("Dates", {"fields": ("finalized_at", "paid_date", "voided_at", *TIMESTAMPS)}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request):
        # Net money received (succeeded payments − succeeded refunds) in the same query as the rows.
        return (
            super()
            .get_queryset(request)
            .annotate(paid_amount=_succeeded_sum(Payment.Kind.PAYMENT) - _succeeded_sum(Payment.Kind.REFUND))
        )

    @admin.display(description="paid", ordering="paid_amount")
    def paid_amount(self, obj) -> Decimal:
        return obj.paid_amount

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """A payment is entered once; afterwards only its reference and notes can be corrected. A wrong
    payment is answered by a refund, never by editing or deleting the row."""

    list_display = (
        "received_at",
        "billing_record",
        "kind",
        "amount",
        "method",
        "status",
        "reference",
        "received_by",
    )
    list_select_related = ("billing_record", "received_by")
    list_filter = ("kind", "method", "status")
    search_fields = ("reference", "billing_record__invoice_number", "billing_record__booking__code")
    date_hierarchy = "received_at"
    autocomplete_fields = ("billing_record",)
    fields = (
        "billing_record",
        "kind",
        "amount",
        "method",
        "status",
        "reference",
        "received_at",
        "received_by",
        "notes",
        *TIMESTAMPS,
    )
    # The recorder is the signed-in staff member (set on save).
    readonly_fields = ("received_by", *TIMESTAMPS)
    _frozen_after_entry = ("billing_record", "kind", "amount", "method", "status", "received_at")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if obj is None else (*self._frozen_after_entry, *readonly)

    def get_changeform_initial_data(self, request):
        return {"received_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if not change:
            obj.received_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(admin.ModelAdmin):
    """Read-only: numbers are taken under a row lock by the invoicing service; editing one would leave gaps."""

    list_display = ("year", "last_number", "updated_at")
    search_fields = ("year",)
    fields = ("year", "last_number", *TIMESTAMPS)
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
