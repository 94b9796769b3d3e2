"""Collector staff API: today's visits, scanning a booking code, marking samples collected."""

import datetime

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import StaffRole
from accounts.permissions import HasStaffRole, user_has_role
from bookings.api.staff_serializers import CollectedSerializer, VisitSerializer
from bookings.codes import booking_code_normalize
from bookings.models import Booking, BookingItem
from bookings.services.collections import collection_complete
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors
from diagnopet.errors import ValidationFailed


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
        summary="Find a visit by its booking code (scan)",
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, required=True, description="e.g. DP-7K3Q9X")],
        responses={200: VisitSerializer, **errors(401, 403, 404)},
    )
    @action(detail=False, methods=["get"])
    def lookup(self, request):
        code = booking_code_normalize(request.query_params.get("code", ""))
        visit = get_object_or_404(self.get_queryset(), code=code)
        return Response(self.get_serializer(visit).data)

    @extend_schema(
        summary="Mark the visit's samples collected",
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
            payment_amount=payment.get("amount"),
            payment_method=payment.get("method", "cash"),
            payment_reference=payment.get("reference", ""),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data)
