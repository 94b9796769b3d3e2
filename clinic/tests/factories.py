import datetime
from decimal import Decimal

import factory

from clinic.models import ClinicHoliday, ClinicInfo, OpeningHours


class ClinicInfoFactory(factory.django.DjangoModelFactory):
    """The single clinic row (get-or-create, so calling it twice returns the same row)."""

    class Meta:
        model = ClinicInfo
        django_get_or_create = ("singleton",)

    singleton = True
    name = "DiagnoPet Veterinary Diagnostics"
    whatsapp_number = "+919876500000"
    phone = "+919876500001"
    email = "lab@diagnopet.example"
    address = "12, 80 Feet Road, Indiranagar, Bengaluru 560038"
    google_maps_link = "https://maps.google.com/?q=12.971600,77.640000"
    latitude = Decimal("12.971600")
    longitude = Decimal("77.640000")
    opening_time = datetime.time(8, 0)
    closing_time = datetime.time(18, 0)
    slot_minutes = 60
    home_slot_capacity = 4
    lab_slot_capacity = None
    road_factor = Decimal("1.30")


class ClinicHolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicHoliday

    date = factory.Sequence(lambda n: datetime.date(2030, 1, 1) + datetime.timedelta(days=n))
    name = "Holiday"


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    """A window of the one clinic: each new one on the next weekday, then a minute later (unique starts)."""

    class Meta:
        model = OpeningHours

    clinic = factory.SubFactory(ClinicInfoFactory)
    weekday = factory.Sequence(lambda n: n % 7)
    opens_at = factory.Sequence(lambda n: datetime.time((n // 7) // 60 % 23, (n // 7) % 60))
    closes_at = datetime.time(23, 59)
