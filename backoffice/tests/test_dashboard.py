"""The staff dashboard on the admin index: right numbers, links to the same rows, per-role visibility, and a query
count that does not grow with the data."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from backoffice.dashboard import dashboard_figures
from billing.services import payment_record
from billing.tests.factories import BillingRecordFactory
from bookings.models import Booking, BookingItem, TestReport
from bookings.services.operations import reminders_send
from bookings.tests.factories import BookingFactory, BookingItemFactory, TestReportFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
D = Decimal


def staff_user(role: str):
    roles_setup()
    user = StaffProfileFactory(role=role).user
    staff_set_role(user=user, role=role)
    return user


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lab_day():
    """Today's work: visits in several states, samples, reports and bills — plus rows that must not count."""
    today, now = timezone.localdate(), timezone.now()
    past, future = now - datetime.timedelta(hours=2), now + datetime.timedelta(hours=5)
    visits = [
        BookingFactory(booking_date=today, status=Booking.Status.CONFIRMED),
        BookingFactory(booking_date=today, status=Booking.Status.CONFIRMED),
        BookingFactory(booking_date=today, status=Booking.Status.COLLECTED),
        BookingFactory(booking_date=today, status=Booking.Status.CANCELLED),
    ]
    BookingFactory(booking_date=today + datetime.timedelta(days=1))  # tomorrow
    collected = visits[2]
    S = BookingItem.Status
    BookingItemFactory(booking=collected, status=S.COLLECTED, due_at=future)  # awaiting receipt
    BookingItemFactory(booking=collected, status=S.COLLECTED, due_at=past)  # awaiting receipt and overdue
    BookingItemFactory(status=S.PROCESSING, due_at=past)  # overdue
    BookingItemFactory(status=S.RECEIVED, due_at=future)
    BookingItemFactory(status=S.COMPLETED, due_at=past)  # done: not overdue
    BookingItemFactory(status=S.REJECTED, due_at=past, rejection_reason="clotted")
    TestReportFactory(status=TestReport.Status.GENERATED)
    TestReportFactory(status=TestReport.Status.GENERATED)
    TestReportFactory(status=TestReport.Status.GENERATED, is_current=False)  # superseded
    TestReportFactory(status=TestReport.Status.VERIFIED)
    bill = BillingRecordFactory(booking=visits[0], status="finalized")  # final 500.00
    BillingRecordFactory(booking=visits[1], status="finalized")
    BillingRecordFactory(booking=visits[3], status="void")
    payment_record(record=bill, amount=D("200.00"), method="cash")
    return visits


def test_figures_are_right(admin_user, lab_day):
    board = dashboard_figures(user=admin_user)

    assert board.visits_total.value == 4
    assert {figure.label: figure.value for figure in board.visits} == {"Confirmed": 2, "Collected": 1, "Cancelled": 1}
    assert board.awaiting_receipt.value == 2
    assert board.overdue.value == 2
    assert board.awaiting_verification.value == 2
    # Billed: the two finalized bills; nothing in draft; paid on them; the void bill counts nowhere.
    assert [figure.value for figure in board.revenue] == [D("1000.00"), D("0.00"), D("200.00")]


def test_billed_today_counts_final_bills_only_and_drafts_apart(admin_user):
    today = timezone.localdate()
    BillingRecordFactory(booking=BookingFactory(booking_date=today), status="draft")  # final_amount 500.00
    BillingRecordFactory(booking=BookingFactory(booking_date=today), status="finalized")
    BillingRecordFactory(booking=BookingFactory(booking_date=today), status="void")

    board = dashboard_figures(user=admin_user)

    figures = {figure.label: figure.value for figure in board.revenue}
    assert figures["Billed today (final bills)"] == D("500.00")
    assert figures["Still to bill (today's draft bills)"] == D("500.00")


def test_each_number_links_to_a_changelist_of_the_same_rows(admin_client, admin_user, lab_day):
    board = dashboard_figures(user=admin_user)
    figures = [board.visits_total, *board.visits, *board.work]

    for figure in figures:
        response = admin_client.get(figure.url)
        assert response.status_code == 200, figure
        assert response.context["cl"].result_count == figure.value, figure.label
    bills = admin_client.get(board.revenue[0].url).context["cl"]
    assert sum(record.final_amount for record in bills.queryset) == board.revenue[0].value


def test_overdue_means_the_same_on_the_dashboard_the_items_list_and_the_lab_reminder(admin_client, admin_user):
    past = timezone.now() - datetime.timedelta(hours=2)
    BookingItemFactory(status=BookingItem.Status.PROCESSING, due_at=past)  # overdue
    BookingItemFactory(status=BookingItem.Status.PENDING, due_at=past)  # not collected yet: cannot run late

    board = dashboard_figures(user=admin_user)
    listed = admin_client.get(board.overdue.url).context["cl"].result_count

    assert (board.overdue.value, listed, reminders_send()["overdue_items"]) == (1, 1, 1)


def test_index_shows_the_dashboard(admin_client, lab_day):
    response = admin_client.get(INDEX)

    html = response.content.decode()
    assert 'id="staff-dashboard"' in html
    assert "Samples awaiting receipt" in html
    assert "Overdue items" in html
    assert "Reports awaiting verification" in html
    assert "₹1,000.00" in html  # rupees, grouped as people read them
    assert 'class="app-billing module' in html  # the stock index's app list is still there


