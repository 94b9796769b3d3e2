"""The pet's health record (published result values, weights) and report share links, as the customer API shows
them."""

from django.conf import settings
from rest_framework import serializers

from bookings import report_pdf
from bookings.models import Booking, ReportShare, ReportShareAccess, ResultValue
from diagnopet.api.serializers import ModelSerializer


class ResultSerializer(ModelSerializer):
    analyte = serializers.CharField(source="analyte.code", help_text="The analyte's code, e.g. HCT.")
    analyte_name = serializers.CharField(source="analyte.name")
    test_code = serializers.CharField(source="analyte.test.code")
    value = serializers.SerializerMethodField(help_text="Rounded to the analyte's reported decimals.")
    decimals = serializers.IntegerField(source="analyte.decimals")
    verified_at = serializers.DateTimeField(source="report.verified_at")

    class Meta:
        model = ResultValue
        fields = [
            "id",
            "analyte",
            "analyte_name",
            "test_code",
            "value",
            "decimals",
            "unit",
            "range_low",
            "range_high",
            "flag",
            "comment",
            "sampled_at",
            "report",
            "verified_at",
        ]
        read_only_fields = fields

    def get_value(self, result) -> str:
        return report_pdf.decimal_text(result.value, result.analyte.decimals)


class WeightSerializer(ModelSerializer):
    booking_code = serializers.CharField(source="code")
    weighed_at = serializers.DateTimeField(source="collected_at", help_text="When the collector took the samples.")

    class Meta:
        model = Booking
        fields = ["booking_code", "weighed_at", "pet_weight_kg"]
        read_only_fields = fields


class ShareRequestSerializer(serializers.Serializer):
    expires_in_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=settings.REPORT_SHARE_MAX_DAYS,
        help_text=f"Days the link lives (default {settings.REPORT_SHARE_DEFAULT_DAYS}, "
        f"at most {settings.REPORT_SHARE_MAX_DAYS}).",
    )


class ShareAccessSerializer(ModelSerializer):
    at = serializers.DateTimeField(source="created_at")
    visitor = serializers.CharField(
        source="ip_hash", help_text="A keyed hash of the visitor's IP address: the same visitor, the same value."
    )

    class Meta:
        model = ReportShareAccess
        fields = ["at", "kind", "visitor", "user_agent"]
        read_only_fields = fields


class ShareSerializer(ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The link to send: only in the answer that made it (the server keeps no copy of it)."
    )
    state = serializers.SerializerMethodField()
    access_count = serializers.IntegerField(read_only=True, help_text="How many times the page or PDF was opened.")
    last_accessed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    recent_accesses = ShareAccessSerializer(many=True, read_only=True, help_text="The latest 10 openings.")

    class Meta:
        model = ReportShare
        fields = [
            "id",
            "report",
            "url",
            "state",
            "created_at",
            "expires_at",
            "revoked_at",
            "access_count",
            "last_accessed_at",
            "recent_accesses",
        ]
        read_only_fields = fields

    def get_url(self, share) -> str | None:
        return self.context.get("urls", {}).get(share.pk)

    def get_state(self, share) -> str:
        if share.revoked_at is not None:
            return "revoked"
        return "expired" if share.expires_at <= self.context["now"] else "open"
