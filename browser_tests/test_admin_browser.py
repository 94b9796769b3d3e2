"""The staff back-office in a real browser: a collector's visit and a report's four-eyes check, end to end.

Three staff members, each in their own browser session, log in through the admin login form with phone and
password and use only what the pages offer (links, changelist actions, forms); the database is read afterwards
to check what their clicks did. Screenshots of the key pages are kept in ``artifacts/browser/``.
"""

import datetime
import re

import pytest
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_create
from bookings.models import Booking, BookingItem, TestReport
from bookings.services import booking_assign_collector
from bookings.tests.factories import BookingFactory, BookingItemFactory, CollectionSlotFactory
from catalog.tests.factories import LabTestFactory

PLAYWRIGHT_MISSING = "Playwright is not installed (pip install -r requirements-browser.txt)"

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Browser-test-pass-42!"
# Enough of a PDF for the content check (filetype reads the magic bytes).
REPORT_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def staff(db):
    roles_setup()
    return {
        "collector": staff_create(
            phone="+919811100001",
            full_name="Ravi Collector",
            role=StaffRole.COLLECTOR,
            password=PASSWORD,
            assigned_area="Indiranagar",
        ),
        "other_collector": staff_create(
            phone="+919811100002", full_name="Meena Collector", role=StaffRole.COLLECTOR, password=PASSWORD
        ),
        "lab_tech": staff_create(
            phone="+919811100003", full_name="Anil Labtech", role=StaffRole.LAB_TECH, password=PASSWORD
        ),
        "verifier": staff_create(
            phone="+919811100004", full_name="Divya Pathologist", role=StaffRole.LAB_TECH, password=PASSWORD
        ),
    }


@pytest.fixture
def visits(staff):
    """Today: two home visits of the collector and one of another collector; tomorrow: one more of the collector.
    Each booking has one pending test and is confirmed by assigning the collector (the real service)."""
    today = timezone.localdate()
    morning = CollectionSlotFactory(date=today, start_time=datetime.time(9), end_time=datetime.time(10))
    tomorrow_slot = CollectionSlotFactory(
        date=today + datetime.timedelta(days=1), start_time=datetime.time(9), end_time=datetime.time(10)
    )
    cbc = LabTestFactory(code="HEM-CBC", name="Complete Blood Count")

    def visit(code: str, collector, slot) -> Booking:
        booking = BookingFactory(code=code, booking_date=slot.date, slot=slot)
        BookingItemFactory(booking=booking, sequence=1, test=cbc)
        return booking_assign_collector(booking=booking, collector=collector, by=collector)

    return {
        "mine": visit("DP-BRW001", staff["collector"], morning),
        "mine_too": visit("DP-BRW002", staff["collector"], morning),
        "not_mine": visit("DP-BRW003", staff["other_collector"], morning),
        "tomorrow": visit("DP-BRW004", staff["collector"], tomorrow_slot),
    }


