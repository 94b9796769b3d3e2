"""A day of each staff role on the demo data (``seed_demo``), in a real browser, from the login form on.

- the collector, on a 375 px phone: lands on today's visits, opens a visit, marks it collected, takes the payment at
  the door — no page scrolls sideways;
- two lab technicians: the first lands on the lab worklist, receives a sample, starts it, uploads its report and
  rejects another sample; the second finds that report under "To verify" with its uploader's name, opens it and
  verifies it (verification is on the report's page only);
- the analyst: lands on the billing report and reads it per month, each table naming the month the same way;
- the clinic admin: lands on the dashboard and its charts, and follows a figure to its list.

And the role landing pages pass axe-core's accessibility rules with no serious or critical violation. axe-core comes
from npm, pinned in ``browser_tests/package.json`` (``npm ci --prefix browser_tests``, run by ``.ci/run``); that
test is skipped when it is not installed. Screenshots: ``artifacts/browser/role-*.png``.
"""

import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from backoffice.demo import STAFF_PASSWORD
from billing.models import Payment
from bookings.models import Booking, BookingItem, TestReport

PLAYWRIGHT_MISSING = "Playwright is not installed (pip install -r requirements-browser.txt)"

expect = pytest.importorskip("playwright.sync_api", reason=PLAYWRIGHT_MISSING).expect

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE_WIDTH = 375
CLINIC_ADMIN, ANALYST = "+919000000101", "+919000000106"
LAB_TECH, SECOND_LAB_TECH = "+919000000104", "+919000000105"  # Dr. Kavya Iyer uploads, Sandeep Rao verifies
WHERE_THE_PHONE_IS = {"latitude": 12.9717, "longitude": 77.6401}


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def demo_booking(key: str) -> Booking:
    return Booking.objects.select_related("collection_staff").get(idempotency_key=key)


