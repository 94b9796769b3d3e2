"""Collector staff API: today's visits, scanning a booking code, and the visit's outcome at the door (samples
collected, no-show, samples refused). A collector acts only on visits assigned to them (another's answers 404);
the same services run behind the back-office's day sheet."""

import datetime
from collections.abc import Mapping

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import StaffRole
from accounts.permissions import HasStaffRole, user_has_role
from bookings.api.staff_serializers import CollectedSerializer, NoShowSerializer, RefuseSerializer, VisitSerializer
from bookings.codes import booking_code_from_scan
from bookings.models import Booking, BookingItem
from bookings.services.collections import collection_complete
from bookings.services.no_show import booking_mark_no_show
from bookings.services.visits import visit_refuse_samples
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors
from diagnopet.errors import ValidationFailed


def reason_input(serializer_class, data) -> dict:
    """The validated input of a reasoned action; a missing or unknown ``reason`` is 400 with a code a client can
    branch on (``reason_required``, ``invalid_reason``), other field errors as DRF gives them."""
    serializer = serializer_class(data=data)
    if serializer.is_valid():
        return serializer.validated_data
    if "reason" in serializer.errors:
        raw = data.get("reason") if isinstance(data, Mapping) else None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise ValidationFailed("Say why: a reason is required.", code="reason_required", field="reason")
        raise ValidationFailed("Choose a reason from the list.", code="invalid_reason", field="reason")
    raise ValidationError(serializer.errors)


def visits_for(user):
    """Bookings a collector may see: those assigned to them (a clinic admin sees every assigned visit)."""
    visits = (
        Booking.objects.exclude(collection_staff=None)
        .select_related("pet", "user", "slot", "billing_record")
        .prefetch_related(Prefetch("items", queryset=BookingItem.objects.select_related("test").order_by("sequence")))
        .order_by("booking_date", "slot__start_time", "id")
    )
    if user_has_role(user, StaffRole.ADMIN):
        return visits
    return visits.filter(collection_staff=user)


@extend_schema_view(
    list=extend_schema(
        summary="My visits of a day",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Default: today.")],
        responses={200: VisitSerializer(many=True), **errors(400, 401, 403)},
    )
)
class CollectionViewSet(StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [HasStaffRole.of(StaffRole.COLLECTOR, StaffRole.ADMIN)]
    serializer_class = VisitSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        visits = visits_for(self.request.user)
        if self.action == "list":
            raw = self.request.query_params.get("date")
            try:
                day = datetime.date.fromisoformat(raw) if raw is not None else timezone.localdate()
            except ValueError as exc:
                raise ValidationFailed("Use a date like 2026-01-31.", code="invalid_date", field="date") from exc
            visits = visits.filter(booking_date=day).exclude(status=Booking.Status.CANCELLED)
        return visits

    @extend_schema(
        summary="Find a visit by its booking code or one of its tube codes (scan)",
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                required=True,
                description="A booking's code (DP-7K3Q9X) or a tube's (DP-7K3Q9X-01).",
            )
        ],
        responses={200: VisitSerializer, **errors(401, 403, 404)},
    )
    @action(detail=False, methods=["get"])
    def lookup(self, request):
        code = booking_code_from_scan(request.query_params.get("code", ""))
        visit = get_object_or_404(self.get_queryset(), code=code)
        return Response(self.get_serializer(visit).data)

    @extend_schema(
        summary="Mark the visit's samples collected (on the visit's day only: 409 not_visit_day)",
        request=CollectedSerializer,
        responses={200: VisitSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def collected(self, request, pk=None):
        visit = self.get_object()
        data = CollectedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = data.validated_data.get("payment") or {}
        collection_complete(
            booking=visit,
            by=request.user,
            failed_item_ids=data.validated_data["failed_items"],
            latitude=data.validated_data.get("latitude"),
            longitude=data.validated_data.get("longitude"),
            pet_weight_kg=data.validated_data.get("pet_weight_kg"),
            payment_amount=payment.get("amount"),
            payment_method=payment.get("method", "cash"),
            payment_reference=payment.get("reference", ""),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data)

    @extend_schema(
        summary="Mark the visit a no-show, with a reason from the list",
        description="400 `reason_required` without a reason, `invalid_reason` for one not in the list; "
        "409 `invalid_transition` once the visit is recorded.",
        request=NoShowSerializer,
        responses={200: VisitSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        visit = self.get_object()
        data = reason_input(NoShowSerializer, request.data)
        booking_mark_no_show(booking=visit, by=request.user, reason=data["reason"], notes=data["notes"])
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data)

    @extend_schema(
        summary="Refuse samples at the door, with a reason from the rejection reasons",
        description="The items are cancelled with the reason and their tests go into a free re-collection. On the "
        "visit's day only (409 `not_visit_day`); 400 `reason_required` / `invalid_reason`.",
        request=RefuseSerializer,
        responses={200: VisitSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        visit = self.get_object()
        data = reason_input(RefuseSerializer, request.data)
        visit_refuse_samples(
            booking=visit, by=request.user, reason=data["reason"], item_ids=data["items"], notes=data["notes"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data)
