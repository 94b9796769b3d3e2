from auditlog.mixins import AuditlogHistoryAdminMixin
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, ExpressionWrapper, Value, When
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from accounts.roles import staff_is_collector
from billing.admin_views import billing_report_allowed, billing_report_view, record_payment_view
from billing.documents import invoice_document, receipt_document
from billing.gateway import money_record_by_staff, refund_mark_done, refund_method_refusal
from billing.models import (
    BillingDocument,
    BillingRecord,
    CategoryDayTotal,
    DistancePricingConfig,
    InvoiceSequence,
    Payment,
    PaymentDayTotal,
    PaymentOrder,
    ProviderEvent,
    collection_type_label,
)
from billing.selectors import refunded_amount
from billing.services import (
    amount_due,
    distance_pricing_active,
    distance_pricing_start,
    distance_pricing_start_refusal,
    invoice_assign_number,
    payment_refusal,
    refund_allowed,
)
from diagnopet.admin_base import (
    TIMESTAMPS,
    CalendarSafeAdmin,
    LargeTableAdmin,
    ReadOnlyInline,
    ReadOnlyModelAdmin,
    done_message,
)
from diagnopet.errors import DomainError
from diagnopet.files import private_file_response
from diagnopet.money import format_money, to_money


class AuditHistory(AuditlogHistoryAdminMixin):
    """django-auditlog's history page and changelist link; a bill outside the user's rows (a collector's view is
    scoped to their visits) answers 404, not an empty page."""

    show_auditlog_history_link = True

    def auditlog_history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("Not found.")
        return super().auditlog_history_view(request, object_id, extra_context)


class DistancePricingForm(forms.ModelForm):
    """A new pricing: its amounts and the day it starts. The row in force ends the day before
    (``billing.services.distance_pricing_start``); the date rule is checked here so it shows on the field."""

    class Meta:
        model = DistancePricingConfig
        fields = (
            "effective_from",
            "base_charge",
            "charge_per_km",
            "max_free_distance_km",
            "max_service_distance_km",
            "notes",
        )
        help_texts = {"effective_from": "The pricing in force now ends the day before."}

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        refusal = distance_pricing_start_refusal(effective_from=day)
        if refusal:
            raise forms.ValidationError(refusal, code="pricing_date")
        return day


