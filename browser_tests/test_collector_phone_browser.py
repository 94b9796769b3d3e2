"""The collector's other pages on a phone, 375 px wide: a booking's own page and recording a payment at the door
(the bill's "Record payment" page and the payment form) must not scroll sideways. Django's admin theme is kept, with
its responsive CSS and a few rules in diagnopet/static/diagnopet/admin.css. Screenshots:
``artifacts/browser/collector-booking-375.png``, ``collector-bill-375.png``, ``collector-record-payment-375.png``,
``collector-payment-add-375.png``.
"""

import pytest
from django.urls import reverse

from browser_tests.test_day_sheet_browser import PASSWORD, PHONE_WIDTH, collector, phone_page, scroll_width, visits

__all__ = ["collector", "visits"]  # the day sheet's fixtures: today's visits with long text, and their collector

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page, collector, next_url: str) -> None:
    page.goto(f"/admin/login/?next={next_url}")
    page.fill("#id_username", collector.phone)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_url}")


def test_collector_booking_and_payment_pages_fit_a_375px_phone(browser, live_server, screenshot, collector, visits):
    booking = visits[0]
    bill = booking.billing_record
    pages = {
        "collector-booking-375": reverse("admin:bookings_booking_change", args=[booking.pk]),
        "collector-bill-375": reverse("admin:billing_billingrecord_change", args=[bill.pk]),
        "collector-record-payment-375": reverse("admin:billing_billingrecord_record_payment", args=[bill.pk]),
        "collector-payment-add-375": reverse("admin:billing_payment_add"),
    }
    context, page = phone_page(browser, live_server)
    try:
        _log_in(page, collector, pages["collector-booking-375"])
        widths = {}
        for name, url in pages.items():
            page.goto(url)
            screenshot(page, name)
            widths[name] = scroll_width(page)
    finally:
        context.close()

    assert widths == dict.fromkeys(pages, PHONE_WIDTH)


def test_booking_action_buttons_do_not_cover_the_title_on_a_desktop(new_page, screenshot, collector, visits):
    page = new_page("collector-desktop")
    _log_in(page, collector, reverse("admin:bookings_booking_change", args=[visits[0].pk]))
    screenshot(page, "collector-booking-1440")

    tools = page.locator("ul.object-tools").bounding_box()
    for title in page.locator("#content h1, #content h2").all():
        box = title.bounding_box()
        overlap_x = box["x"] < tools["x"] + tools["width"] and tools["x"] < box["x"] + box["width"]
        overlap_y = box["y"] < tools["y"] + tools["height"] and tools["y"] < box["y"] + box["height"]
        assert not (overlap_x and overlap_y), title.inner_text()