def open_context(browser, live_server, *, phone: bool = False, axe: bool = False):
    """A browser context of its own (one staff member's cookies); a phone is 375 px wide, touch, with its position.
    ``axe``: the page's Content-Security-Policy (scripts from 'self' only) is bypassed so the test can inject
    axe-core — in the test's browser only."""
    options = {"base_url": live_server.url, "bypass_csp": axe}
    if phone:
        options.update(
            viewport={"width": PHONE_WIDTH, "height": 812},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            geolocation=WHERE_THE_PHONE_IS,
            permissions=["geolocation"],
        )
    else:
        options["viewport"] = {"width": 1366, "height": 900}
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def log_in(page, phone: str, landing: str) -> None:
    """The admin login form as staff use it; then the role's own start page."""
    page.goto("/admin/login/")
    page.fill("#id_username", phone)
    page.fill("#id_password", STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{landing}")


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, page.url


def messages(page):
    return page.locator("ul.messagelist")


def test_collector_day_on_a_phone(browser, live_server, screenshot, demo):
    visit = demo_booking("demo-3")  # confirmed, a home visit with its collector
    today = timezone.localdate()
    if visit.booking_date != today:
        # The demo's visits take the earliest windows not started yet: after closing time, tomorrow's. The door
        # buttons work on the visit's day only, so the collector's day is brought to today.
        Booking.objects.filter(pk=visit.pk).update(booking_date=today)
    context, page = open_context(browser, live_server, phone=True)
    try:
        log_in(page, visit.collection_staff.phone, "/admin/bookings/booking/today/")
        card = page.locator("article.visit", has_text=visit.code)
        expect(card).to_contain_text("Tiger")
        expect(card.locator(".badge")).to_have_text("Confirmed")
        screenshot(page, "role-collector-1-today")
        fits_the_phone(page)

        card.locator("a.code").click()
        expect(page.locator("h2").first).to_contain_text(visit.code)
        screenshot(page, "role-collector-2-booking")
        fits_the_phone(page)

        page.go_back()
        page.locator("article.visit", has_text=visit.code).get_by_role("button", name="Collected").click()
        expect(messages(page)).to_contain_text(f"{visit.code}: samples collected.")
        fits_the_phone(page)

        # The payment at the door: the visit's bill from its card, "Record a payment", the amount due filled in.
        page.locator("article.visit", has_text=visit.code).get_by_role("link", name="Bill and payment").click()
        expect(page.locator("#result_list tbody tr")).to_have_count(1)
        page.locator("#result_list tbody tr", has_text=visit.code).locator("input.action-select").check()
        page.select_option("select[name=action]", "record_payment")
        page.get_by_role("button", name="Go").click()
        expect(page.locator("#id_amount")).not_to_have_value("")
        page.select_option("#id_method", "upi")
        page.fill("#id_reference", "UPI-DEMO-42")
        screenshot(page, "role-collector-3-payment")
        fits_the_phone(page)
        page.get_by_role("button", name="Record").click()
        expect(messages(page)).to_contain_text("recorded")
        fits_the_phone(page)
    finally:
        context.close()

    visit.refresh_from_db()
    assert visit.status == Booking.Status.COLLECTED
    payment = Payment.objects.get(billing_record__booking=visit, reference="UPI-DEMO-42")
    assert (payment.method, payment.received_by_id) == ("upi", visit.collection_staff_id)


def test_two_lab_technicians_one_uploads_the_other_verifies(browser, live_server, screenshot, demo):
    zara = demo_booking("demo-4")  # collected: its samples wait to be received
    first, second = zara.items.select_related("test").order_by("sequence")
    uploader, verifier = User.objects.get(phone=LAB_TECH), User.objects.get(phone=SECOND_LAB_TECH)
    lab_context, lab = open_context(browser, live_server)
    check_context, check = open_context(browser, live_server)
    try:
        log_in(lab, LAB_TECH, "/admin/bookings/bookingitem/worklist/")
        row = lab.locator("#worklist-receive tbody tr", has_text=first.code)
        expect(row).to_contain_text("Zara · Cat")
        expect(row).to_contain_text(first.test.sample_type)
        screenshot(lab, "role-lab-tech-1-worklist")

        row.get_by_role("button", name="Receive").click()
        expect(messages(lab)).to_contain_text(f"{first.code} ({first.test.name}): received at the lab.")
        lab.locator("#worklist-enter tbody tr", has_text=first.code).get_by_role(
            "button", name="Start processing"
        ).click()
        expect(messages(lab)).to_contain_text("moved to processing")
        lab.locator("#worklist-enter tbody tr", has_text=first.code).get_by_role("link", name="Upload report").click()
        lab.set_input_files(
            "#id_file", {"name": "t4.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
        )
        lab.fill("#id_findings", "Total T4 2.1 µg/dL, within the reference interval for cats.")
        lab.get_by_role("button", name="Save").click()
        expect(messages(lab)).to_contain_text("Report uploaded; it now waits for verification by someone else.")
        expect(lab.locator("#verify-refusal")).to_contain_text("a colleague verifies it")  # four eyes, said plainly

        # The second sample came haemolysed: rejected from the worklist, a free re-collection follows.
        lab.goto("/admin/bookings/bookingitem/worklist/")
        lab.locator("#worklist-receive tbody tr", has_text=second.code).get_by_role("link", name="Reject…").click()
        lab.select_option("#id_reason", "haemolysed")
        lab.get_by_role("button", name="Save").click()
        expect(messages(lab)).to_contain_text(re.compile(rf"Sample {second.code} .*rejected; free re-collection"))
        expect(lab.locator("#worklist-verify")).not_to_contain_text("Zara")  # one's own report is not offered
        expect(lab.locator("#worklist-own-waiting")).to_be_visible()
        screenshot(lab, "role-lab-tech-2-uploaded-and-rejected")

        # --- The second lab technician verifies it -------------------------------------------------------------
        log_in(check, SECOND_LAB_TECH, "/admin/bookings/bookingitem/worklist/")
        row = check.locator("#worklist-verify tbody tr", has_text=first.code)
        expect(row.locator(".uploader")).to_have_text(uploader.full_name)
        screenshot(check, "role-lab-tech-3-to-verify")
        row.get_by_role("link", name="Open to verify").click()
        expect(check.locator(".field-findings")).to_contain_text("Total T4 2.1")
        check.get_by_role("button", name="Verify (four-eyes)").click()
        expect(messages(check)).to_contain_text("Verified:")
        expect(check.locator(".field-status")).to_contain_text("Verified")
        screenshot(check, "role-lab-tech-4-verified")
    finally:
        lab_context.close()
        check_context.close()

    report = TestReport.objects.get(booking_item=first, is_current=True)
    assert (report.status, report.uploaded_by, report.verified_by) == ("verified", uploader, verifier)
    second.refresh_from_db()
    assert (second.status, second.rejection_reason) == (BookingItem.Status.REJECTED, "haemolysed")


def test_analyst_reads_the_billing_report(browser, live_server, screenshot, demo):
    today = timezone.localdate()
    context, page = open_context(browser, live_server)
    try:
        log_in(page, ANALYST, "/admin/billing/billingrecord/report/")
        expect(page.locator("#report-total")).to_contain_text("₹")
        expect(page.locator("svg.billing-chart").first).to_be_visible()
        screenshot(page, "role-analyst-1-report-per-day")

        page.select_option("#id_period", "month")
        page.fill("#id_date_from", f"{today.year}-01-01")
        page.get_by_role("button", name="Show").click()
        month = f"{today:%b %Y}"
        for table in ("#report-rows", "#report-collection-types", "#report-categories"):
            expect(page.locator(table)).to_contain_text(month)
            assert not re.search(r"\d{4}-\d{2}", page.locator(table).inner_text()), table
        expect(page.locator("#report-collection-types")).to_contain_text("Home collection")
        screenshot(page, "role-analyst-2-report-per-month")
        with page.expect_download() as download:
            page.get_by_role("link", name="Export CSV").click()
        assert download.value.suggested_filename.startswith("billing-month-")
    finally:
        context.close()


def test_clinic_admin_reads_the_dashboard(browser, live_server, screenshot, demo):
    context, page = open_context(browser, live_server)
    try:
        log_in(page, CLINIC_ADMIN, "/admin/")
        expect(page.locator("#chart-bookings svg g")).to_have_count(30)  # a bar per day
        expect(page.locator("#chart-revenue")).to_contain_text("₹")
        expect(page.locator("#chart-turnaround")).to_contain_text("on time")
        expect(page.locator("#chart-collectors")).to_contain_text("Ravi Kumar")
        screenshot(page, "role-clinic-admin-1-dashboard")

        page.get_by_role("link", name="Billed today (final bills)").first.click()
        expect(page.locator("#changelist")).to_be_visible()
        assert "status__in=finalized" in page.url
        screenshot(page, "role-clinic-admin-2-final-bills")
    finally:
        context.close()


LANDINGS = [
    ("collector", "+919000000102", "/admin/bookings/booking/today/", True),
    ("lab-tech", LAB_TECH, "/admin/bookings/bookingitem/worklist/", False),
    ("analyst", ANALYST, "/admin/billing/billingrecord/report/", False),
    ("clinic-admin", CLINIC_ADMIN, "/admin/", False),
]


def test_role_landing_pages_have_no_serious_accessibility_violations(browser, live_server, demo):
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed: run `npm ci --prefix browser_tests` ({AXE} is missing)")
    found = {}
    for role, phone, landing, on_phone in LANDINGS:
        context, page = open_context(browser, live_server, phone=on_phone, axe=True)
        try:
            log_in(page, phone, landing)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            )
        finally:
            context.close()
        found[role] = [
            {"rule": v["id"], "impact": v["impact"], "help": v["help"], "where": [n["target"] for n in v["nodes"]]}
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
    assert found == dict.fromkeys(found, []), json.dumps(found, indent=1)
