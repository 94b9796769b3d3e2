"""The pet's health record (published results, trend charts, weights) and report share links, for the customer.

Another customer's pet or report answers 404.
"""

from django.db.models import Count, Max, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from bookings.api.record_serializers import (
    ResultSerializer,
    ShareRequestSerializer,
    ShareSerializer,
    WeightSerializer,
)
from bookings.filters import ResultFilter
from bookings.health_record import pet_trend_png
from bookings.models import Booking, ReportShare, ReportShareAccess, ResultValue, TestReport
from bookings.querysets import customer_shareable_reports, published_results
from bookings.services.publishing import report_share_create, report_share_revoke, share_url
from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import ErrorSerializer, ValidationErrorSerializer, errors
from pets.models import Pet


def _own_pet(request, pet_id) -> Pet:
    # Deactivated pets keep their record (their bookings and reports stay readable too).
    return get_object_or_404(Pet.objects.filter(user_id=request.user.pk), pk=pet_id)


@extend_schema_view(
    list=extend_schema(
        summary="My pet's results over time",
        description="Every value of the pet's delivered reports (current versions), newest sample "
        "first; `?analyte=HCT` keeps one analyte.",
        responses={200: ResultSerializer(many=True), **errors(400, 401, 404)},
    )
)
class PetResultViewSet(StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ResultSerializer
    filterset_class = ResultFilter
    ordering_fields = None
    search_fields = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ResultValue.objects.none()
        pet = _own_pet(self.request, self.kwargs["pet_id"])
        # One query per page whatever the history: each value with its analyte, the analyte's test and its report.
        return (
            published_results(pet_id=pet.pk, released_only=True)
            .select_related("analyte__test", "report")
            .only(
                *("id", "value", "unit", "range_low", "range_high", "flag", "comment", "sampled_at", "report_id"),
                *("analyte__code", "analyte__name", "analyte__decimals", "analyte__test__code"),
                "report__verified_at",
            )
            .order_by("-sampled_at", "analyte__position", "-id")
        )

    @extend_schema(
        summary="Trend chart of one analyte (PNG)",
        description="The pet's published values of the analyte over time against its reference range, "
        "600 × 300 px. 404 when the pet has no published value of that analyte.",
        parameters=[OpenApiParameter("analyte", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. HCT")],
        responses={(200, "image/png"): OpenApiTypes.BINARY, **errors(401, 404)},
        filters=False,
    )
    def trend(self, request, pet_id=None, analyte=None):
        pet = _own_pet(request, pet_id)
        png = pet_trend_png(pet_id=pet.pk, analyte_code=analyte)
        if png is None:
            return Response({"detail": "No published value of this analyte.", "code": "not_found"}, status=404)
        response = HttpResponse(png, content_type="image/png")
        response["Cache-Control"] = "private, max-age=300"
        return response


@extend_schema_view(
    list=extend_schema(
        summary="My pet's weight history",
        description="The weights the collectors recorded at the pet's visits, newest first.",
        responses={200: WeightSerializer(many=True), **errors(400, 401, 404)},
    )
)
class PetWeightViewSet(StrictQueryMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = WeightSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        pet = _own_pet(self.request, self.kwargs["pet_id"])
        weighed = Booking.objects.filter(pet=pet, pet_weight_kg__isnull=False)
        return weighed.only("code", "collected_at", "pet_weight_kg").order_by("-collected_at", "-id")


SHARE_ERRORS = {
    400: OpenApiResponse(
        ValidationErrorSerializer, description="`expires_in_days` outside 1 to the maximum (`invalid_expiry`)."
    ),
    **errors(401, 404),
    409: OpenApiResponse(
        ErrorSerializer,
        description="`report_not_shareable`: not delivered yet, or an earlier version. `share_limit`: too many "
        "open links for this report; revoke one.",
    ),
}


@extend_schema_view(
    list=extend_schema(
        summary="Share links of my report",
        description="Every link made for the report, newest first, with how often and how it was opened.",
        responses={200: ShareSerializer(many=True), **errors(400, 401, 404)},
    ),
    create=extend_schema(
        summary="Share my report with my vet",
        description="An expiring link that shows this report (a page and its PDF) and nothing else. The `url` is "
        "in this answer only.",
        request=ShareRequestSerializer,
        responses={201: ShareSerializer, **SHARE_ERRORS},
    ),
    destroy=extend_schema(summary="Revoke a share link", responses={204: None, **errors(401, 404)}),
)
class ReportShareViewSet(StrictQueryMixin, viewsets.GenericViewSet):
    serializer_class = ShareSerializer
    filter_backends: list = []

    def _report(self) -> TestReport:
        return get_object_or_404(customer_shareable_reports(self.request.user), pk=self.kwargs["pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReportShare.objects.none()
        recent = ReportShareAccess.objects.order_by("-created_at", "-id")[:10]
        return (
            ReportShare.objects.filter(report=self._report())
            .annotate(access_count=Count("accesses"), last_accessed_at=Max("accesses__created_at"))
            # The latest openings of each link of the page in one query (a window over the links).
            .prefetch_related(Prefetch("accesses", queryset=recent, to_attr="recent_accesses"))
            .order_by("-created_at", "-id")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def list(self, request, pk=None):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, pk=None):
        data = ShareRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        share, token = report_share_create(
            report=self._report(), by=request.user, days=data.validated_data.get("expires_in_days")
        )
        share = self.get_queryset().get(pk=share.pk)
        context = {**self.get_serializer_context(), "urls": {share.pk: share_url(token)}}
        return Response(ShareSerializer(share, context=context).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None, share_id=None):
        share = get_object_or_404(ReportShare.objects.filter(report=self._report()), pk=share_id)
        report_share_revoke(share=share, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
