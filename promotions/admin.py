import csv

from auditlog.mixins import AuditlogHistoryAdminMixin
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from diagnopet.admin_base import (
    TIMESTAMPS,
    CalendarSafeAdmin,
    LargeTableAdmin,
    ReadOnlyModelAdmin,
    action_form,
    action_form_page,
)
from diagnopet.errors import DomainError
from diagnopet.forms import CodeField, duplicate_ignoring_case
from diagnopet.money import format_money
from diagnopet.spreadsheet import spreadsheet_safe
from promotions.models import Coupon, CouponRedemption, Offer
from promotions.services import CODE_PREFIX_MAX, COUPONS_GENERATE_MAX, coupons_generate


class CouponForm(forms.ModelForm):
    """``current_uses`` is not on the form, so the database check ``current_uses ≤ max_uses`` would only
    fail at save time; say it here instead. Codes are stored as printed (upper case, no spaces), and a code another
    coupon holds in any case is refused on the code field rather than as a constraint name."""

    class Meta:
        model = Coupon
        fields = ("code", "offer", "start_at", "end_at", "is_active", "max_uses", "max_uses_per_user")
        field_classes = {"code": CodeField}

    def clean_code(self):
        code = self.cleaned_data["code"]
        if duplicate_ignoring_case(self, "code", code):
            raise forms.ValidationError("A coupon with this code already exists.", code="duplicate_code")
        return code

    def clean_max_uses(self):
        max_uses = self.cleaned_data.get("max_uses")
        used = self.instance.current_uses if self.instance.pk else 0
        if max_uses is not None and max_uses < used:
            raise forms.ValidationError(f"This coupon has already been used {used} times.", code="below_current_uses")
        return max_uses


class CouponInline(admin.TabularInline):
    model = Coupon
    form = CouponForm
    fields = ("code", "start_at", "end_at", "is_active", "max_uses", "max_uses_per_user", "current_uses")
    readonly_fields = ("current_uses",)
    extra = 0
    show_change_link = True


class GenerateCouponsForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=COUPONS_GENERATE_MAX, initial=10)
    prefix = CodeField(
        max_length=CODE_PREFIX_MAX, required=False, help_text="Optional, e.g. DIWALI-. Letters, digits and dashes."
    )
    max_uses = forms.IntegerField(min_value=1, initial=1, label="Uses per code")


class GenerateCouponsForOfferForm(GenerateCouponsForm):
    """The same form from the Coupons list, where the offer is chosen on the page."""

    offer = forms.ModelChoiceField(queryset=Offer.objects.order_by("-start_date", "name"), label="Offer")
    field_order = ("offer", "count", "prefix", "max_uses")


