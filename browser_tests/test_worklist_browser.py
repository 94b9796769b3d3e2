"""The lab's result worklist in a real browser: flags appear as a value is typed (worklist.js, the rule of
catalog/ranges.py), and saving the page stores the values with the flags the server computed.
Screenshot: ``artifacts/browser/worklist.png``.
"""

import datetime
import re

import pytest
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_create
from bookings.models import BookingItem, ResultValue
from bookings.tests.factories import BookingFactory, BookingItemFactory
from catalog.tests.factories import AnalyteFactory, LabTestFactory, ReferenceRangeFactory

PLAYWRIGHT_MISSING = "Playwright is not installed (pip install -r requirements-browser.txt)"

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Browser-test-pass-42!"


def test_flags_follow_the_typing_and_the_page_saves_every_row(new_page, screenshot):
    roles_setup()
    tech = staff_create(phone="+919811100021", full_name="Sandeep Tech", role=StaffRole.LAB_TECH, password=PASSWORD)
    test = LabTestFactory(code="HEM-CBC", name="Complete Blood Count")
    hct = AnalyteFactory(test=test, code="HCT", unit="%", decimals=1, position=1)
    ReferenceRangeFactory(analyte=hct, species="dog", low=37, high=55, critical_low=20, critical_high=65)
    items = []
    for species in ("dog", "cat"):
        booking = BookingFactory(pet__species=species, pet__date_of_birth=datetime.date(2020, 1, 1))
        items.append(
            BookingItemFactory(
                booking=booking, test=test, status=BookingItem.Status.RECEIVED, collected_at=timezone.now()
            )
        )
    dog, cat = items

    page = new_page("tech")
    page.goto(f"/admin/login/?next=/admin/bookings/resultvalue/worklist/%3Ftest%3D{test.pk}")
    page.fill("#id_username", tech.phone)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/admin/bookings/resultvalue/worklist/?test={test.pk}")

    value = page.locator(f'input[name="v-{dog.pk}-{hct.pk}"]')
    flag = page.locator(f"#row-{dog.pk} [data-flag]")
    for typed, shown in (("45", "Normal"), ("36.9", "Low"), ("19.9", "Critical low"), ("4x", "not a number")):
        value.fill(typed)
        expect(flag).to_have_text(shown)
    value.fill("70.0")
    expect(flag).to_have_text("Critical high")
    page.locator(f'input[name="v-{cat.pk}-{hct.pk}"]').fill("40.0")
    expect(page.locator(f"#row-{cat.pk} [data-flag]")).to_have_text("No reference range")  # no cat range here
    screenshot(page, "worklist")

    page.get_by_role("button", name="Save all rows").click()

    expect(page.locator("ul.messagelist")).to_contain_text(re.compile(r"Saved 2 values; 1 critical value"))
    assert sorted(ResultValue.objects.values_list("item_id", "flag")) == sorted(
        [(dog.pk, "critical_high"), (cat.pk, "no_range")]
    )
