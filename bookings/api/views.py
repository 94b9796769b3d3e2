import datetime
import io

import qrcode
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404 as get_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from billing.api.serializers import CheckoutSerializer, PayRequestSerializer
from billing.providers import provider_get
from bookings.api.selectors import booking_rows, bookings_shown, report_rows, reports_shown
from bookings.api.serializers import (
    BookingRequestSerializer,
    BookingSerializer,
    CancelSerializer,
    PrescriptionSerializer,
    PrescriptionUploadSerializer,
    QuoteSerializer,
    ReportSerializer,
    RescheduleSerializer,
    SlotSerializer,
)
from bookings.filters import BookingFilter, ReportFilter
from bookings.models import Booking, CollectionSlot, TestReport
from bookings.querysets import (
    bookings_for_customer,
    customer_bookings,
    customer_reports,
    reports_for_customer,
    slots_with_day_places,
)
from bookings.services import booking_cancel, booking_create, booking_quote, booking_reschedule
from bookings.services.payments import booking_pay
from bookings.services.prescriptions import prescription_upload
from clinic.models import ClinicHoliday
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.pagination import CountedOn
from diagnopet.api.schema import ErrorSerializer, ValidationErrorSerializer, errors
from diagnopet.errors import ValidationFailed
from diagnopet.files import private_file_response
from pets.models import Pet

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per intended booking (1 to 80 printable ASCII characters); retrying the same "
    "request with the same key returns the same booking, another request with a used key is refused (422).",
)

# Booking rules a quote and a booking share (bookings/services/pricing.py).
RULE_ERRORS = (
    "`pet_deceased`: the pet is recorded as deceased. `test_unavailable`: a test (named) exists but cannot be "
    "booked now: it, or its category, is switched off. `invalid_tests`: an id names no test. "
    "`test_not_for_species`: a test is not offered for the pet's species; the field is `tests[i]`, the position "
    "of that test in `tests`."
)

CREATE_ERRORS = {
    400: OpenApiResponse(
        ValidationErrorSerializer,
        description="Invalid input; the body says which field and why. "
        + RULE_ERRORS
        + " `invalid_idempotency_key`: the Idempotency-Key header is longer than 80 characters or not printable "
        "ASCII.",
    ),
    **errors(401),
    409: OpenApiResponse(
        ErrorSerializer,
        description="`slot_full`: no place left in the slot. `booking_limit`: the customer (or the pet) already "
        "has the most open bookings allowed on that day.",
    ),
    422: OpenApiResponse(
        ErrorSerializer,
        description="`idempotency_key_reused`: this Idempotency-Key already made a booking from a different request.",
    ),
}


def _service_kwargs(data: dict) -> dict:
    return {
        "pet_id": data["pet"],
        "test_ids": data["tests"],
        "collection_type": data["collection_type"],
        "address_id": data.get("address"),
        "slot_id": data["slot"],
        "coupon_code": data.get("coupon_code") or None,
    }


