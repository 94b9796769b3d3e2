"""The collector's day sheet on a phone: 375 px wide (an iPhone SE / mini), in a real browser.

The page must not scroll sideways (``document.documentElement.scrollWidth <= 375``), closed and with the door forms
open, and its "Collected" button must send the phone's position (granted to the page here, as a collector's phone
would). Screenshots: ``artifacts/browser/day-sheet-375.png`` and ``day-sheet-375-forms-open.png``.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_create
from billing.tests.factories import BillingRecordFactory
from bookings.models import Booking
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory
from catalog.tests.factories import LabTestFactory

PLAYWRIGHT_MISSING = "Playwright is not installed (pip install -r requirements-browser.txt)"

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Browser-test-pass-42!"
PHONE_WIDTH = 375
WHERE_THE_PHONE_IS = {"latitude": 12.9717, "longitude": 77.6401}


@pytest.fixture
def collector(db):
    roles_setup()
    return staff_create(phone="+919811100011", full_name="Ravi Collector", role=StaffRole.COLLECTOR, password=PASSWORD)


@pytest.fixture
def visits(collector):
    """Three of today's visits, booked out of time order, with long text where a phone would overflow."""
    today = timezone.localdate()
    glucose = LabTestFactory(
        code="BIO-GLU-FASTING-LONG",
        name="Fasting glucose with an unusually long catalogue name for a narrow screen",
        fasting_required=True,
        sample_type="Whole blood",
        tube_type="Grey top (sodium fluoride/potassium oxalate)",
        collection_instructions="No food for 12 hours before the visit; water is allowed. Keep the pet calm.",
    )
    urine = LabTestFactory(code="URI-ROUTINE", name="Routine urinalysis", sample_type="Urine", tube_type="Sterile cup")
    made = []
    for hour, code in ((11, "DP-DAY011"), (9, "DP-DAY009"), (10, "DP-DAY010")):
        slot = CollectionSlotFactory(date=today, start_time=datetime.time(hour), end_time=datetime.time(hour + 1))
        booking = BookingFactory(
            code=code,
            booking_date=today,
            slot=slot,
            status=Booking.Status.CONFIRMED,
            collection_staff=collector,
            latitude=Decimal("12.971600"),
            longitude=Decimal("77.640000"),
            address_text="Flat 12B, Very-Long-Apartment-Name-Without-Spaces-Residency, 4th Cross, Indiranagar 560038",
            notes="Dog is anxious with strangers; please call from the gate and wait for the owner to come down.",
        )
        BookingItemFactory(booking=booking, sequence=1, test=glucose)
        BookingItemFactory(booking=booking, sequence=2, test=urine)
        BillingRecordFactory(booking=booking)
        made.append(booking)
    return made


def phone_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": PHONE_WIDTH, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation=WHERE_THE_PHONE_IS,
        permissions=["geolocation"],
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_day_sheet_fits_a_375px_phone_and_collects_with_the_position(
    browser, live_server, screenshot, collector, visits
):
    context, page = phone_page(browser, live_server)
    try:
        page.goto("/admin/login/?next=/admin/bookings/booking/today/")
        page.fill("#id_username", collector.phone)
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/bookings/booking/today/")

        cards = page.locator("article.visit")
        expect(cards).to_have_count(3)
        assert cards.locator("a.code").all_inner_texts() == ["DP-DAY009", "DP-DAY010", "DP-DAY011"]
        first = cards.first
        expect(first.locator("a.phone")).to_have_attribute("href", re.compile(r"^tel:\+"))
        expect(first.locator("a.maps")).to_have_attribute(
            "href", "https://www.google.com/maps/search/?api=1&query=12.971600,77.640000"
        )
        expect(first).to_contain_text("Fasting required")
        screenshot(page, "day-sheet-375")
        assert scroll_width(page) <= PHONE_WIDTH

        for summary in first.locator("summary").all():
            summary.click()
        expect(first.locator("select[name=reason]").first).to_be_visible()
        screenshot(page, "day-sheet-375-forms-open")
        assert scroll_width(page) <= PHONE_WIDTH

        first.get_by_role("button", name="Collected").click()
        expect(page.locator("ul.messagelist")).to_contain_text("DP-DAY009: samples collected.")
        assert scroll_width(page) <= PHONE_WIDTH
    finally:
        context.close()

    collected = Booking.objects.get(code="DP-DAY009")
    assert collected.status == Booking.Status.COLLECTED
    assert (collected.collected_latitude, collected.collected_longitude) == (Decimal("12.971700"), Decimal("77.640100"))
