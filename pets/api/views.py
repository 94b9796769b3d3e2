from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets

from diagnopet.api.filters import StrictQueryMixin
from diagnopet.api.schema import errors
from pets.api.serializers import PetSerializer
from pets.filters import PetFilter
from pets.models import Pet
from pets.services import pet_create, pet_deactivate, pet_update


@extend_schema(tags=["pets"])
@extend_schema_view(
    list=extend_schema(summary="My pets", responses={200: PetSerializer(many=True), **errors(400, 401, 404)}),
    retrieve=extend_schema(summary="One of my pets", responses={200: PetSerializer, **errors(401, 404)}),
    create=extend_schema(summary="Add a pet", responses={201: PetSerializer, **errors(400, 401)}),
    update=extend_schema(summary="Replace a pet's details", responses={200: PetSerializer, **errors(400, 401, 404)}),
    partial_update=extend_schema(
        summary="Change a pet's details", responses={200: PetSerializer, **errors(400, 401, 404)}
    ),
    destroy=extend_schema(
        summary="Remove a pet (deactivates it; its bookings and reports stay)",
        responses={204: OpenApiResponse(description="Deactivated."), **errors(401, 404)},
    ),
)
class PetViewSet(StrictQueryMixin, viewsets.ModelViewSet):
    """The caller's active pets. Another customer's pet, or a deactivated one, answers 404."""

    serializer_class = PetSerializer
    filterset_class = PetFilter
    ordering_fields = ["name", "date_of_birth", "created_at"]
    ordering = ["name", "id"]
    search_fields = ["name", "breed", "microchip_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Pet.objects.none()
        return Pet.objects.filter(user=self.request.user, is_active=True)

    def perform_create(self, serializer):
        serializer.instance = pet_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = pet_update(pet=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        pet_deactivate(pet=instance)
