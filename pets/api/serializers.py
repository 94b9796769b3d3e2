from diagnopet.api.serializers import ModelSerializer
from pets.models import Pet
from pets.services import PET_EDITABLE_FIELDS


class PetSerializer(ModelSerializer):
    """A customer's pet. ``user`` is never part of it; ``is_active`` is read-only (DELETE deactivates).

    Rules beyond types (no future birth date, weight above 0) live in ``pets.services``.
    """

    class Meta:
        model = Pet
        fields = ["id", *PET_EDITABLE_FIELDS, "is_active"]
        read_only_fields = ["id", "is_active"]
        extra_kwargs = {"microchip_id": {"help_text": "Text, not a number: leading zeros are kept."}}