def test_query_count_is_the_same_at_5_and_50_bookings(admin_client):
    today = timezone.localdate()

    def make(n):
        for _ in range(n):
            item = BookingItemFactory(
                booking=BookingFactory(booking_date=today, status=Booking.Status.COLLECTED),
                status=BookingItem.Status.COLLECTED,
                due_at=timezone.now() - datetime.timedelta(hours=1),
            )
            BillingRecordFactory(booking=item.booking, status="finalized")
            TestReportFactory(booking_item=BookingItemFactory(), status=TestReport.Status.GENERATED)

    make(5)
    admin_client.get(INDEX)  # warm-up: session, content types
    with CaptureQueriesContext(connection) as few:
        admin_client.get(INDEX)
    make(195)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(INDEX)

    assert ">200</a>" in response.content.decode()  # visits today
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_dashboard_itself_is_a_handful_of_queries(admin_user, lab_day, django_assert_max_num_queries):
    admin_user.has_perm("bookings.view_booking")  # permissions are cached per user, as in a request
    with django_assert_max_num_queries(8):
        dashboard_figures(user=admin_user)


def test_analyst_sees_visits_and_revenue_but_not_reports(lab_day):
    board = dashboard_figures(user=staff_user(StaffRole.ANALYST))

    assert board.visits_total.value == 4
    assert board.awaiting_verification is None
    assert [figure.value for figure in board.revenue] == [D("1000.00"), D("0.00"), D("200.00")]


def test_lab_tech_sees_the_lab_work_but_no_money(lab_day):
    user = staff_user(StaffRole.LAB_TECH)
    board = dashboard_figures(user=user)

    assert (board.awaiting_receipt.value, board.overdue.value, board.awaiting_verification.value) == (2, 2, 2)
    assert board.revenue == []
    html = client_of(user).get(INDEX).content.decode()
    assert "Reports awaiting verification" in html
    assert "Billed today" not in html


def test_collector_sees_only_their_own_visits_and_no_revenue(lab_day):
    collector = staff_user(StaffRole.COLLECTOR)
    mine = lab_day[2]
    mine.collection_staff = collector
    mine.save(update_fields=["collection_staff"])

    board = dashboard_figures(user=collector)

    assert board.visits_total.value == 1
    assert board.awaiting_receipt.value == 2  # the samples of their visit
    assert board.overdue.value == 1
    assert board.awaiting_verification is None
    assert board.revenue == []
    response = client_of(collector).get(board.visits_total.url)
    assert response.context["cl"].result_count == 1


def test_staff_without_any_of_these_permissions_see_no_dashboard():
    user = StaffProfileFactory(role=StaffRole.COLLECTOR).user  # a profile but no role group: no permissions

    response = client_of(user).get(INDEX)

    assert response.status_code == 200
    assert 'id="staff-dashboard"' not in response.content.decode()


def test_clinic_admin_sees_charts_of_30_days_turnaround_and_collectors_load(admin_client, admin_user):
    now = timezone.now()
    today = timezone.localdate(now)
    week_ago = today - datetime.timedelta(days=7)
    for day in (today, today, week_ago):
        BillingRecordFactory(booking=BookingFactory(booking_date=day, status=Booking.Status.CONFIRMED))
    BookingFactory(booking_date=today - datetime.timedelta(days=40))  # before the 30 days
    BookingFactory(booking_date=today, status=Booking.Status.CANCELLED)  # not counted
    S = BookingItem.Status
    BookingItemFactory(status=S.COMPLETED, due_at=now, completed_at=now - datetime.timedelta(hours=1))  # on time
    BookingItemFactory(status=S.COMPLETED, due_at=now - datetime.timedelta(hours=2), completed_at=now)  # late
    collector = staff_user(StaffRole.COLLECTOR)
    collector.staff_profile.daily_visit_cap = 2
    collector.staff_profile.save()
    for _ in range(3):
        BookingFactory(booking_date=today + datetime.timedelta(days=1), collection_staff=collector)

    charts = dashboard_figures(user=admin_user, charts=True).charts

    assert len(charts.bookings.bars) == 30
    assert charts.bookings.bars[-1].title.endswith(": 2")  # today: two bookings (a third is cancelled)
    assert charts.bookings.bars[-8].title.endswith(": 1")
    assert "₹1,500.00 billed in 30 days" in charts.revenue.summary
    assert (charts.compliance.on_time, charts.compliance.late, charts.compliance.percent) == (1, 1, 50)
    load = next(row for row in charts.loads if row.name == collector.full_name)
    assert [(visits, level) for _day, visits, level in load.cells[:2]] == [(0, "none"), (3, "over")]
    html = admin_client.get(INDEX).content.decode()
    for chart in ("chart-bookings", "chart-revenue", "chart-turnaround", "chart-collectors"):
        assert f'id="{chart}"' in html


def test_charts_are_for_those_who_see_revenue_only(lab_day):
    assert dashboard_figures(user=staff_user(StaffRole.LAB_TECH), charts=True).charts is None
    html = client_of(staff_user(StaffRole.LAB_TECH)).get(INDEX).content.decode()
    assert 'id="dashboard-charts"' not in html
