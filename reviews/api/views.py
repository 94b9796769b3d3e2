"""A customer's review of their completed booking: ``bookings/{id}/review``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import ErrorSerializer, errors
from reviews.api.serializers import ReviewInputSerializer, ReviewSerializer
from reviews.services import review_create, review_for_customer, review_update

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Not found: the booking is not yours, or has no review.")


@extend_schema(tags=["reviews"])
class BookingReviewView(StrictQueryMixin, GenericAPIView):
    """Rate a completed visit (and its collector) once; change it for 7 days."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ReviewSerializer

    @extend_schema(summary="The booking's review", responses={200: ReviewSerializer, **errors(401), 404: NOT_FOUND})
    def get(self, request, pk: int):
        return Response(ReviewSerializer(review_for_customer(user=request.user, booking_id=pk)).data)

    @extend_schema(
        summary="Rate the visit",
        request=ReviewInputSerializer,
        responses={
            201: ReviewSerializer,
            **errors(400, 401),
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`booking_not_completed`: the booking is not completed yet. `review_exists`: it has "
                "already been rated (change it with PATCH).",
            ),
        },
    )
    def post(self, request, pk: int):
        data = self._input(request)
        review = review_create(user=request.user, booking_id=pk, **data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change the review",
        request=ReviewInputSerializer(partial=True),
        responses={
            200: ReviewSerializer,
            **errors(400, 401),
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="`review_locked`: more than 7 days since the review was given."
            ),
        },
    )
    def patch(self, request, pk: int):
        data = self._input(request, partial=True)
        review = review_update(user=request.user, booking_id=pk, **data)
        return Response(ReviewSerializer(review).data)

    def _input(self, request, partial: bool = False) -> dict:
        serializer = ReviewInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
