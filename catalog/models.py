from django.apps import apps
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Upper

from catalog.querysets import LabTestQuerySet
from diagnopet.models import TimeStampedModel, money_field


class TestCategory(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_order", "name"]
        verbose_name_plural = "test categories"

    def __str__(self) -> str:
        return self.name


class TestTag(TimeStampedModel):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LabTest(TimeStampedModel):
    """A test the lab sells (the seed's "Test"). Packages are tests with ``is_package`` set."""

    # pytest collects classes named Test*; this one is named LabTest for that reason, and says so.
    __test__ = False

    code = models.CharField(max_length=30, help_text="Unique, case-insensitive, e.g. HEM-CBC.")
    name = models.CharField(max_length=200, db_index=True)
    category = models.ForeignKey(TestCategory, on_delete=models.PROTECT, related_name="tests")
    tags = models.ManyToManyField(TestTag, blank=True, related_name="tests")
    species = models.JSONField(default=list, blank=True, help_text='Species it is offered for, e.g. ["dog", "cat"].')
    description = models.TextField(blank=True)
    price = money_field()
    discounted_price = money_field(null=True, blank=True)
    sample_type = models.CharField(max_length=100, blank=True, db_index=True)
    tube_type = models.CharField(max_length=100, blank=True)
    sample_quantity_ml = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    collection_instructions = models.TextField(blank=True)
    fasting_required = models.BooleanField(default=False)
    tat_hours = models.PositiveIntegerField(null=True, blank=True, help_text="Turnaround time in hours.")
    is_package = models.BooleanField(default=False)
    # A package's tests, in the order they are listed (PackageComponent.position); booking a package books these.
    components = models.ManyToManyField(
        "self",
        through="PackageComponent",
        through_fields=("package", "test"),
        symmetrical=False,
        blank=True,
        related_name="packages",
    )
    is_active = models.BooleanField(default=True, db_index=True)

    objects = LabTestQuerySet.as_manager()

    class Meta:
        ordering = ["category__display_order", "name"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="catalog_labtest_code_ci_unique",
                violation_error_message="A test with this code already exists.",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="catalog_labtest_price_non_negative",
                violation_error_message="The price cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(discounted_price__isnull=True)
                | Q(discounted_price__gte=0, discounted_price__lte=F("price")),
                name="catalog_labtest_discounted_price_range",
                violation_error_message="The discounted price must be between 0 and the price.",
            ),
            models.CheckConstraint(
                condition=Q(sample_quantity_ml__isnull=True) | Q(sample_quantity_ml__gt=0),
                name="catalog_labtest_sample_quantity_positive",
                violation_error_message="The sample quantity must be more than 0 ml.",
            ),
            models.CheckConstraint(
                condition=Q(tat_hours__isnull=True) | Q(tat_hours__gt=0),
                name="catalog_labtest_tat_positive",
                violation_error_message="The turnaround must be more than 0 hours.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def offered_to(self, species: str) -> bool:
        """Whether the test may be booked for an animal of ``species``: an empty list means every species."""
        return not self.species or species in self.species

    @property
    def effective_price(self):
        """What a customer pays per unit today: the discounted price when set, else the price."""
        return self.discounted_price if self.discounted_price is not None else self.price


class PackageComponent(TimeStampedModel):
    """One test of a package (``LabTest.is_package``), at its place in the package's list.

    Booking the package books one item per component (its own tube, report and turnaround), the package's price
    split across them (``catalog.pricing.package_split``).
    """

    package = models.ForeignKey(LabTest, on_delete=models.CASCADE, related_name="component_links")
    # A test sold in a package is not deleted from under it.
    test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="package_links")
    position = models.PositiveSmallIntegerField(help_text="Its place in the package's list, from 1.")

    class Meta:
        ordering = ["package_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["package", "test"], name="catalog_component_unique_test"),
            models.UniqueConstraint(fields=["package", "position"], name="catalog_component_unique_position"),
            models.CheckConstraint(
                condition=~Q(package=F("test")),
                name="catalog_component_not_itself",
                violation_error_message="A package cannot contain itself.",
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1),
                name="catalog_component_position_positive",
                violation_error_message="The position must be at least 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.code} · {self.position}. {self.test.code} ({self.test.name})"


class Analyte(TimeStampedModel):
    """One quantity a test measures (a CBC measures HCT, HGB, RBC, ...): its unit, the decimals it is reported with,
    and its reference ranges per species (``ReferenceRange``). Results are entered per analyte
    (``bookings.ResultValue``)."""

    test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="analytes")
    code = models.CharField(max_length=20, help_text="Short code, unique within the test, e.g. HCT.")
    name = models.CharField(max_length=100, help_text="e.g. Haematocrit.")
    unit = models.CharField(max_length=30, blank=True, help_text="e.g. %, g/dL, 10^9/L.")
    decimals = models.PositiveSmallIntegerField(default=1, help_text="Decimal places a value is reported with.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Its row on the worklist and the report.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["test_id", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                "test",
                name="catalog_analyte_code_unique_per_test",
                violation_error_message="This test already has an analyte with this code.",
            ),
            models.CheckConstraint(
                condition=Q(decimals__lte=6),
                name="catalog_analyte_decimals_at_most_6",
                violation_error_message="At most 6 decimals.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.unit})" if self.unit else self.code


def species_label(code: str) -> str:
    """A species code as people read it (``dog`` → "Dog"), from the pets app's choices, looked up by name: the
    catalog does not import pets."""
    species = apps.get_model("pets", "Pet")._meta.get_field("species")
    return dict(species.flatchoices).get(code, code)


class ReferenceRange(TimeStampedModel):
    """The values of an analyte expected in healthy animals of a species (optionally of an age band).

    A value ``v`` is normal when ``low <= v <= high`` (both limits inclusive), low below ``low``, high above
    ``high``; critical when below ``critical_low`` or above ``critical_high`` (those limits themselves are not
    critical). Any limit may be empty (no limit on that side). The age band is ``[min_age_months, max_age_months)``;
    the most specific band that contains the pet's age wins over a range for every age.
    """

    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="ranges")
    species = models.CharField(max_length=10, help_text="A pet species code, e.g. dog or cat.")
    min_age_months = models.PositiveIntegerField(null=True, blank=True)
    max_age_months = models.PositiveIntegerField(null=True, blank=True)
    low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    critical_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    critical_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["analyte_id", "species", "min_age_months"]
        constraints = [
            # One range per species and age band (an open end counts as one value: Coalesce, not NULLs distinct).
            models.UniqueConstraint(
                "analyte",
                "species",
                Coalesce("min_age_months", Value(-1)),
                Coalesce("max_age_months", Value(-1)),
                name="catalog_range_unique_band",
                violation_error_message="This analyte already has a range for this species and age band.",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="catalog_range_low_not_above_high",
                violation_error_message="The low limit cannot be above the high limit.",
            ),
            models.CheckConstraint(
                condition=Q(critical_low__isnull=True) | Q(low__isnull=True) | Q(critical_low__lte=F("low")),
                name="catalog_range_critical_low_below_low",
                violation_error_message="The critical low cannot be above the low limit.",
            ),
            models.CheckConstraint(
                condition=Q(critical_high__isnull=True) | Q(high__isnull=True) | Q(critical_high__gte=F("high")),
                name="catalog_range_critical_high_above_high",
                violation_error_message="The critical high cannot be below the high limit.",
            ),
            models.CheckConstraint(
                condition=Q(min_age_months__isnull=True)
                | Q(max_age_months__isnull=True)
                | Q(min_age_months__lt=F("max_age_months")),
                name="catalog_range_age_band_ordered",
                violation_error_message="The minimum age must be below the maximum age.",
            ),
        ]

    def __str__(self) -> str:
        low = "" if self.low is None else self.low.normalize()
        high = "" if self.high is None else self.high.normalize()
        return f"{self.analyte.code} · {species_label(self.species)}: {low}–{high}"
