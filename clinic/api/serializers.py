from rest_framework import serializers

from clinic.models import ClinicInfo
from diagnopet.api.schema import LocalTimeField
from diagnopet.api.serializers import ModelSerializer


class ClinicInfoSerializer(ModelSerializer):
    opening_time = LocalTimeField(read_only=True)
    closing_time = LocalTimeField(read_only=True)
    whatsapp_link = serializers.URLField(read_only=True, help_text="https://wa.me/<digits>, from whatsapp_number.")

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
