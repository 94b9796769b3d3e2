import factory
from django.utils import timezone

from accounts.models import (
    Address,
    CollectorArea,
    Notification,
    NotificationDelivery,
    PhoneOTP,
    StaffProfile,
    StaffRole,
    User,
)

DEFAULT_PASSWORD = "Sup3r-secret-pass!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    # Valid Indian mobile numbers (the default region), unique per sequence.
    # A number range no test writes by hand (tests use +9198…, the demo +9190…).
    phone = factory.Sequence(lambda n: f"+9176{n:08d}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)


class StaffUserFactory(UserFactory):
    is_staff = True


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(StaffUserFactory)
    role = StaffRole.COLLECTOR
    assigned_area = "Indiranagar"


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    label = "Home"
    line1 = factory.Faker("street_address")
    city = "Bengaluru"
    state = "Karnataka"
    postal_code = "560038"
    # A few kilometres from the demo clinic in Bengaluru.
    latitude = factory.Faker("pydecimal", left_digits=2, right_digits=6, min_value=12.95, max_value=12.99)
    longitude = factory.Faker("pydecimal", left_digits=2, right_digits=6, min_value=77.62, max_value=77.66)
    is_default = False


class PhoneOTPFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PhoneOTP

    phone = factory.Sequence(lambda n: f"+9197{n:08d}")
    code_hash = "not-a-real-hash"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(minutes=5))


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = Notification.Kind.BOOKING_CONFIRMED
    title = "Your booking is confirmed"
    body = "We will see you soon."


class NotificationDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationDelivery

    notification = factory.SubFactory(NotificationFactory)
    channel = NotificationDelivery.Channel.SMS


class CollectorAreaFactory(factory.django.DjangoModelFactory):
    """A postal-code area; pass latitude, longitude and radius_km for a centre."""

    class Meta:
        model = CollectorArea

    profile = factory.SubFactory(StaffProfileFactory)
    name = factory.Sequence(lambda n: f"Area {n}")
    postal_code = factory.Sequence(lambda n: f"5600{n % 100:02d}")
