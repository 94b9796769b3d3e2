"""Home-collection charge: table-driven through the pricing service, and through the quote endpoint."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.services import distance_charge_compute, distance_pricing_active, road_distance_km
from billing.tests.factories import DistancePricingConfigFactory
from diagnopet.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("distance", "base", "per_km", "free", "expected"),
    [
        ("0.00", "50.00", "10.00", "3.00", "0.00"),
        ("2.99", "50.00", "10.00", "3.00", "0.00"),
        ("3.00", "50.00", "10.00", "3.00", "0.00"),  # exactly at the free radius: free
        ("3.01", "50.00", "10.00", "3.00", "50.10"),
        ("10.00", "50.00", "10.00", "3.00", "120.00"),
        ("3.50", "50.00", "10.05", "3.00", "55.03"),  # 55.025 rounds half-up, not to even
        ("4.50", "0.00", "7.33", "3.00", "11.00"),  # 10.995 → 11.00
        ("25.00", "50.00", "10.00", "3.00", "270.00"),  # exactly at the service limit: still served
    ],
)
def test_distance_charge_table(distance, base, per_km, free, expected):
    DistancePricingConfigFactory(
        base_charge=Decimal(base), charge_per_km=Decimal(per_km), max_free_distance_km=Decimal(free)
    )
    result = distance_charge_compute(distance_km=Decimal(distance), on=timezone.localdate())
    assert result.charge == Decimal(expected)
    assert isinstance(result.charge, Decimal)


def test_beyond_service_radius_is_refused():
    DistancePricingConfigFactory(max_service_distance_km=Decimal("25.00"))
    with pytest.raises(ValidationFailed) as err:
        distance_charge_compute(distance_km=Decimal("25.01"), on=timezone.localdate())
    assert err.value.code == "beyond_service_area"


def test_no_config_means_no_home_collection():
    with pytest.raises(ValidationFailed) as err:
        distance_charge_compute(distance_km=Decimal("1.00"), on=timezone.localdate())
    assert err.value.code == "home_collection_unavailable"


def test_active_config_is_chosen_by_effective_dates():
    today = timezone.localdate()
    old = DistancePricingConfigFactory(
        effective_from=today - datetime.timedelta(days=400), effective_until=today - datetime.timedelta(days=31)
    )
    current = DistancePricingConfigFactory(effective_from=today - datetime.timedelta(days=30), effective_until=None)
    future = DistancePricingConfigFactory(effective_from=today + datetime.timedelta(days=1))
    DistancePricingConfigFactory(effective_from=today - datetime.timedelta(days=5), is_active=False)
    assert distance_pricing_active(on=today) == current
    assert distance_pricing_active(on=today - datetime.timedelta(days=31)) == old  # its last day
    assert distance_pricing_active(on=today + datetime.timedelta(days=1)) == future


def test_road_distance_is_haversine_times_road_factor():
    # 0.1° of latitude is 11.12 km on the mean-radius sphere.
    straight = road_distance_km(origin=(12.9, 77.6), destination=(13.0, 77.6), road_factor=Decimal("1.00"))
    road = road_distance_km(origin=(12.9, 77.6), destination=(13.0, 77.6), road_factor=Decimal("1.30"))
    assert straight == Decimal("11.12")
    assert road == Decimal("14.46")