def _coupons_csv(offer: Offer, coupons: list[Coupon]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="coupons-offer-{offer.pk}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    # Headings as people say them, times in the clinic's zone (as the other exports: diagnopet.spreadsheet).
    writer.writerow(["Code", "Offer", "Valid from", "Valid until", "Max uses"])
    for coupon in coupons:
        start, end = timezone.localtime(coupon.start_at), timezone.localtime(coupon.end_at)
        # The offer's name is staff's text and a prefix may start with "-": never a formula in the spreadsheet.
        code, name = spreadsheet_safe(coupon.code), spreadsheet_safe(offer.name)
        writer.writerow([code, name, f"{start:%Y-%m-%d %H:%M}", f"{end:%Y-%m-%d %H:%M}", coupon.max_uses])
    return response


@admin.register(Offer)
class OfferAdmin(CalendarSafeAdmin, AuditlogHistoryAdminMixin, admin.ModelAdmin):
    show_auditlog_history_link = True
    actions = ["generate_coupons"]
    list_display = (
        "name",
        "event_tag",
        "discount_type",
        "discount",
        "applies_to",
        "start_date",
        "end_date",
        "is_active",
        "auto_apply",
        "coupon_count",
        "coupon_uses",
    )
    list_filter = ("is_active", "auto_apply", "discount_type", "applies_to", "event_tag")
    ordering = ("-start_date", "name")
    search_fields = ("name", "event_tag", "description")
    date_hierarchy = "start_date"
    autocomplete_fields = ("applicable_tests",)
    readonly_fields = ("created_by", *TIMESTAMPS)
    inlines = [CouponInline]
    fieldsets = (
        (None, {"fields": ("name", "description", "event_tag", "is_active", "auto_apply")}),
        (
            "Discount",
            {
                "fields": (
                    "applies_to",
                    "discount_type",
                    "discount_value",
                    "max_discount_amount",
                    "minimum_order_value",
                    "applicable_tests",
                )
            },
        ),
        ("Validity", {"fields": ("start_date", "end_date")}),
        ("Record", {"fields": ("created_by", *TIMESTAMPS)}),
    )

    @admin.display(description="discount", ordering="discount_value")
    def discount(self, obj) -> str:
        """ "10%" or "₹100.00": the value with what it counts in."""
        if obj.discount_type == Offer.DiscountType.PERCENTAGE:
            return f"{obj.discount_value.normalize():f}%"
        return format_money(obj.discount_value)

    def get_queryset(self, request):
        # Both over the one coupons join (no other multi-valued join here, so the sum is not inflated).
        return (
            super()
            .get_queryset(request)
            .annotate(
                coupon_count=Count("coupons", distinct=True),
                coupon_uses=Coalesce(Sum("coupons__current_uses"), 0),
            )
        )

    @admin.display(description="coupons", ordering="coupon_count")
    def coupon_count(self, obj) -> int:
        return obj.coupon_count

    @admin.display(description="uses", ordering="coupon_uses")
    def coupon_uses(self, obj) -> int:
        return obj.coupon_uses

    def has_generate_coupons_permission(self, request) -> bool:
        return request.user.has_perm("promotions.add_coupon")

    @admin.action(description="Generate single-use coupon codes (CSV)", permissions=["generate_coupons"])
    def generate_coupons(self, request, queryset):
        """Intermediate page (how many, prefix) → ``promotions.services.coupons_generate`` → the codes as CSV."""
        offers = list(queryset[:2])
        if len(offers) != 1:
            self.message_user(request, "Select exactly one offer to generate codes for.", messages.ERROR)
            return None
        offer = offers[0]
        form = action_form(GenerateCouponsForm, request)
        if form.is_valid():
            try:
                coupons = coupons_generate(offer=offer, by=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return _coupons_csv(offer, coupons)
        return action_form_page(
            self,
            request,
            [offer],
            form=form,
            action="generate_coupons",
            title=f"Generate coupon codes for {offer}",
            template="admin/promotions/offer/generate_coupons.html",
            offer=offer,
            submit_label="Generate",
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for coupon in formset.save(commit=False):
            if coupon.pk is None:
                coupon.created_by = request.user
            coupon.save()
        formset.save_m2m()
        for coupon in formset.deleted_objects:
            coupon.delete()


@admin.register(Coupon)
class CouponAdmin(CalendarSafeAdmin, AuditlogHistoryAdminMixin, admin.ModelAdmin):
    show_auditlog_history_link = True
    form = CouponForm
    list_display = (
        "code",
        "offer",
        "start_at",
        "end_at",
        "is_active",
        "max_uses",
        "current_uses",
        "active_redemptions",
        "max_uses_per_user",
    )
    list_select_related = ("offer",)
    list_filter = ("is_active", "offer")
    ordering = ("-created_at", "-id")
    search_fields = ("code", "offer__name")
    date_hierarchy = "start_at"
    autocomplete_fields = ("offer",)
    readonly_fields = ("current_uses", "created_by", *TIMESTAMPS)

    def get_queryset(self, request):
        # Redemptions not released by a cancellation: what current_uses should count.
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_redemptions=Count("redemptions", filter=Q(redemptions__released_at__isnull=True), distinct=True)
            )
        )

    @admin.display(description="redemptions", ordering="active_redemptions")
    def active_redemptions(self, obj) -> int:
        return obj.active_redemptions

    def get_urls(self):
        generate = path("generate/", self.admin_site.admin_view(self.generate_view), name="promotions_coupon_generate")
        return [generate, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {"may_generate": request.user.has_perm("promotions.add_coupon")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def generate_view(self, request):
        """Bulk codes for an offer chosen here (the Offers list has the same as an action): the form, then
        ``promotions.services.coupons_generate`` → the codes as CSV."""
        if not request.user.has_perm("promotions.add_coupon"):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = GenerateCouponsForOfferForm(data, initial={"offer": request.GET.get("offer")})
        if form.is_valid():
            fields = dict(form.cleaned_data)
            offer = fields.pop("offer")
            try:
                coupons = coupons_generate(offer=offer, by=request.user, **fields)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return _coupons_csv(offer, coupons)
        context = {
            **self.admin_site.each_context(request),
            "title": "Generate coupon codes",
            "opts": self.opts,
            "form": form,
            "submit_label": "Generate",
            "changelist_url": reverse("admin:promotions_coupon_changelist"),
        }
        return TemplateResponse(request, "admin/promotions/coupon/generate.html", context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(LargeTableAdmin, ReadOnlyModelAdmin):
    """Read-only: redemptions are written and released by the booking flow, together with the coupon's
    ``current_uses``; editing one here would put the two out of step."""

    list_display = ("coupon", "booking", "user", "discount_amount", "redeemed_at", "released_at")
    list_select_related = ("coupon", "booking", "user")
    list_filter = (("released_at", admin.EmptyFieldListFilter),)
    search_fields = ("coupon__code", "booking__code", "user__phone", "user__full_name")
    date_hierarchy = "redeemed_at"
    fields = ("coupon", "booking", "user", "discount_amount", "redeemed_at", "released_at", *TIMESTAMPS)
    readonly_fields = fields
