from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.phone import normalize_phone, validate_e164
from diagnopet.indexes import TrigramIndex
from diagnopet.models import TimeStampedModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, phone: str, password: str | None, **extra):
        phone = normalize_phone(phone)
        email = extra.pop("email", None)
        email = self.normalize_email(email) if email else None
        user = self.model(phone=phone, email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, phone: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(phone, password, **extra)

    def create_superuser(self, phone: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(phone, password, **extra)


# The channels a customer can choose, in the order they are stored and shown.
NOTIFICATION_CHANNELS = ("sms", "whatsapp", "email")


def default_notification_channels() -> list[str]:
    """Text messages, as every notification went before customers could choose."""
    return ["sms"]


class User(AbstractBaseUser, PermissionsMixin, TimeStampedModel):
    """A person who logs in: a pet owner (customer) or a staff member (``is_staff`` + StaffProfile).

    The phone number (E.164) is the login id; email is optional and also accepted at login.
    """

    phone = models.CharField(max_length=16, unique=True, validators=[validate_e164])
    email = models.EmailField(blank=True, null=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_verified = models.BooleanField(default=False, help_text="Phone confirmed by a one-time code.")
    # Brute-force protection: consecutive failed password logins, and the lock they cause.
    failed_login_attempts = models.PositiveSmallIntegerField(default=0)
    is_locked = models.BooleanField(default=False)
    locked_until = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)
    # Where notifications go besides the in-app inbox: a subset of NOTIFICATION_CHANNELS, kept in that order
    # (accounts.services.users.user_profile_update checks it). A list in JSON, like LabTest.species, so that the
    # SQLite quick start works too.
    notification_channels = models.JSONField(default=default_notification_channels, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["id"]
        indexes = [
            # The few staff among every customer: admin filters and pickers (collector, technician) list them.
            models.Index(fields=["created_at", "id"], condition=Q(is_staff=True), name="accounts_user_staff"),
            # The admin's search by phone, name or email on every large list (icontains, one field at a time).
            TrigramIndex(field="phone", name="accounts_user_phone_trgm"),
            TrigramIndex(field="full_name", name="accounts_user_name_trgm"),
            TrigramIndex(field="email", name="accounts_user_email_trgm"),
        ]
        constraints = [
            # Case-insensitive unique email, ignoring users without one.
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(email__isnull=False),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with this email address already exists.",
            ),
            models.CheckConstraint(
                condition=Q(is_locked=False) | Q(locked_until__isnull=False),
                name="accounts_user_locked_has_until",
                violation_error_message="A locked account needs the time the lock ends.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.phone})" if self.full_name else self.phone

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.phone

    @property
    def name(self) -> str:
        """What staff call this person: the full name, or the phone number when there is none."""
        return self.full_name or self.phone

    @property
    def is_currently_locked(self) -> bool:
        return self.is_locked and self.locked_until is not None and self.locked_until > timezone.now()


class Address(TimeStampedModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=50, blank=True, help_text="Home, Work, …")
    line1 = models.CharField(max_length=255)
    line2 = models.CharField(max_length=255, blank=True)
    landmark = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=12)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "id"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True),
                name="accounts_address_one_default_per_user",
                violation_error_message="This customer already has a default address.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="accounts_address_latitude_range",
                violation_error_message="Latitude must be between -90 and 90.",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="accounts_address_longitude_range",
                violation_error_message="Longitude must be between -180 and 180.",
            ),
        ]

    def __str__(self) -> str:
        return ", ".join(p for p in (self.label, self.line1, self.city) if p)

    @property
    def one_line(self) -> str:
        parts = (self.line1, self.line2, self.landmark, self.city, self.state, self.postal_code)
        return ", ".join(p for p in parts if p)


class PhoneOTP(TimeStampedModel):
    """A one-time login code. Only its hash is stored; it expires and allows a few tries."""

    class Purpose(models.TextChoices):
        LOGIN = "login", "Login"
        VERIFY_PHONE = "verify_phone", "Verify phone"

    phone = models.CharField(max_length=16, db_index=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.LOGIN)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "phone one-time code"
        indexes = [models.Index(fields=["phone", "-created_at"], name="accounts_otp_phone_recent")]

    def __str__(self) -> str:
        return f"{self.phone} · {self.get_purpose_display()}"


class StaffRole(models.TextChoices):
    ADMIN = "admin", "Clinic admin"
    COLLECTOR = "collector", "Sample collector"
    LAB_TECH = "lab_tech", "Lab technician"
    ANALYST = "analyst", "Analyst"


