from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from catalog.ranges import Flag as ResultFlag
from diagnopet.files import stored_name
from diagnopet.indexes import TrigramIndex
from diagnopet.models import TimeStampedModel, money_field, random_upload_path

# A pet weighed at a visit: a budgie's 30 g to a mastiff's 100 kg and more; outside is a typing mistake.
PET_WEIGHT_MIN_KG = Decimal("0.01")
PET_WEIGHT_MAX_KG = Decimal("150")


class CollectionType(models.TextChoices):
    HOME = "home", "Home collection"
    LAB = "lab", "Lab visit"


class CollectionSlot(TimeStampedModel):
    """A collection time window with capacity for home visits and (optionally) lab visits.

    ``booked`` / ``lab_booked`` count the bookings holding a place; the database refuses overbooking.
    """

    date = models.DateField(db_index=True)
    start_time = models.TimeField()
    end_time = models.TimeField()
    capacity = models.PositiveSmallIntegerField(help_text="Home visits in this window.")
    booked = models.PositiveSmallIntegerField(default=0, editable=False)
    lab_capacity = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty means no limit.")
    lab_booked = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.UniqueConstraint(fields=["date", "start_time"], name="bookings_slot_unique_start"),
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")),
                name="bookings_slot_start_before_end",
                violation_error_message="The slot must start before it ends.",
            ),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")),
                name="bookings_slot_booked_within_capacity",
                violation_error_message="The capacity cannot be below the places already booked.",
            ),
            models.CheckConstraint(
                condition=Q(lab_capacity__isnull=True) | Q(lab_booked__lte=F("lab_capacity")),
                name="bookings_slot_lab_booked_within_capacity",
                violation_error_message="The lab capacity cannot be below the lab places already booked.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%a %d %b %Y}, {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)


class CollectionDay(TimeStampedModel):
    """The places of one day over all its windows (the clinic's daily caps), counted like a slot's. A slot whose day
    has no row, or a cap left empty, is limited by its own window only."""

    date = models.DateField(unique=True)
    capacity = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Home visits this day; empty: no cap.")
    booked = models.PositiveSmallIntegerField(default=0, editable=False)
    lab_capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Lab visits this day; empty: no cap."
    )
    lab_booked = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(booked__lte=F("capacity")),
                name="bookings_day_booked_within_cap",
                violation_error_message="The day’s cap cannot be below the home visits already booked.",
            ),
            models.CheckConstraint(
                condition=Q(lab_capacity__isnull=True) | Q(lab_booked__lte=F("lab_capacity")),
                name="bookings_day_lab_booked_within_cap",
                violation_error_message="The day’s lab cap cannot be below the lab visits already booked.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%a %d %b %Y}"


class Booking(TimeStampedModel):
    """A customer's order of tests for one pet, collected at home or at the lab.

    Money columns are a snapshot of the pricing at booking time; ``total`` = subtotal − discount +
    distance charge (checked by the database).
    """

    class Status(models.TextChoices):
        # A free re-collection whose visit the customer has not chosen yet (no slot).
        AWAITING_SCHEDULE = "awaiting_schedule", "Awaiting schedule"
        PENDING = "pending", "Pending"
        CONFIRMED = "confirmed", "Confirmed"
        COLLECTED = "collected", "Collected"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    class NoShowReason(models.TextChoices):
        NOBODY_HOME = "nobody_home", "Nobody at home"
        UNREACHABLE = "unreachable", "Customer not reachable by phone"
        PET_UNAVAILABLE = "pet_unavailable", "Pet not available"
        CUSTOMER_DECLINED = "customer_declined", "Customer declined the visit"
        WRONG_ADDRESS = "wrong_address", "Address not found"
        OTHER = "other", "Other (see notes)"

    class CancelledBy(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "System"

    code = models.CharField(max_length=12, unique=True, help_text="Short human-readable code, e.g. DP-7K3Q9X.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    pet = models.ForeignKey("pets.Pet", on_delete=models.PROTECT, related_name="bookings")
    collection_type = models.CharField(max_length=10, choices=CollectionType.choices, db_index=True)
    slot = models.ForeignKey(CollectionSlot, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings")
    # Indexed with the changelist's order (Meta.indexes), as is the status.
    booking_date = models.DateField(
        help_text="The day of the collection visit (while awaiting a schedule: the day it was made)."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # The address is snapshotted: editing or deleting the customer's address never rewrites history.
    address = models.ForeignKey(
        "accounts.Address", on_delete=models.SET_NULL, null=True, blank=True, related_name="bookings"
    )
    address_text = models.TextField(blank=True)
    address_link = models.URLField(max_length=500, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    collection_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collections",
        limit_choices_to={"is_staff": True},
    )
    notes = models.TextField(blank=True)
    estimated_distance_km = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    subtotal = money_field()
    discount_amount = money_field(default=0)
    distance_charge = money_field(default=0)
    total_amount = money_field()
    coupon = models.ForeignKey(
        "promotions.Coupon", on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    offer = models.ForeignKey(
        "promotions.Offer", on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    # sha256 of the request that made the booking with this key: the same key with another request is refused.
    # Empty for bookings made before it was kept (those match any request).
    idempotency_request_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    recollection_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="recollections"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    collected_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    collected_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # Straight-line km from the address pin to where the samples were taken (set when both are known); far beyond
    # COLLECTION_PIN_TOLERANCE_KM the distance charge is worked out again from the collection point.
    collection_pin_gap_km = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Straight-line km between the address pin and where the samples were collected.",
    )
    processing_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_by_role = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    cancellation_reason = models.TextField(blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    no_show_reason = models.CharField(max_length=20, choices=NoShowReason.choices, blank=True)
    # Weighed by the collector at the visit (optional): the pet's weight history is these, over its bookings.
    pet_weight_kg = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=f"The pet's weight when the samples were taken ({PET_WEIGHT_MIN_KG}–{PET_WEIGHT_MAX_KG} kg).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="bookings_booking_user_recent"),
            models.Index(fields=["collection_staff", "booking_date"], name="bookings_booking_staff_date"),
            models.Index(fields=["status", "booking_date"], name="bookings_booking_status_date"),
            # The admin changelist's status filter in its order (-created_at, -id): a page of a rare status is the
            # index's first 50 entries, not a walk through the newest bookings.
            models.Index(fields=["status", "created_at", "id"], name="bookings_booking_status_recent"),
            # Its visit-day filter in that order: today's visits were booked days ago, behind 18,000 newer bookings.
            models.Index(fields=["booking_date", "created_at", "id"], name="bookings_booking_date_recent"),
            # The admin's search (icontains, one field at a time: diagnopet.admin_base.LargeTableAdmin).
            TrigramIndex(field="code", name="bookings_booking_code_trgm"),
            TrigramIndex(field="address_text", name="bookings_booking_address_trgm"),
            # The admin's "far from the address pin" filter: the few far collections, not a walk through all.
            models.Index(fields=["collection_pin_gap_km"], name="bookings_booking_pin_gap"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="bookings_booking_idempotency_unique",
                violation_error_message="This customer already made a booking with this idempotency key.",
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0),
                name="bookings_booking_subtotal_non_negative",
                violation_error_message="The subtotal cannot be negative.",
            ),
            # A discount reduces the tests (≤ subtotal) or waives the home-collection charge, never more
            # than what is charged.
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0, discount_amount__lte=F("subtotal") + F("distance_charge")),
                name="bookings_booking_discount_within_gross",
                violation_error_message="The discount must be between 0 and the subtotal plus the distance charge.",
            ),
            models.CheckConstraint(
                condition=Q(distance_charge__gte=0),
                name="bookings_booking_distance_non_negative",
                violation_error_message="The distance charge cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(total_amount=F("subtotal") - F("discount_amount") + F("distance_charge")),
                name="bookings_booking_total_is_sum",
                violation_error_message="The total must be subtotal − discount + distance charge.",
            ),
            models.CheckConstraint(
                condition=Q(estimated_distance_km__isnull=True) | Q(estimated_distance_km__gte=0),
                name="bookings_booking_distance_km_non_negative",
                violation_error_message="The distance cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(collection_type="lab") | ~Q(address_text=""),
                name="bookings_booking_home_has_address",
                violation_error_message="A home collection needs an address.",
            ),
            models.CheckConstraint(
                condition=Q(pet_weight_kg__isnull=True)
                | Q(pet_weight_kg__gte=PET_WEIGHT_MIN_KG, pet_weight_kg__lte=PET_WEIGHT_MAX_KG),
                name="bookings_booking_pet_weight_range",
                violation_error_message="The pet’s weight must be between 0.01 and 150 kg.",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class CollectorAssignment(TimeStampedModel):
    """Each time a visit was given to a collector: by whom, by hand or by the day's auto-assignment, and the
    warnings the assigner was shown and went past (outside the collector's areas, not a working day, over the
    daily cap). The booking's ``collection_staff`` is the current collector; these rows are the history."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="assignments")
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    automatic = models.BooleanField(default=False, help_text="Made by the day's auto-assignment.")
    # [{"code": "outside_area", "message": "…"}, …]: what was shown before the assigner confirmed.
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["booking", "-created_at"], name="bookings_assignment_booking")]

    def __str__(self) -> str:
        return f"{self.booking.code} → {self.collector.name}"

    @property
    def warned(self) -> bool:
        return bool(self.warnings)


class TestBatchGroup(TimeStampedModel):
    """Tests of one booking grouped for processing and reporting together (e.g. a wellness panel)."""

    __test__ = False

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="batch_groups")
    batch_name = models.CharField(max_length=150, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.batch_name or f"Batch of {self.booking.code}"


class BookingItem(TimeStampedModel):
    """One test in a booking, its frozen price and the life of its sample."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COLLECTED = "collected", "Collected"
        RECEIVED = "received", "Received at lab"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        REJECTED = "rejected", "Rejected"

    class RejectionReason(models.TextChoices):
        HAEMOLYSED = "haemolysed", "Haemolysed"
        CLOTTED = "clotted", "Clotted"
        INSUFFICIENT_VOLUME = "insufficient_volume", "Insufficient volume"
        WRONG_TUBE = "wrong_tube", "Wrong tube"
        LEAKED = "leaked", "Leaked"
        TOO_OLD = "too_old", "Too old"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="items")
    sequence = models.PositiveSmallIntegerField(default=1, help_text="Item number on the tube label.")
    # Set with the item (bookings.codes.item_code) and never changed: it is printed on the tube.
    code = models.CharField(
        max_length=16, unique=True, editable=False, help_text="The tube's scannable code, e.g. DP-7K3Q9X-01."
    )
    test = models.ForeignKey("catalog.LabTest", on_delete=models.PROTECT, related_name="booking_items")
    # The package this test was booked in (its price is a share of the package's); empty for a test booked alone.
    package = models.ForeignKey(
        "catalog.LabTest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="package_booking_items",
    )
    batch_group = models.ForeignKey(
        TestBatchGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price = money_field()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    rejection_reason = models.CharField(max_length=20, choices=RejectionReason.choices, blank=True)
    rejection_notes = models.TextField(blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    processing_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True, help_text="Collected + turnaround hours.")

    class Meta:
        ordering = ["booking_id", "sequence"]
        indexes = [
            # The admin's search by tube code (icontains, one field at a time: diagnopet.admin_base.LargeTableAdmin).
            TrigramIndex(field="code", name="bookings_item_code_trgm"),
            # The samples in the lab (bookings.states.ITEM_IN_LAB; the admin's overdue filter), a few thousand among
            # millions: without it the overdue list (and its dates' MIN/MAX) walked every item.
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["collected", "processing", "received"]),
                name="bookings_item_in_lab",
            ),
            # The admin changelist's status filter in its order (-created_at, -id), and that status's date span.
            models.Index(fields=["status", "created_at", "id"], name="bookings_item_status_recent"),
            # Its rejection-reason filter: the few rejected samples, not a walk through every item.
            models.Index(
                fields=["rejection_reason", "created_at"],
                condition=~Q(rejection_reason=""),
                name="bookings_item_rejected",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["booking", "test"], name="bookings_item_unique_test_per_booking"),
            models.UniqueConstraint(fields=["booking", "sequence"], name="bookings_item_unique_sequence"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="bookings_item_quantity_positive",
                violation_error_message="The quantity must be at least 1.",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="bookings_item_price_non_negative",
                violation_error_message="The unit price cannot be negative.",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="bookings_item_rejected_has_reason",
                violation_error_message="A rejected sample needs a rejection reason.",
            ),
        ]

    def __str__(self) -> str:
        # "DP-7K2M9Q · CBC (Complete blood count) · Bruno": lists of items select the booking, its pet and the test.
        return f"{self.booking.code} · {self.test.code} ({self.test.name}) · {self.booking.pet.name}"


# Stored names take their extension from the checked type, never from the customer's file name.
def report_upload_to(instance, filename: str) -> str:
    return random_upload_path("reports", stored_name("application/pdf"))  # reports are PDFs (REPORT_TYPES)


def prescription_upload_to(instance, filename: str) -> str:
    return random_upload_path("prescriptions", stored_name(instance.file_type))


class TestReport(TimeStampedModel):
    """The result of one booking item. A delivered report is never overwritten: an amendment adds a new
    version that supersedes it. Only one version per item is current (database-enforced)."""

    __test__ = False

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        GENERATED = "generated", "Generated"
        VERIFIED = "verified", "Verified"
        DELIVERED = "delivered", "Delivered"

    booking_item = models.ForeignKey(BookingItem, on_delete=models.PROTECT, related_name="reports")
    # Denormalised from the item so that "reports of my pets" and "reports of this booking" are
    # single-table filters.
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="reports")
    pet = models.ForeignKey("pets.Pet", on_delete=models.PROTECT, related_name="reports")
    test = models.ForeignKey("catalog.LabTest", on_delete=models.PROTECT, related_name="reports")
    batch_group = models.ForeignKey(
        TestBatchGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    report_file = models.FileField(upload_to=report_upload_to, blank=True)
    findings = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    amendment_reason = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    generated_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set at verification: the random code of the public verification page (printed as a QR code on a generated
    # report) and the SHA-256 of the file as verified, which that page compares with (bookings/publishing.py).
    verification_code = models.CharField(max_length=32, unique=True, null=True, blank=True, editable=False)
    file_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pet", "status"], name="bookings_report_pet_status")]
        constraints = [
            # "One report per booking item": one current version; earlier versions stay as history.
            models.UniqueConstraint(
                fields=["booking_item"],
                condition=Q(is_current=True),
                name="bookings_report_one_current_per_item",
                violation_error_message="This sample already has a current report.",
            ),
            models.UniqueConstraint(fields=["booking_item", "version"], name="bookings_report_unique_version"),
            models.CheckConstraint(
                condition=Q(version__gte=1),
                name="bookings_report_version_positive",
                violation_error_message="The version must be at least 1.",
            ),
            # Four-eyes: the verifier is never the uploader.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | Q(uploaded_by__isnull=True) | ~Q(verified_by=F("uploaded_by")),
                name="bookings_report_verifier_not_uploader",
                violation_error_message="A report is verified by someone other than its uploader.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking.code} · {self.test.code} · {self.pet.name} · v{self.version}"


class ResultValue(TimeStampedModel):
    """One analyte's result for one sample (booking item), SENAITE's "analysis".

    Entered on the lab's worklist while the item is in the lab: a draft (``report`` empty, at most one per item
    and analyte). Submitting the item's results makes a report version and attaches the drafts to it, so each
    report version keeps the values it was verified with; an amendment enters new drafts for the next version.
    The unit and the limits of the reference range in force are copied at entry, so that a later change of the
    catalog's ranges does not change a published result, and ``flag`` is computed from them.
    """

    # The flag rule's own vocabulary (catalog.ranges): one list of flags for the rule and the column.
    Flag = ResultFlag

    item = models.ForeignKey(BookingItem, on_delete=models.PROTECT, related_name="results")
    report = models.ForeignKey(TestReport, on_delete=models.PROTECT, null=True, blank=True, related_name="results")
    analyte = models.ForeignKey("catalog.Analyte", on_delete=models.PROTECT, related_name="results")
    # Denormalised from the item, so that a pet's results over time (the health record) is one-table work.
    pet = models.ForeignKey("pets.Pet", on_delete=models.PROTECT, related_name="results")
    value = models.DecimalField(max_digits=14, decimal_places=4)
    unit = models.CharField(max_length=30, blank=True)
    range_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    range_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    critical_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    critical_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    flag = models.CharField(max_length=14, choices=Flag.choices)
    comment = models.TextField(blank=True)
    method = models.CharField(max_length=100, blank=True)
    instrument = models.CharField(max_length=100, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField()
    # When the sample was taken (the item's collected_at): the time axis of the pet's trends.
    sampled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item_id", "analyte__position", "analyte_id"]
        indexes = [
            models.Index(fields=["pet", "analyte", "sampled_at"], name="bookings_result_pet_trend"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "analyte"],
                condition=Q(report__isnull=True),
                name="bookings_result_one_draft",
                violation_error_message="This sample already has a draft value for this analyte.",
            ),
            models.UniqueConstraint(fields=["report", "analyte"], name="bookings_result_unique_per_report"),
        ]

    def __str__(self) -> str:
        return f"{self.analyte.code}: {self.value.normalize():f} {self.unit}".strip()


class ReportShare(TimeStampedModel):
    """A link a customer made to show one report to someone (their own vet) without an account: expiring, revocable.

    Only the SHA-256 of the link's token is stored: the link itself is shown once, when it is made, so a copy of the
    database opens no report. Never deleted (its accesses are the customer's record of who looked)."""

    report = models.ForeignKey(TestReport, on_delete=models.PROTECT, related_name="shares")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "report share link"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["report", "-created_at"], name="bookings_share_report_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="bookings_share_expires_later",
                violation_error_message="The link must expire after it was created.",
            ),
        ]

    def __str__(self) -> str:
        return f"Link to {self.report}"


class ReportShareAccess(TimeStampedModel):
    """One opening of a share link (the page or the PDF): when, from where (a keyed hash of the IP address, not the
    address) and with what browser."""

    class Kind(models.TextChoices):
        PAGE = "page", "Page"
        PDF = "pdf", "PDF download"

    share = models.ForeignKey(ReportShare, on_delete=models.PROTECT, related_name="accesses")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    ip_hash = models.CharField(max_length=16)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "report link opening"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["share", "-created_at"], name="bookings_shareaccess_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.share}"


class PrescriptionUpload(TimeStampedModel):
    """A prescription or test form a customer attached to a booking. Stored under a random name."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="prescriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="prescriptions")
    file = models.FileField(upload_to=prescription_upload_to)
    file_name = models.CharField(max_length=255, help_text="The name the customer's file had.")
    file_type = models.CharField(max_length=50, help_text="MIME type detected from the content.")
    file_size_bytes = models.PositiveIntegerField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(file_size_bytes__gt=0),
                name="bookings_prescription_not_empty",
                violation_error_message="The prescription file is empty.",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def uploaded_at(self):
        return self.created_at
