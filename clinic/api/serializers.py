from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.models import ClinicInfo
from diagnopet.api.schema import LocalTimeField
from diagnopet.api.serializers import ModelSerializer
from diagnopet.system_settings import system_settings


class ClinicInfoSerializer(ModelSerializer):
    opening_time = LocalTimeField(read_only=True)
    closing_time = LocalTimeField(read_only=True)
    whatsapp_link = serializers.URLField(read_only=True, help_text="https://wa.me/<digits>, from whatsapp_number.")
    cancellation_cutoff_hours = serializers.SerializerMethodField(
        help_text="Bookings may be cancelled or rescheduled until this many hours before their window starts."
    )

    class Meta:
        model = ClinicInfo
        fields = [
            "name",
            "whatsapp_number",
            "whatsapp_link",
            "phone",
            "email",
            "address",
            "google_maps_link",
            "latitude",
            "longitude",
            "opening_time",
            "closing_time",
            "cancellation_cutoff_hours",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_cancellation_cutoff_hours(self, clinic) -> int:
        # A system setting (run-time, diagnopet.system_settings), shown with the clinic's details.
        return system_settings().cancellation_cutoff_hours
