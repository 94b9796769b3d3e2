"""Collector settlement in the back-office: fees (dated history), cash hand-overs and payouts (recorded by the clinic
admin through the services, never changed or deleted), and the monthly statement per collector (page, CSV, PDF)."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import StaffRole, User
from accounts.roles import staff_is_collector
from clinic.models import ClinicInfo
from diagnopet.admin_base import TIMESTAMPS, CalendarSafeAdmin, ReadOnlyModelAdmin
from diagnopet.errors import DomainError
from diagnopet.money import format_money
from settlement.exports import collector_name, statement_csv, statement_pdf, summary_rows
from settlement.models import CashHandover, CollectorFee, CollectorPayout, CollectorStatement
from settlement.selectors import collector_statement
from settlement.services import (
    cash_handover_record,
    collector_fee_add,
    collector_payout_record,
    settlement_allowed,
)


def _collectors():
    return User.objects.filter(staff_profile__role=StaffRole.COLLECTOR).order_by("full_name", "id")


class RecordedByServiceAdmin(CalendarSafeAdmin, admin.ModelAdmin):
    """Rows written once through a settlement service by the clinic admin, then read-only; never deleted."""

    add_fields: tuple[str, ...] = ()

    def has_add_permission(self, request):
        return settlement_allowed(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "collector":
            kwargs["queryset"] = _collectors()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, request, obj):  # pragma: no cover - each admin says which service
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        created = self.create(request, obj)
        # The admin goes on with ``obj`` (history entry, redirect): make it the row the service saved.
        for field in self.model._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as exc:
            # The service refused (over the cash held, not a collector); its transaction rolled back.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(CollectorFee)
class CollectorFeeAdmin(RecordedByServiceAdmin):
    """Fee history: newest first per collector. A change of fee is a new row from a date (today or later)."""

    list_display = ("collector", "effective_from", "fee_per_visit", "commission_percent", "created_by")
    list_select_related = ("collector", "created_by")
    list_filter = (("collector", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("collector__full_name", "collector__phone", "notes")
    date_hierarchy = "effective_from"
    add_fields = ("collector", "effective_from", "fee_per_visit", "commission_percent", "notes")
    fields = (*add_fields, "created_by", *TIMESTAMPS)

    def create(self, request, obj):
        return collector_fee_add(
            collector=obj.collector,
            effective_from=obj.effective_from,
            fee_per_visit=obj.fee_per_visit,
            commission_percent=obj.commission_percent,
            notes=obj.notes,
            by=request.user,
        )


@admin.register(CashHandover)
class CashHandoverAdmin(RecordedByServiceAdmin):
    """Cash handed over at the desk. A mistake: add a correction (negative amount) naming the wrong entry."""

    list_display = ("handed_at", "collector", "amount", "received_by", "corrects")
    list_select_related = ("collector", "received_by", "corrects__collector")
    list_filter = (("collector", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("collector__full_name", "collector__phone", "notes")
    date_hierarchy = "handed_at"
    raw_id_fields = ("corrects",)
    add_fields = ("collector", "amount", "handed_at", "notes", "corrects")
    fields = ("collector", "amount", "handed_at", "received_by", "notes", "corrects", *TIMESTAMPS)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            form.base_fields["handed_at"].required = False
            form.base_fields["handed_at"].help_text = "Empty: now."
        return form

    def create(self, request, obj):
        return cash_handover_record(
            collector=obj.collector,
            amount=obj.amount,
            handed_at=obj.handed_at,
            notes=obj.notes,
            corrects=obj.corrects,
            by=request.user,
        )


@admin.register(CollectorPayout)
class CollectorPayoutAdmin(RecordedByServiceAdmin):
    """Fees paid to a collector, with method and reference. A mistake: add a correction naming the wrong entry."""

    list_display = ("paid_at", "collector", "amount", "method", "reference", "recorded_by", "corrects")
    list_select_related = ("collector", "recorded_by", "corrects__collector")
    list_filter = ("method", ("collector", admin.RelatedOnlyFieldListFilter))
    search_fields = ("collector__full_name", "collector__phone", "reference", "notes")
    date_hierarchy = "paid_at"
    raw_id_fields = ("corrects",)
    add_fields = ("collector", "amount", "method", "reference", "paid_at", "notes", "corrects")
    fields = ("collector", "amount", "method", "reference", "paid_at", "recorded_by", "notes", "corrects", *TIMESTAMPS)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            form.base_fields["paid_at"].required = False
            form.base_fields["paid_at"].help_text = "Empty: now."
        return form

    def create(self, request, obj):
        return collector_payout_record(
            collector=obj.collector,
            amount=obj.amount,
            method=obj.method,
            reference=obj.reference,
            paid_at=obj.paid_at,
            notes=obj.notes,
            corrects=obj.corrects,
            by=request.user,
        )


class MonthForm(forms.Form):
    month = forms.DateField(input_formats=["%Y-%m"], required=False, widget=forms.TextInput(attrs={"type": "month"}))

    def clean_month(self):
        # The page steps a month back and forward and sums up to the next month: 0001-01 and 9999-12 would run
        # off the calendar (OverflowError). No lab has statements outside these years.
        month = self.cleaned_data["month"]
        if month is not None and not 1900 <= month.year <= 2999:
            raise forms.ValidationError("Give a month between 1900 and 2999.")
        return month


@admin.register(CollectorStatement)
class CollectorStatementAdmin(ReadOnlyModelAdmin):
    """The collectors, each with a link to their monthly statement (``<id>/statement/?month=YYYY-MM``, and
    ``&format=csv`` or ``pdf``). A collector sees only their own line and statement; another's answers 404."""

    list_display = ("name", "phone", "statement")
    search_fields = ("full_name", "phone")
    ordering = ("full_name", "id")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).filter(staff_profile__role=StaffRole.COLLECTOR)
        if staff_is_collector(request.user):
            queryset = queryset.filter(pk=request.user.pk)
        return queryset

    def has_view_permission(self, request, obj=None):
        # No change page: a collector's statement is the statement view.
        return obj is None and super().has_view_permission(request)

    @admin.display(description="collector", ordering="full_name")
    def name(self, obj) -> str:
        return collector_name(obj)

    @admin.display(description="statement")
    def statement(self, obj) -> str:
        url = reverse("admin:settlement_collectorstatement_statement", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, "This month")

    def get_urls(self):
        view = self.admin_site.admin_view(self.statement_view)
        return [
            path("<int:collector_id>/statement/", view, name="settlement_collectorstatement_statement"),
            *super().get_urls(),
        ]

    def statement_view(self, request, collector_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        collector = get_object_or_404(self.get_queryset(request), pk=collector_id)
        form = MonthForm(request.GET or None)
        month = timezone.localdate().replace(day=1)
        if form.is_bound:
            if not form.is_valid():
                raise Http404("Give the month as YYYY-MM.")
            month = (form.cleaned_data["month"] or month).replace(day=1)
        statement = collector_statement(collector=collector, month=month)
        name = f"statement-{collector.pk}-{month:%Y-%m}"
        if request.GET.get("format") == "csv":
            response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        if request.GET.get("format") == "pdf":
            clinic = ClinicInfo.objects.only("name").first()
            pdf = statement_pdf(statement, clinic_name=clinic.name if clinic else "DiagnoPet")
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            response["X-Content-Type-Options"] = "nosniff"
            return response
        previous = (month - datetime.timedelta(days=1)).replace(day=1)
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Statement {month:%b %Y}: {collector_name(collector)}",
            "opts": self.model._meta,
            "statement": statement,
            "summary": summary_rows(statement),
            # Amounts in rupees, counts as they are.
            "summary_shown": [
                (label, value if isinstance(value, int) else format_money(value))
                for label, value in summary_rows(statement)
            ],
            "month": f"{month:%Y-%m}",
            "previous": f"{previous:%Y-%m}",
            "previous_label": f"{previous:%b %Y}",
            "following": f"{following:%Y-%m}",
            "following_label": f"{following:%b %Y}",
        }
        return TemplateResponse(request, "admin/settlement/collectorstatement/statement.html", context)
