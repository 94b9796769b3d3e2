from rest_framework import serializers

from diagnopet.api.serializers import StrictCharField


class AccountCloseSerializer(serializers.Serializer):
    password = StrictCharField(write_only=True, trim_whitespace=False, max_length=128, style={"input_type": "password"})


class AccountClosedSerializer(serializers.Serializer):
    closed_at = serializers.DateTimeField()
    anonymise_after = serializers.DateTimeField(help_text="When the name, phone and pet names kept for invoices go.")
