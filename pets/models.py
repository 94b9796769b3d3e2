from django.conf import settings
from django.db import models
from django.db.models import Q

from diagnopet.indexes import TrigramIndex
from diagnopet.models import TimeStampedModel


class Pet(TimeStampedModel):
    """A customer's animal. Pets are deactivated, never deleted: their bookings and reports stay."""

    class Species(models.TextChoices):
        DOG = "dog", "Dog"
        CAT = "cat", "Cat"
        BIRD = "bird", "Bird"
        RABBIT = "rabbit", "Rabbit"
        OTHER = "other", "Other"

    class Sex(models.TextChoices):
        MALE = "male", "Male"
        FEMALE = "female", "Female"
        UNKNOWN = "unknown", "Unknown"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pets")
    name = models.CharField(max_length=100, db_index=True)
    species = models.CharField(max_length=10, choices=Species.choices, db_index=True)
    breed = models.CharField(max_length=100, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    date_of_birth = models.DateField(null=True, blank=True)
    # When the exact birth date is unknown, an approximate age (years) as the owner gave it.
    age_years = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    neutered = models.BooleanField(default=False)
    # Text, not a number: leading zeros matter.
    microchip_id = models.CharField(max_length=32, blank=True)
    medical_history = models.TextField(blank=True)
    is_deceased = models.BooleanField(default=False, help_text="Stops reminders.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["user", "is_active"], name="pets_pet_user_active"),
            # The admin's search by pet name (icontains: diagnopet.admin_base.LargeTableAdmin).
            TrigramIndex(field="name", name="pets_pet_name_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gt=0),
                name="pets_pet_weight_positive",
                violation_error_message="The weight must be more than 0 kg.",
            ),
            models.CheckConstraint(
                condition=Q(age_years__isnull=True) | Q(age_years__gte=0),
                name="pets_pet_age_non_negative",
                violation_error_message="The age cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_species_display()})"
