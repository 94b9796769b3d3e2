"""Writes to pets. Pets are deactivated, never deleted: their bookings and reports stay."""

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from diagnopet.errors import ValidationFailed
from pets.models import Pet

# What an owner may change; ``user`` and ``is_active`` are not among them.
PET_EDITABLE_FIELDS = (
    "name",
    "species",
    "breed",
    "sex",
    "date_of_birth",
    "age_years",
    "weight_kg",
    "neutered",
    "microchip_id",
    "medical_history",
    "is_deceased",
)


def _pet_validate(pet: Pet) -> None:
    if pet.date_of_birth is not None and pet.date_of_birth > timezone.localdate():
        raise ValidationFailed(
            "The date of birth cannot be in the future.", code="date_of_birth_in_future", field="date_of_birth"
        )
    if pet.weight_kg is not None and pet.weight_kg <= 0:
        raise ValidationFailed("The weight must be more than 0 kg.", code="weight_not_positive", field="weight_kg")
    if pet.age_years is not None and pet.age_years < 0:
        raise ValidationFailed("The age cannot be negative.", code="age_negative", field="age_years")


@transaction.atomic
def pet_create(
    *,
    user,
    name: str,
    species: str,
    breed: str = "",
    sex: str = Pet.Sex.UNKNOWN,
    date_of_birth: datetime.date | None = None,
    age_years: Decimal | None = None,
    weight_kg: Decimal | None = None,
    neutered: bool = False,
    microchip_id: str = "",
    medical_history: str = "",
    is_deceased: bool = False,
) -> Pet:
    pet = Pet(
        user=user,
        name=name,
        species=species,
        breed=breed,
        sex=sex,
        date_of_birth=date_of_birth,
        age_years=age_years,
        weight_kg=weight_kg,
        neutered=neutered,
        microchip_id=microchip_id,
        medical_history=medical_history,
        is_deceased=is_deceased,
    )
    _pet_validate(pet)
    pet.save()
    return pet


@transaction.atomic
def pet_update(*, pet: Pet, data: dict[str, Any]) -> Pet:
    """Change the given fields (any of ``PET_EDITABLE_FIELDS``) of ``pet``."""
    unknown = set(data) - set(PET_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"pet_update cannot change {sorted(unknown)}")
    for field, value in data.items():
        setattr(pet, field, value)
    _pet_validate(pet)
    if data:
        pet.save(update_fields=[*data, "updated_at"])
    return pet


@transaction.atomic
def pet_deactivate(*, pet: Pet) -> Pet:
    """Hide the pet from its owner (idempotent). The row, its bookings and its reports stay."""
    if pet.is_active:
        pet.is_active = False
        pet.save(update_fields=["is_active", "updated_at"])
    return pet
