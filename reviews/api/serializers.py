from rest_framework import serializers

from diagnopet.api.serializers import ModelSerializer, StrictCharField
from reviews.models import COMMENT_MAX_LENGTH, RATING_MAX, RATING_MIN, Review


class ReviewInputSerializer(serializers.Serializer):
    """What the customer sends (POST; PATCH sends any of it)."""

    visit_rating = serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX)
    collector_rating = serializers.IntegerField(
        min_value=RATING_MIN,
        max_value=RATING_MAX,
        required=False,
        allow_null=True,
        help_text="The sample collector, 1 to 5: only for a home visit with a collector (else 400 "
        "`collector_rating_not_applicable`).",
    )
    comment = StrictCharField(required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, default="")
    testimonial_consent = serializers.BooleanField(
        required=False, default=False, help_text="The comment may be shown on the site as a testimonial."
    )


class ReviewSerializer(ModelSerializer):
    editable_until = serializers.DateTimeField(read_only=True, help_text="Until then the review can be changed.")

    class Meta:
        model = Review
        fields = [
            "id",
            "booking",
            "visit_rating",
            "collector_rating",
            "comment",
            "testimonial_consent",
            "created_at",
            "updated_at",
            "editable_until",
        ]
        read_only_fields = fields
