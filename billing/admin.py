from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.http import HttpResponseRedirect

from accounts.roles import staff_is_collector
from billing.models import BillingRecord, DistancePricingConfig, InvoiceSequence, Payment
from billing.services import payment_record
from diagnopet.errors import DomainError

TIMESTAMPS = ("created_at", "updated_at")


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
        "amount_paid",
        "billing_date",
    )
    list_select_related = ("booking", "user")
    list_filter = ("status", "booking__collection_type", "billing_date")
    ordering = ("-billing_date", "-id")
    search_fields = ("invoice_number", "booking__code", "user__phone", "user__full_name", "billing_period")
    date_hierarchy = "billing_date"
    inlines = [PaymentInline]
    fieldsets = (
        (None, {"fields": ("booking", "user", "status", "tests")}),
        (
            "Amounts",
            {
                "fields": (
                    "currency",
                    "base_amount",
                    "discount_amount",
                    "distance_charge",
                    "final_amount",
                    "amount_paid",
                )
            },
        ),
        ("Invoice", {"fields": ("billing_date", "billing_period", "invoice_number", "invoice_date")}),
        ("Dates", {"fields": ("finalized_at", "paid_date", "voided_at", *TIMESTAMPS)}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if staff_is_collector(request.user):
            # SPEC §4: collectors deal with their own visits (this also scopes the payment form's picker).
            queryset = queryset.filter(booking__collection_staff=request.user)
        return queryset

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments are entered through ``billing.services.payment_record`` (which keeps the bill's paid amount and
    status in step); afterwards only the reference and notes can be corrected. A wrong payment is answered by a
    refund, never by editing or deleting the row."""

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
    # What the person recording a payment fills in; the service sets status, time and recorder.
    add_fields = ("billing_record", "kind", "amount", "method", "reference", "notes")
    fields = (
        "billing_record",
        "kind",
        "amount",
        "method",
        "status",
        "received_at",
        "received_by",
        "reference",
        "notes",
        *TIMESTAMPS,
    )
    readonly_fields = tuple(name for name in fields if name not in ("reference", "notes"))

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if staff_is_collector(request.user):
            return queryset.filter(billing_record__booking__collection_staff=request.user)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "billing_record" and staff_is_collector(request.user):
            kwargs["queryset"] = BillingRecord.objects.filter(booking__collection_staff=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as exc:
            # The service refused (a void bill, a refund above what was paid); the transaction rolled back.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if change:  # only reference and notes are editable
            super().save_model(request, obj, form, change)
            return
        payment = payment_record(
            record=obj.billing_record,
            amount=obj.amount,
            method=obj.method,
            kind=obj.kind,
            by=request.user,
            reference=obj.reference,
            notes=obj.notes,
        )
        # The admin goes on with ``obj`` (history entry, redirect): make it the row the service saved.
        obj.pk = payment.pk
        obj.status = payment.status
        obj.received_at = payment.received_at
        obj.received_by = payment.received_by
        obj._state.adding = False

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