class Weekday(models.IntegerChoices):
    """Days of the week as ``datetime.date.weekday()`` numbers them."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def every_weekday() -> list[int]:
    return list(Weekday.values)


class StaffProfile(TimeStampedModel):
    """What a staff user does at the lab. The role is mirrored by the Django group of the same name.

    For collectors, also when and how much they work: ``working_days`` and ``daily_visit_cap`` (their service
    areas are ``CollectorArea`` rows). Assigning a visit on another day or beyond the cap is allowed after a
    warning (``bookings.assignment``)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_profile")
    role = models.CharField(max_length=20, choices=StaffRole.choices, db_index=True)
    assigned_area = models.CharField(max_length=100, blank=True, help_text="For collector routing.")
    employee_code = models.CharField(max_length=30, blank=True)
    # A list of weekday numbers (Monday 0 … Sunday 6). JSON rather than an array: SQLite runs the quick start.
    working_days = models.JSONField(
        default=every_weekday, blank=True, help_text="Collectors: the weekdays they make visits."
    )
    daily_visit_cap = models.PositiveSmallIntegerField(default=12, help_text="Collectors: visits a day at most.")

    class Meta:
        ordering = ["role", "user__full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_visit_cap__gte=1),
                name="accounts_staff_visit_cap_positive",
                violation_error_message="The daily visit cap must be at least 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    def clean(self):
        days = self.working_days
        if not isinstance(days, list) or any(day not in Weekday.values for day in days):
            raise ValidationError({"working_days": "Give weekday numbers, Monday 0 to Sunday 6."})
        self.working_days = sorted(set(days))

    def works_on(self, day) -> bool:
        return day.weekday() in (self.working_days or [])


class CollectorArea(TimeStampedModel):
    """Where a collector makes visits: a postal code, or a named area around a centre (latitude, longitude) with a
    radius in km — or both (a visit matches either). A collector may have several."""

    profile = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="service_areas")
    name = models.CharField(max_length=100, help_text="e.g. Indiranagar")
    postal_code = models.CharField(max_length=12, blank=True, db_index=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    radius_km = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["profile", "name", "id"]
        verbose_name = "collector service area"
        constraints = [
            # A centre comes whole (latitude, longitude and radius) or not at all.
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True, radius_km__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False, radius_km__isnull=False),
                name="accounts_collectorarea_centre_whole",
                violation_error_message="Give latitude, longitude and radius together, or none of them.",
            ),
            models.CheckConstraint(
                condition=~Q(postal_code="") | Q(latitude__isnull=False),
                name="accounts_collectorarea_postal_or_centre",
                violation_error_message="Give a postal code or a centre (latitude, longitude and radius).",
            ),
            models.CheckConstraint(
                condition=Q(radius_km__isnull=True) | Q(radius_km__gt=0),
                name="accounts_collectorarea_radius_positive",
                violation_error_message="The radius must be more than 0 km.",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="accounts_collectorarea_latitude_range",
                violation_error_message="Latitude must be between -90 and 90.",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="accounts_collectorarea_longitude_range",
                violation_error_message="Longitude must be between -180 and 180.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.postal_code})" if self.postal_code else self.name

    def clean(self):
        centre = (self.latitude, self.longitude, self.radius_km)
        if any(v is not None for v in centre) and any(v is None for v in centre):
            raise ValidationError("Give the centre's latitude, longitude and radius together, or none of them.")
        if not self.postal_code and self.latitude is None:
            raise ValidationError("Give a postal code or a centre with a radius.")


class Notification(TimeStampedModel):
    """An in-app message to a customer (one row per event); its deliveries by SMS, WhatsApp or email are
    ``NotificationDelivery`` rows, one per channel the customer chose when it was created."""

    class Kind(models.TextChoices):
        BOOKING_PLACED = "booking_placed", "Booking placed"
        BOOKING_CONFIRMED = "booking_confirmed", "Booking confirmed"
        BOOKING_RESCHEDULED = "booking_rescheduled", "Booking rescheduled"
        COLLECTOR_ASSIGNED = "collector_assigned", "Collector assigned"
        SAMPLE_COLLECTED = "sample_collected", "Sample collected"
        SAMPLE_REJECTED = "sample_rejected", "Sample rejected"
        REPORT_DELIVERED = "report_delivered", "Report delivered"
        REPORT_AMENDED = "report_amended", "Report amended"
        BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled"
        VISIT_REMINDER = "visit_reminder", "Visit reminder"
        INVOICE_READY = "invoice_ready", "Invoice ready"
        GENERAL = "general", "General"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Ids of the objects the message is about ({"booking": 12, "report": 40}); kept as data so that
    # accounts (the lowest app) never imports the apps above it.
    data = models.JSONField(default=dict, blank=True)
    # One row per event: the same event key for the same user is never stored twice.
    event_key = models.CharField(max_length=120, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # The channels it is sent on, as the customer had chosen when it was made: its deliveries are made from them
    # after commit (accounts.notifications).
    channels = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="accounts_notif_user_read"),
            # notifications_enqueue_pending(): the last day's notifications, for any whose deliveries are missing.
            models.Index(fields=["created_at"], name="accounts_notif_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event_key"],
                condition=~Q(event_key=""),
                name="accounts_notification_once_per_event",
                violation_error_message="This customer already has a notification for this event.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user}"


class NotificationDelivery(TimeStampedModel):
    """One notification sent on one channel, and how that went: each channel succeeds, retries or fails on its
    own (``accounts.delivery``), so a WhatsApp outage never holds back the text message or the email."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"
        EMAIL = "email", "Email"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["notification_id", "id"]
        verbose_name_plural = "notification deliveries"
        indexes = [
            # notifications_enqueue_pending(): the few deliveries still pending, oldest first.
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="accounts_delivery_pending"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="accounts_delivery_once_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.notification} · {self.get_status_display()}"