def log_in(page, user) -> None:
    """The admin login form, as staff use it: phone number and password; then the index (each role lands on its own
    page first: browser_tests/test_role_journeys.py)."""
    page.goto("/admin/login/")
    page.fill("#id_username", user.phone)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/**")
    expect(page.locator("#user-tools")).to_contain_text(re.compile("welcome", re.IGNORECASE))
    page.goto("/admin/")


def run_action(page, label: str, *rows: str):
    """Tick the changelist rows whose link is ``rows`` (link text or href part), run the action; returns the messages
    (a locator: ``expect`` waits for the next page's text)."""
    for row in rows:
        link = page.locator(f'a[href*="{row}"]') if "/" in row else page.get_by_role("link", name=row)
        page.locator("#result_list tbody tr", has=link).locator("input.action-select").check()
    page.select_option("select[name=action]", label=label)
    page.get_by_role("button", name="Go").click()
    return page.locator("ul.messagelist")


def test_collector_marks_a_visit_collected_then_the_lab_reports_and_another_member_verifies(
    new_page, screenshot, staff, visits
):
    mine, mine_too, not_mine, tomorrow = visits["mine"], visits["mine_too"], visits["not_mine"], visits["tomorrow"]

    # --- The collector: today's visits (their own only), one marked collected -----------------------------------
    collector = new_page("collector")
    log_in(collector, staff["collector"])
    collector.locator("tr.model-booking").get_by_role("link", name="Bookings").click()
    rows = collector.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    assert sorted(rows.locator("th a").all_inner_texts()) == [mine.code, mine_too.code]  # today's, theirs
    assert not_mine.code not in collector.content()  # another collector's
    assert tomorrow.code not in collector.content()  # not today

    expect(run_action(collector, "Mark samples collected", mine.code)).to_contain_text(
        f"Samples collected: {mine.code}."
    )
    collector.get_by_role("link", name="Today's visits").click()
    status_cell = collector.locator("article.visit", has_text=mine.code).locator(".badge")
    expect(status_cell).to_have_text("Collected")
    other_cell = collector.locator("article.visit", has_text=mine_too.code).locator(".badge")
    expect(other_cell).to_have_text("Confirmed")
    screenshot(collector, "1-collector-today")

    mine.refresh_from_db()
    item = mine.items.get()
    assert mine.status == Booking.Status.COLLECTED
    assert (item.status, item.collected_by) == (BookingItem.Status.COLLECTED, staff["collector"])
    mine_too.refresh_from_db()
    assert mine_too.status == Booking.Status.CONFIRMED

    # --- The lab technician: receive, process, upload the report ------------------------------------------------
    lab = new_page("lab-tech")
    log_in(lab, staff["lab_tech"])
    lab.locator("tr.model-booking").get_by_role("link", name="Bookings").click()
    lab.fill("#searchbar", mine.code)
    lab.press("#searchbar", "Enter")
    expect(lab.locator("#result_list tbody tr")).to_have_count(1)
    lab.get_by_role("link", name=mine.code).click()
    # The booking's page offers its workflow actions as buttons.
    lab.get_by_role("button", name="Receive samples at the lab").click()
    expect(lab.locator("ul.messagelist")).to_contain_text(f"Received at the lab: {mine.code}.")
    lab.get_by_role("button", name="Move received samples to processing").click()
    expect(lab.locator("ul.messagelist")).to_contain_text(f"Processing: {mine.code}.")
    expect(lab.locator(".field-status .readonly")).to_have_text("Processing")

    lab.locator("#items-group a.inlineviewlink").click()
    lab.get_by_role("link", name="Upload the report (PDF)").click()
    lab.set_input_files("#id_file", {"name": "cbc.pdf", "mimeType": "application/pdf", "buffer": REPORT_PDF})
    lab.fill("#id_findings", "Haemoglobin 14 g/dL; all counts within reference ranges.")
    lab.get_by_role("button", name="Save").click()
    expect(lab.locator("ul.messagelist")).to_contain_text("Report uploaded; it now waits for verification")
    screenshot(lab, "2-lab-tech-report-uploaded")

    report = TestReport.objects.get(booking_item=item)
    assert (report.status, report.uploaded_by, report.verified_by) == (
        TestReport.Status.GENERATED,
        staff["lab_tech"],
        None,
    )
    assert report.report_file.read() == REPORT_PDF
    mine.refresh_from_db()
    assert mine.status == Booking.Status.PROCESSING
    report_link = f"/testreport/{report.pk}/change/"

    # Four eyes: the uploader's report page offers no Verify button, and says why.
    expect(lab.get_by_role("button", name="Verify (four-eyes)")).to_have_count(0)
    expect(lab.locator("#verify-refusal")).to_contain_text("a colleague verifies it")
    screenshot(lab, "3-lab-tech-four-eyes-refusal")
    report.refresh_from_db()
    assert report.status == TestReport.Status.GENERATED

    # --- Another staff member opens the report and verifies it ------------------------------------------------
    verifier = new_page("verifier")
    log_in(verifier, staff["verifier"])
    verifier.locator("tr.model-testreport").get_by_role("link", name="Test reports").click()
    verifier.locator(f'#result_list a[href*="{report_link}"]').click()
    verifier.get_by_role("button", name="Verify (four-eyes)").click()
    expect(verifier.locator("ul.messagelist")).to_contain_text(f"Verified: {report.booking.code} · {report.test.code}")
    expect(verifier.locator(".field-status")).to_contain_text("Verified")
    screenshot(verifier, "4-verifier-report-verified")

    report.refresh_from_db()
    assert (report.status, report.verified_by) == (TestReport.Status.VERIFIED, staff["verifier"])
    assert report.verified_at is not None
