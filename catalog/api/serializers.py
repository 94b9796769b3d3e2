from rest_framework import serializers

from catalog.models import LabTest, TestCategory, TestTag
from diagnopet.api.serializers import ModelSerializer


class CategorySerializer(ModelSerializer):
    class Meta:
        model = TestCategory
        fields = ["id", "name", "slug", "description", "display_order"]


class CategoryRefSerializer(ModelSerializer):
    class Meta:
        model = TestCategory
        fields = ["id", "name", "slug"]


class TagSerializer(ModelSerializer):
    class Meta:
        model = TestTag
        fields = ["id", "name", "slug"]


class LabTestSerializer(ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    tags = TagSerializer(many=True, read_only=True)
    species = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Species it is offered for, e.g. dog, cat."
    )

    class Meta:
        model = LabTest
        fields = [
            "id",
            "code",
            "name",
            "category",
            "tags",
            "species",
            "description",
            "price",
            "discounted_price",
            "sample_type",
            "tube_type",
            "sample_quantity_ml",
            "collection_instructions",
            "fasting_required",
            "tat_hours",
            "is_package",
        ]
        read_only_fields = fields
