from rest_framework import serializers

from catalog.models import LabTest, PackageComponent, TestCategory, TestTag
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


class PackageComponentSerializer(ModelSerializer):
    """A test of a package: booking the package books it as an item of its own (tube, report, turnaround)."""

    id = serializers.IntegerField(source="test.id", read_only=True)
    code = serializers.CharField(source="test.code", read_only=True)
    name = serializers.CharField(source="test.name", read_only=True)
    sample_type = serializers.CharField(source="test.sample_type", read_only=True)
    tube_type = serializers.CharField(source="test.tube_type", read_only=True)
    tat_hours = serializers.IntegerField(source="test.tat_hours", read_only=True, allow_null=True)

    class Meta:
        model = PackageComponent
        fields = ["id", "code", "name", "sample_type", "tube_type", "tat_hours", "position"]
        read_only_fields = fields


class LabTestSerializer(ModelSerializer):
    category = CategoryRefSerializer(read_only=True)
    tags = TagSerializer(many=True, read_only=True)
    species = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Species it is offered for, e.g. dog, cat."
    )
    components = PackageComponentSerializer(
        source="component_links",
        many=True,
        read_only=True,
        help_text="A package's tests, in order (empty for a single test).",
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
            "components",
        ]
        read_only_fields = fields