@admin.register(DistancePricingConfig)
class DistancePricingConfigAdmin(CalendarSafeAdmin, AuditHistory, admin.ModelAdmin):
    form = DistancePricingForm
    list_display = (
        "effective_range",
        "in_force_today",
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

    def get_fields(self, request, obj=None):
        if obj is None:
            return DistancePricingForm.Meta.fields
        return (
            *DistancePricingForm.Meta.fields[:1],
            "effective_until",
            "is_active",
            *DistancePricingForm.Meta.fields[1:],
            "updated_by",
            *TIMESTAMPS,
        )

    def get_queryset(self, request):
        # One query for the row in force today (the pricing rule lives in the service), then a constant per row.
        active = distance_pricing_active(on=timezone.localdate())
        in_force = Case(When(pk=active.pk, then=Value(True)), default=Value(False)) if active else Value(False)
        return super().get_queryset(request).annotate(in_force=ExpressionWrapper(in_force, output_field=BooleanField()))

    @admin.display(description="effective", ordering="effective_from")
    def effective_range(self, obj) -> str:
        """ "07/12/2026 → 31/12/2026", day first as dates are typed (diagnopet/formats/en_IN); a row without an end
        date reads "in force" when it is the one today, else "superseded" (a later row took over), "not yet in
        force" (it starts later) or "switched off"."""
        if obj.effective_until:
            until = date_format(obj.effective_until, "SHORT_DATE_FORMAT")
        elif obj.in_force:
            until = "in force"
        elif not obj.is_active:
            until = "switched off"
        elif obj.effective_from > timezone.localdate():
            until = "not yet in force"
        else:
            until = "superseded"
        return f"{date_format(obj.effective_from, 'SHORT_DATE_FORMAT')} → {until}"

    @admin.display(description="in force today", boolean=True, ordering="in_force")
    def in_force_today(self, obj) -> bool:
        return obj.in_force

    def has_change_permission(self, request, obj=None):
        # A recorded pricing is history: its page only shows it (the list and adding stay as the role allows).
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        distance_pricing_start(pricing=obj, by=request.user)


@admin.display(description="collection type", ordering="collection_type")
def collection_type(obj) -> str:
    """The bill's copy of its booking's collection type, by its label ("Home collection")."""
    return collection_type_label(obj.collection_type)


@admin.display(description="bill", ordering="billing_record")
def bill_column(obj) -> str:
    """A payment's, document's or order's bill in a list: its name without the balance (a query a row)."""
    return obj.billing_record.bill_name


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("received_at", "kind", "amount", "method", "status", "failure_reason", "reference", "received_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("received_by")


class CollectionTypeFilter(admin.SimpleListFilter):
    """Bills by collection type, from the bill's own copy of its booking's (``BillingRecord.collection_type``):
    filtering through ``booking__collection_type`` joined a million bookings to list a page of bills."""

    title = "collection type"
    parameter_name = "collection_type"

    def lookups(self, request, model_admin):
        # The booking's choices, named through the relation: billing does not import bookings.
        booking = BillingRecord._meta.get_field("booking").related_model
        return booking._meta.get_field("collection_type").choices

    def queryset(self, request, queryset):
        return queryset.filter(collection_type=self.value()) if self.value() else queryset


@admin.register(BillingRecord)
class BillingRecordAdmin(LargeTableAdmin, AuditHistory, admin.ModelAdmin):
    """Created with the booking and moved on by the billing services; every field here is read-only. Invoicing
    and payments are actions that call the services; the report page (``report/``) sums the bills."""

    change_list_template = "admin/billing/billingrecord/change_list.html"
    actions = ["assign_invoice_number", "record_payment"]
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
    list_filter = ("status", CollectionTypeFilter, "billing_date")
    ordering = ("-billing_date", "-id")
    search_fields = ("invoice_number", "booking__code", "user__phone", "user__full_name", "billing_period")
    date_hierarchy = "billing_date"
    inlines = [PaymentInline]
    fieldsets = (
        (None, {"fields": ("booking", "user", "status", collection_type, "tests")}),
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
                    "distance_note",
                )
            },
        ),
        ("Invoice", {"fields": ("billing_date", "billing_period", "invoice_number", "invoice_date", "documents")}),
        ("Dates", {"fields": ("finalized_at", "paid_date", "voided_at", *TIMESTAMPS)}),
    )
    readonly_fields = flatten_fieldsets(fieldsets)

    def get_queryset(self, request):
        # A bill's name reads its booking and customer: the payment form's picker (autocomplete) lists 20 of them.
        # (The changelist applies list_select_related only to a queryset that selects nothing yet: the same here.)
        # Its balance counts the refunds: one subquery in the same statement (billing.selectors.refunded_amount).
        queryset = (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(amount_refunded=refunded_amount())
        )
        if staff_is_collector(request.user):
            # SPEC §4: collectors deal with their own visits (this also scopes the payment form's picker).
            queryset = queryset.filter(booking__collection_staff=request.user)
        return queryset

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_record_payment_permission(self, request) -> bool:
        return request.user.has_perm("billing.add_payment")

    def changelist_view(self, request, extra_context=None):
        extra_context = {"show_billing_report": billing_report_allowed(request, self), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: no Save buttons. A bill with money due offers "Record payment" to whoever may;
        # one holding money offers "Refund" to the clinic admin (the same page, where a refund is a kind).
        extra = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        record = self.get_object(request, unquote(object_id))
        if record is not None and self.has_record_payment_permission(request):
            url = reverse("admin:billing_billingrecord_record_payment", args=[record.pk])
            if amount_due(record) > 0:
                extra["record_payment_url"] = url
            if record.amount_paid > 0 and refund_allowed(request.user):
                extra["refund_url"] = url
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def record_payment_page(self, request, object_id):
        """The "record payment" action for this one bill, from its page; back to the bill when done."""
        record = self._bill_or_404(request, object_id)
        if not self.has_record_payment_permission(request):
            raise PermissionDenied
        response = record_payment_view(request, self, self.get_queryset(request).filter(pk=record.pk))
        return response or HttpResponseRedirect(reverse("admin:billing_billingrecord_change", args=[record.pk]))

    def get_urls(self):
        report = self.admin_site.admin_view(lambda request: billing_report_view(request, self))
        invoice = self.admin_site.admin_view(self.invoice_view)
        receipt = self.admin_site.admin_view(self.receipt_view)
        # Before the stock URLs: "<path:object_id>/" would take "report/" for an object id.
        return [
            path("report/", report, name="billing_billingrecord_report"),
            path("<path:object_id>/invoice.pdf", invoice, name="billing_billingrecord_invoice"),
            path("<path:object_id>/receipt/<int:payment_id>.pdf", receipt, name="billing_billingrecord_receipt"),
            path(
                "<path:object_id>/record-payment/",
                self.admin_site.admin_view(self.record_payment_page),
                name="billing_billingrecord_record_payment",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="documents")
    def documents(self, obj) -> str:
        """Links to the invoice and the receipts of succeeded payments (rendered on first download if missing)."""
        links = []
        if obj.invoice_number:
            url = reverse("admin:billing_billingrecord_invoice", args=[obj.pk])
            links.append((url, f"Invoice {obj.invoice_number} (PDF)"))
        succeeded = obj.payments.filter(kind=Payment.Kind.PAYMENT, status=Payment.Status.SUCCEEDED)
        for payment in succeeded.order_by("received_at", "id"):
            url = reverse("admin:billing_billingrecord_receipt", args=[obj.pk, payment.pk])
            links.append((url, f"Receipt for {format_money(payment.amount)} ({payment.get_method_display()})"))
        if not links:
            return "—"
        return format_html_join("\n", '<a href="{}">{}</a><br>', links)

    def _bill_or_404(self, request, object_id) -> BillingRecord:
        # The changelist's rows: a collector reaches only their visits' bills (get_queryset), others none at all.
        record = self.get_object(request, unquote(object_id))
        if record is None or not self.has_view_permission(request, record):
            raise Http404("Not found.")
        return record

    def invoice_view(self, request, object_id):
        document = invoice_document(self._bill_or_404(request, object_id))
        if document is None:
            raise Http404("This bill has no invoice yet.")
        return private_file_response(document.file, download_name=f"{document.number}.pdf")

    def receipt_view(self, request, object_id, payment_id: int):
        record = self._bill_or_404(request, object_id)
        payment = record.payments.filter(
            pk=payment_id, kind=Payment.Kind.PAYMENT, status=Payment.Status.SUCCEEDED
        ).first()
        if payment is None:
            raise Http404("No such payment on this bill.")
        document = receipt_document(payment)
        return private_file_response(document.file, download_name=f"{document.number}.pdf")

    @admin.action(description="Assign invoice numbers", permissions=["change"])
    def assign_invoice_number(self, request, queryset):
        """Each bill on its own (one refusal does not undo the others); refusals are listed by bill."""
        invoiced = []
        for record in queryset.select_related("booking", "user").order_by("billing_date", "id"):
            try:
                numbered = invoice_assign_number(record=record)
            except DomainError as exc:
                self.message_user(request, f"{record}: {exc.message}", messages.ERROR)
                continue
            if numbered.invoice_number != record.invoice_number:
                invoiced.append(numbered.invoice_number)
        text = done_message(
            invoiced,
            one="{name} invoiced.",
            singular="%(count)d bill invoiced",
            plural="%(count)d bills invoiced",
            listed=True,
        )
        if text:
            self.message_user(request, text, messages.SUCCESS)

    @admin.action(description="Record a payment or refund", permissions=["record_payment"])
    def record_payment(self, request, queryset):
        return record_payment_view(request, self, queryset)


class PaymentAddForm(forms.ModelForm):
    """The add form: the service's limits (``billing.services.payment_refusal``) shown on the field they concern.
    ``recorded_by`` is the person recording (``PaymentAdmin.get_form`` sets it); the service checks again under
    the bill's row lock."""

    recorded_by = None

    def clean(self):
        cleaned = super().clean()
        record, amount, kind = cleaned.get("billing_record"), cleaned.get("amount"), cleaned.get("kind")
        if record is not None and amount is not None and amount > 0 and kind:
            refusal = payment_refusal(record=record, amount=to_money(amount), kind=kind, by=self.recorded_by)
            if refusal is None and kind == Payment.Kind.REFUND and cleaned.get("method"):
                refusal = refund_method_refusal(record=record, amount=to_money(amount), method=cleaned["method"])
            if refusal is not None:
                self.add_error(refusal.field if refusal.field in self.fields else None, refusal.message)
        return cleaned


@admin.register(Payment)
class PaymentAdmin(LargeTableAdmin, AuditHistory, admin.ModelAdmin):
    """Payments are entered through ``billing.services.payment_record`` (which keeps the bill's paid amount and
    status in step); afterwards only the reference and notes can be corrected. A wrong payment is answered by a
    refund, never by editing or deleting the row. Refunds go through ``billing.gateway.bill_refund``: an online
    payment is refunded through its provider; a pending desk refund is marked done with the action once the money
    was handed over."""

    actions = ["mark_desk_refund_done"]

    list_display = (
        "received_at",
        bill_column,
        "kind",
        "amount",
        "method",
        "status",
        "provider",
        "reference",
        "received_by",
    )
    # The bill's name and the payment's own read its booking and customer.
    list_select_related = ("billing_record__booking", "billing_record__user", "received_by")
    list_filter = ("kind", "method", "status", "provider")
    search_fields = (
        "reference",
        "provider_payment_id",
        "provider_refund_id",
        "billing_record__invoice_number",
        "billing_record__booking__code",
    )
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
        "failure_reason",
        "received_at",
        "received_by",
        "reference",
        "notes",
        "provider",
        "provider_order_id",
        "provider_payment_id",
        "provider_refund_id",
        "refund_of",
        *TIMESTAMPS,
    )
    readonly_fields = tuple(name for name in fields if name not in ("reference", "notes"))

    def has_mark_desk_refund_done_permission(self, request) -> bool:
        return refund_allowed(request.user)

    @admin.action(description="Mark desk refunds as handed over", permissions=["mark_desk_refund_done"])
    def mark_desk_refund_done(self, request, queryset):
        """Each refund on its own (one refusal does not undo the others)."""
        done = []
        for refund in queryset.select_related("billing_record__booking").order_by("pk"):
            try:
                refund_mark_done(refund=refund, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{refund}: {exc.message}", messages.ERROR)
                continue
            done.append(refund)
        text = done_message(
            [str(refund) for refund in done],
            one="{name} marked as handed over.",
            singular="%(count)d refund marked as handed over",
            plural="%(count)d refunds marked as handed over",
        )
        if text:
            self.message_user(request, text, messages.SUCCESS)

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type("PaymentAddForm", (PaymentAddForm,), {"recorded_by": request.user})
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind" and not refund_allowed(request.user):
            # Refunds are the clinic admin's (billing.services.payment_refusal).
            kwargs["choices"] = [(Payment.Kind.PAYMENT, Payment.Kind.PAYMENT.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

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
        payment = money_record_by_staff(
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

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ReadOnlyModelAdmin):
    """Read-only: numbers are taken under a row lock by the invoicing service; editing one would leave gaps."""

    list_display = ("year", "last_number", "updated_at")
    search_fields = ("year",)
    fields = ("year", "last_number", *TIMESTAMPS)
    readonly_fields = fields


@admin.register(CategoryDayTotal)
class CategoryDayTotalAdmin(ReadOnlyModelAdmin):
    """Read-only: the billing report's split by category, recomputed from the items every 10 minutes and by
    ``manage.py billing_totals`` (which also checks it against the items with ``--check``)."""

    list_display = ("day", "category", "items", "amount")
    list_select_related = ("category",)
    list_filter = ("category",)
    date_hierarchy = "day"
    fields = ("day", "category", "items", "amount", "created_at", "updated_at")
    readonly_fields = fields


@admin.register(PaymentDayTotal)
class PaymentDayTotalAdmin(ReadOnlyModelAdmin):
    """Read-only: the billing report's money received on past days, recomputed from the payments with the category
    totals (every 10 minutes and by ``manage.py billing_totals``)."""

    list_display = ("day", collection_type, "kind", "amount")
    list_filter = ("kind", CollectionTypeFilter)
    date_hierarchy = "day"
    fields = ("day", collection_type, "kind", "amount", "created_at", "updated_at")
    readonly_fields = fields


@admin.register(BillingDocument)
class BillingDocumentAdmin(ReadOnlyModelAdmin):
    """Read-only: invoices and receipts are rendered by billing.documents; downloaded from their bill's page."""

    list_display = ("number", "kind", bill_column, "payment", "created_at")
    list_select_related = (
        "billing_record__booking",
        "billing_record__user",
        "payment__billing_record__booking",
    )  # what the bill's and the payment's names read
    list_filter = ("kind",)
    search_fields = ("number", "billing_record__invoice_number")
    date_hierarchy = "created_at"
    fields = ("kind", "number", "billing_record", "payment", "download", *TIMESTAMPS)
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if staff_is_collector(request.user):
            return queryset.filter(billing_record__booking__collection_staff=request.user)
        return queryset

    @admin.display(description="file")
    def download(self, obj) -> str:
        if obj.kind == BillingDocument.Kind.INVOICE:
            url = reverse("admin:billing_billingrecord_invoice", args=[obj.billing_record_id])
        else:
            url = reverse("admin:billing_billingrecord_receipt", args=[obj.billing_record_id, obj.payment_id])
        return format_html('<a href="{}">{}.pdf</a>', url, obj.number)


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnlyModelAdmin):
    """Read-only: checkout orders made at the providers by ``billing.gateway.payment_order_create``."""

    list_display = ("created_at", bill_column, "provider", "provider_order_id", "amount", "status", "expires_at")
    list_select_related = ("billing_record__booking", "billing_record__user")  # what the bill's name reads
    list_filter = ("provider", "status")
    search_fields = ("provider_order_id", "billing_record__booking__code")
    date_hierarchy = "created_at"
    fields = (
        "billing_record",
        "provider",
        "provider_order_id",
        "amount",
        "currency",
        "status",
        "expires_at",
        *TIMESTAMPS,
    )
    readonly_fields = fields


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyModelAdmin):
    """Read-only: providers' webhook events as received (stored once by id) and what processing did with them."""

    list_display = ("received_at", "provider", "event_type", "event_id", "processed_at", "outcome")
    list_filter = ("provider", "event_type", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("event_id", "event_type")
    date_hierarchy = "received_at"
    fields = ("provider", "event_id", "event_type", "received_at", "processed_at", "outcome", "payload", *TIMESTAMPS)
    readonly_fields = fields
