from rest_framework import serializers


class AccountCloseSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class AccountClosedSerializer(serializers.Serializer):
    closed_at = serializers.DateTimeField()
    anonymise_after = serializers.DateTimeField(help_text="When the name, phone and pet names kept for invoices go.")