@extend_schema_view(
    list=extend_schema(summary="My bookings", responses={200: BookingSerializer(many=True), **errors(400, 401)}),
    retrieve=extend_schema(summary="One of my bookings", responses={200: BookingSerializer, **errors(401, 404)}),
)
class BookingViewSet(StrictQueryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A customer's bookings: quote, book, follow, cancel, show the QR code, attach prescriptions."""

    serializer_class = BookingSerializer
    filterset_class = BookingFilter
    ordering_fields = ["created_at", "booking_date", "total_amount"]
    ordering = ["-created_at", "-id"]
    search_fields = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        if self.action == "qr" and self.request.user.is_staff:
            # Staff print and scan any booking's code.
            return Booking.objects.all()
        return bookings_for_customer(self.request.user)

    def filter_queryset(self, queryset):
        # Filters and ordering shape the list; one booking is found by its id alone (its operation reads no query).
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    # List and detail, the hottest customer reads, are built from values rows (bookings/api/selectors.py); the
    # actions show model instances through the serializer.
    def list(self, request):
        bookings = self.filter_queryset(customer_bookings(request.user))
        page = self.paginate_queryset(CountedOn(booking_rows(bookings), counted=bookings))
        return self.get_paginated_response(bookings_shown(page))

    def retrieve(self, request, pk=None):
        row = get_or_404(booking_rows(customer_bookings(request.user)), pk=pk)
        return Response(bookings_shown([row])[0])

    @extend_schema(
        summary="Price a booking (nothing is saved)",
        description="Checks the same rules as booking, so a quote refuses what a booking would.",
        request=BookingRequestSerializer,
        responses={
            200: QuoteSerializer,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="Invalid input; the body says which field and why. " + RULE_ERRORS,
            ),
            **errors(401, 409),
        },
    )
    @action(detail=False, methods=["post"])
    def quote(self, request):
        data = _validated(BookingRequestSerializer, request.data)
        quote = booking_quote(user=request.user, **_service_kwargs(data))
        return Response(QuoteSerializer(quote).data)

    @extend_schema(
        summary="Book tests",
        parameters=[IDEMPOTENCY_HEADER],
        request=BookingRequestSerializer,
        responses={
            201: BookingSerializer,
            200: OpenApiResponse(BookingSerializer, description="Replay: the booking made with this Idempotency-Key."),
            **CREATE_ERRORS,
        },
    )
    def create(self, request):
        data = _validated(BookingRequestSerializer, request.data)
        booking = booking_create(
            user=request.user,
            notes=data.get("notes", ""),
            idempotency_key=request.headers.get("Idempotency-Key"),
            **_service_kwargs(data),
        )
        code = status.HTTP_200_OK if booking.was_replayed else status.HTTP_201_CREATED
        if booking.was_replayed:
            booking = bookings_for_customer(request.user).get(pk=booking.pk)
        # else: a new booking comes back with everything the serializer shows already loaded (booking_create).
        return Response(BookingSerializer(booking, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
        summary="Cancel my booking",
        request=CancelSerializer,
        responses={200: BookingSerializer, **errors(400, 401, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        booking = self.get_object()
        data = _validated(CancelSerializer, request.data)
        booking_cancel(booking=booking, by=request.user, reason=data.get("reason", ""), as_staff=False)
        booking = self.get_queryset().get(pk=booking.pk)
        return Response(self.get_serializer(booking).data)

    @extend_schema(
        summary="Pay my booking online",
        description="Makes (or returns the still-open) provider order for the amount due, with what the app needs "
        "to open the provider's checkout. After checkout, post the provider's answer to `payments/confirm`.",
        request=PayRequestSerializer,
        responses={
            200: CheckoutSerializer,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="`payment_provider_unavailable`: that provider is not configured here.",
            ),
            **errors(401, 404),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`nothing_due`: the booking is paid. `booking_cancelled`: the booking was cancelled.",
            ),
            502: OpenApiResponse(ErrorSerializer, description="`payment_provider_error`: the provider failed."),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def pay(self, request, pk=None):
        booking = self.get_object()
        data = _validated(PayRequestSerializer, request.data)
        order = booking_pay(booking=booking, user=request.user, provider=data["provider"])
        public_key = provider_get(order.provider).public_key
        return Response(CheckoutSerializer(order, context={"public_key": public_key}).data)

    @extend_schema(
        summary="Move my booking to another slot",
        description="Until the cancellation cutoff before the current slot; a free re-collection awaiting its "
        "schedule (`awaiting_schedule`) gets its first slot this way, at any time, and becomes `confirmed`. The old "
        "slot's place is given back and the new one taken together; the price does not change.",
        request=RescheduleSerializer,
        responses={
            200: BookingSerializer,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="`invalid_slot` (no such active slot), `slot_in_past`, `slot_unavailable` (the clinic is "
                "closed that day), `same_slot` (the booking is already there).",
            ),
            **errors(401, 404),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`slot_full`: no place of the booking's kind left in the slot or its day. "
                "`reschedule_cutoff_passed`: too close to the current slot; call the clinic. `invalid_transition`: "
                "the booking is no longer upcoming (collected, cancelled, …). `booking_limit`: the customer or the pet "
                "already has the most open bookings allowed on the new day.",
            ),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reschedule(self, request, pk=None):
        booking = self.get_object()
        data = _validated(RescheduleSerializer, request.data)
        booking_reschedule(booking=booking, slot_id=data["slot"], by=request.user, as_staff=False)
        booking = self.get_queryset().get(pk=booking.pk)
        return Response(self.get_serializer(booking).data)

    @extend_schema(
        summary="QR code of the booking code (PNG)",
        responses={(200, "image/png"): OpenApiTypes.BINARY, **errors(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def qr(self, request, pk=None):
        booking = self.get_object()
        image = qrcode.make(booking.code, box_size=8, border=2)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        response = HttpResponse(buffer.getvalue(), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    @extend_schema(
        methods=["GET"],
        summary="Prescriptions of my booking",
        responses={200: PrescriptionSerializer(many=True), **errors(401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach a prescription (PDF, JPEG or PNG; ≤ 10 MB)",
        request={"multipart/form-data": PrescriptionUploadSerializer},
        responses={
            201: PrescriptionSerializer,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                description="The file is refused: `empty_file`, `file_too_large`, `unsupported_file_type`, "
                "`image_too_large` (more pixels than an image may have), or `upload_quota` (too many files or bytes "
                "on this booking, or from this customer today).",
            ),
            **errors(401, 404, 409),
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="prescriptions/",
        url_name="prescriptions",
        parser_classes=[MultiPartParser, FormParser],
        # One booking's prescriptions: a plain list, and the bookings filters do not apply.
        filter_backends=[],
        pagination_class=None,
    )
    def prescriptions(self, request, pk=None):
        booking = self.get_object()
        if request.method == "GET":
            rows = booking.prescriptions.order_by("-created_at", "-id")
            return Response(PrescriptionSerializer(rows, many=True).data)
        data = _validated(PrescriptionUploadSerializer, request.data)
        upload = prescription_upload(booking=booking, user=request.user, file=data["file"])
        return Response(PrescriptionSerializer(upload).data, status=status.HTTP_201_CREATED)


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(
        summary="Collection slots with places left",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Day to show (default: the next 7 days).")],
        responses={200: SlotSerializer(many=True), **errors(400)},
    )
)
class SlotViewSet(StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Upcoming collection windows (not on holidays, not started) and how many places each has left."""

    serializer_class = SlotSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        now = timezone.localtime()
        raw = self.request.query_params.get("date")
        if raw is not None:
            try:
                day = parse_date(raw)
            except ValueError:  # well formed but impossible, e.g. 2026-02-30
                day = None
            if day is None:
                raise ValidationFailed("Use a date like 2026-01-31.", code="invalid_date", field="date")
            days = [day]
        else:
            days = [now.date() + datetime.timedelta(days=n) for n in range(7)]
        # Days closed all day (a date exception with special hours is open).
        holidays = ClinicHoliday.objects.filter(date__in=days, opens_at__isnull=True).values("date")
        slots = CollectionSlot.objects.filter(is_active=True, date__in=days).exclude(date__in=holidays)
        # Windows of today that already started are gone.
        slots = slots.exclude(date=now.date(), start_time__lte=now.time()).order_by("date", "start_time")
        # The day's places too: a window of a day that reached its daily cap shows no place left.
        return slots_with_day_places(slots)


@extend_schema_view(
    list=extend_schema(
        summary="My delivered reports", responses={200: ReportSerializer(many=True), **errors(400, 401)}
    ),
    retrieve=extend_schema(summary="One delivered report", responses={200: ReportSerializer, **errors(401, 404)}),
)
class ReportViewSet(StrictQueryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Delivered reports of the customer's own pets (current versions only)."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    ordering_fields = ["delivered_at"]
    ordering = ["-delivered_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TestReport.objects.none()
        return reports_for_customer(self.request.user)

    # List and detail are built from values rows (bookings/api/selectors.py); the download reads the model.
    def list(self, request):
        reports = self.filter_queryset(customer_reports(request.user))
        page = self.paginate_queryset(CountedOn(report_rows(reports), counted=reports))
        return self.get_paginated_response(reports_shown(page, request))

    def retrieve(self, request, pk=None):
        row = get_or_404(report_rows(customer_reports(request.user)), pk=pk)
        return Response(reports_shown([row], request)[0])

    @extend_schema(
        summary="Download the report PDF",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def download(self, request, pk=None):
        report = self.get_object()
        if not report.report_file:
            return Response({"detail": "The report file is missing.", "code": "not_found"}, status=404)
        name = f"{report.booking.code}-{report.test.code}-v{report.version}.pdf"
        return private_file_response(report.report_file, download_name=name)


@extend_schema_view(
    list=extend_schema(
        summary="Delivered reports of one of my pets", responses={200: ReportSerializer(many=True), **errors(401, 404)}
    )
)
class PetReportViewSet(StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReportSerializer
    ordering = ["-delivered_at", "-id"]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TestReport.objects.none()
        # Another customer's pet answers 404, not an empty list.
        pet = get_object_or_404(Pet.objects.filter(user=self.request.user), pk=self.kwargs["pet_id"])
        return reports_for_customer(self.request.user).filter(pet=pet).order_by("-delivered_at", "-id")
