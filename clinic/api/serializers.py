from rest_framework import serializers

from clinic.models import ClinicInfo


class ClinicInfoSerializer(serializers.ModelSerializer):
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
