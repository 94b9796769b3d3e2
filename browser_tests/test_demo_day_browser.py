"""The demo day, walked in a real browser as each role would, on the data ``seed_demo`` makes (whatever the hour).

The collector Ravi (+919000000102) goes from the back-office's home to today's day sheet on a 375 px phone, finds a
visit by scanning one of its tubes, marks one visit collected and another a no-show with a reason; the lab technician
Kavya (+919000000104) goes from the home page to the receive page and receives one tube of a collected visit by
scanning its code, and only that tube is received. Nothing may scroll sideways on the phone. Screenshots:
``artifacts/browser/demo-day-*.png``.
"""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.models import Booking, BookingItem

PLAYWRIGHT_MISSING = "Playwright is not installed (pip install -r requirements-browser.txt)"

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

pytestmark = pytest.mark.django_db(transaction=True)

COLLECTOR = "+919000000102"
LAB_TECH = "+919000000104"
PASSWORD = "staff-demo-2026"  # the demo staff password (backoffice.demo), printed by seed_demo on purpose
PHONE_WIDTH = 375
WHERE_THE_PHONE_IS = {"latitude": 12.9785, "longitude": 77.6409}  # Indiranagar, by the first visit's address
DAY_SHEET = "/admin/bookings/booking/today/"
RECEIVE = "/admin/bookings/bookingitem/receive/"


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=io.StringIO())


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def log_in(page, phone: str, next_url: str) -> None:
    """Log in, then open ``next_url`` (each role first lands on its own page: test_role_journeys)."""
    page.goto("/admin/login/")
    page.fill("#id_username", phone)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/**")
    page.goto(next_url)


def todays(phone: str, status: str):
    visits = Booking.objects.filter(booking_date=timezone.localdate(), collection_staff__phone=phone, status=status)
    return visits.order_by("slot__start_time", "pk")


def test_the_demo_day_as_the_collector_and_the_lab_would_walk_it(browser, live_server, screenshot, demo):
    visits = list(todays(COLLECTOR, Booking.Status.CONFIRMED))
    assert len(visits) >= 2, "seed_demo gives the collector visits to make today"
    to_collect, absent = visits[0], visits[1]
    tube = to_collect.items.order_by("sequence").last()

    # --- The collector, on a phone ---------------------------------------------------------------------------------
    phone = browser.new_context(
        base_url=live_server.url,
        viewport={"width": PHONE_WIDTH, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation=WHERE_THE_PHONE_IS,
        permissions=["geolocation"],
    )
    phone.set_default_timeout(10_000)
    try:
        page = phone.new_page()
        # From the back-office's home, as a collector would get there.
        log_in(page, COLLECTOR, "/admin/")
        assert scroll_width(page) <= PHONE_WIDTH
        page.locator('#content-main a[href="/admin/bookings/booking/"]').first.click()
        screenshot(page, "demo-day-collector-375-bookings")
        assert scroll_width(page) <= PHONE_WIDTH  # the table scrolls inside its box, not the page
        page.get_by_role("link", name="Today's visits").click()
        page.wait_for_url(f"**{DAY_SHEET}")
        cards = page.locator("article.visit")
        expect(cards.first).to_be_visible()
        shown = cards.locator("a.code").all_inner_texts()
        assert to_collect.code in shown
        assert absent.code in shown
        screenshot(page, "demo-day-collector-375")
        assert scroll_width(page) <= PHONE_WIDTH

        # A tube's label, scanned into the find box, opens its visit.
        page.fill("#find-code", tube.code)
        page.get_by_role("button", name="Find").click()
        page.wait_for_url(f"**#visit-{to_collect.pk}")
        card = page.locator(f"#visit-{to_collect.pk}")
        expect(card).to_be_visible()
        expect(card.locator(".tube-code")).to_contain_text(
            [item.code for item in to_collect.items.order_by("sequence")]
        )

        card.get_by_role("button", name="Collected").click()
        expect(page.locator("ul.messagelist")).to_contain_text(f"{to_collect.code}: samples collected.")
        assert scroll_width(page) <= PHONE_WIDTH

        card = page.locator(f"#visit-{absent.pk}")
        card.locator("summary", has_text="No-show").click()
        card.locator("select[name=reason]").first.select_option("nobody_home")
        card.locator("textarea[name=notes], input[name=notes]").first.fill("Gate locked; called twice, no answer.")
        screenshot(page, "demo-day-collector-375-no-show")
        assert scroll_width(page) <= PHONE_WIDTH
        card.get_by_role("button", name="Mark no-show").click()
        expect(page.locator("ul.messagelist")).to_contain_text(f"{absent.code}: marked no-show.")
        screenshot(page, "demo-day-collector-375-done")
        assert scroll_width(page) <= PHONE_WIDTH
    finally:
        phone.close()

    to_collect.refresh_from_db()
    absent.refresh_from_db()
    assert to_collect.status == Booking.Status.COLLECTED
    assert to_collect.collected_latitude is not None
    assert (absent.status, absent.no_show_reason) == (Booking.Status.NO_SHOW, "nobody_home")

    # --- The lab technician, at the bench ----------------------------------------------------------------------------
    waiting = list(
        BookingItem.objects.filter(booking=to_collect, status=BookingItem.Status.COLLECTED).order_by("sequence")
    )
    assert len(waiting) >= 2
    scanned, other = waiting[0], waiting[1]
    desk = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    desk.set_default_timeout(10_000)
    try:
        page = desk.new_page()
        log_in(page, LAB_TECH, "/admin/")
        page.locator('#content-main a[href="/admin/bookings/bookingitem/"]').first.click()
        page.get_by_role("link", name="Receive by scan").click()
        page.wait_for_url(f"**{RECEIVE}")
        code_input = page.locator("input[name=code]")
        expect(code_input).to_be_focused()
        code_input.fill(scanned.code)
        code_input.press("Enter")  # what a barcode scanner sends after the code
        expect(page.locator("ul.messagelist")).to_contain_text(f"Received at the lab: {scanned.code}")
        expect(page.locator("input[name=code]")).to_be_focused()  # ready for the next tube
        screenshot(page, "demo-day-lab-receive")
    finally:
        desk.close()

    scanned.refresh_from_db()
    other.refresh_from_db()
    assert scanned.status == BookingItem.Status.RECEIVED
    assert other.status == BookingItem.Status.COLLECTED
