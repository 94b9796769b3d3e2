"""The lab's daily workflow in the admin: booking actions, item steps, reports, prescriptions and the audit trail.

Every action runs a service; a refusal is a message (never a 500) and changes nothing.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from billing.models import BillingRecord
from billing.tests.factories import BillingRecordFactory
from bookings.models import Booking, BookingItem, TestReport
from bookings.services import (
    booking_mark_collected,
    item_receive,
    item_start_processing,
    report_deliver,
    report_upload,
    report_verify,
)
from bookings.tests.factories import (
    BookingFactory,
    BookingItemFactory,
    CollectionSlotFactory,
    PrescriptionUploadFactory,
)
from catalog.tests.factories import LabTestFactory

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("admin:bookings_booking_changelist")
ITEMS = reverse("admin:bookings_bookingitem_changelist")
REPORTS = reverse("admin:bookings_testreport_changelist")
PRESCRIPTIONS = reverse("admin:bookings_prescriptionupload_changelist")
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _roles(db):
    roles_setup()


def make_staff(role: str, **profile):
    profile = StaffProfileFactory(role=role, **profile)
    staff_set_role(user=profile.user, role=role)
    return profile.user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_action(client, url, action, objects, **data):
    """Post a changelist action for ``objects``; returns the response and its messages."""
    payload = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **data}
    response = client.post(url, payload)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    client.cookies.pop("messages", None)  # read here: the next request starts without them
    return response, messages


def booking_with_items(n: int = 2, **kwargs) -> Booking:
    booking = BookingFactory(**kwargs)
    for sequence in range(1, n + 1):
        BookingItemFactory(booking=booking, sequence=sequence, test=LabTestFactory(tat_hours=24))
    BillingRecordFactory(booking=booking)
    return booking


def collected_booking(collector=None) -> Booking:
    collector = collector or make_staff(StaffRole.COLLECTOR)
    booking = booking_with_items(status=Booking.Status.CONFIRMED, collection_staff=collector)
    return booking_mark_collected(booking=booking, by=collector)


def statuses(booking) -> list[str]:
    return list(booking.items.order_by("sequence").values_list("status", flat=True))


# --- Booking actions -----------------------------------------------------------------------------------------


def test_assign_collector_shows_a_form_of_active_collectors_then_assigns(admin_client):
    booking = booking_with_items()
    collector = make_staff(StaffRole.COLLECTOR, assigned_area="Koramangala")
    inactive = make_staff(StaffRole.COLLECTOR)
    inactive.is_active = False
    inactive.save()
    tech = make_staff(StaffRole.LAB_TECH)

    page, _ = run_action(admin_client, BOOKINGS, "assign_collector", [booking])

    assert page.status_code == 200
    choices = [value for value, _label in page.context["form"].fields["collector"].choices]
    assert choices == [collector.pk]
    assert collector.full_name in page.content.decode()

    invalid, _ = run_action(admin_client, BOOKINGS, "assign_collector", [booking], apply="1", collector=tech.pk)
    assert invalid.status_code == 200
    assert "collector" in invalid.context["form"].errors
    booking.refresh_from_db()
    assert (booking.status, booking.collection_staff) == (Booking.Status.PENDING, None)

    done, messages = run_action(
        admin_client, BOOKINGS, "assign_collector", [booking], apply="1", collector=collector.pk
    )

    assert done.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.collection_staff) == (Booking.Status.CONFIRMED, collector)
    assert any(booking.code in m and "Assigned" in m for m in messages)


def test_confirm_reports_each_success_and_each_refusal(admin_client):
    pending, done = booking_with_items(), booking_with_items(status=Booking.Status.COMPLETED)

    response, messages = run_action(admin_client, BOOKINGS, "confirm", [pending, done])

    assert response.status_code == 302
    pending.refresh_from_db()
    done.refresh_from_db()
    assert (pending.status, done.status) == (Booking.Status.CONFIRMED, Booking.Status.COMPLETED)
    assert f"Confirmed: {pending.code}." in messages
    assert f"{done.code}: A booking that is completed cannot become confirmed." in messages


def test_collector_marks_their_visit_collected_but_not_another_collectors(db):
    collector, other = make_staff(StaffRole.COLLECTOR), make_staff(StaffRole.COLLECTOR)
    today = timezone.localdate()
    mine = booking_with_items(status=Booking.Status.CONFIRMED, collection_staff=collector, booking_date=today)
    theirs = booking_with_items(status=Booking.Status.CONFIRMED, collection_staff=other, booking_date=today)
    client = login(collector)

    _, refused = run_action(client, BOOKINGS, "mark_collected", [theirs])
    response, messages = run_action(client, BOOKINGS, "mark_collected", [mine])

    assert response.status_code == 302
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED
    assert statuses(theirs) == ["pending", "pending"]
    assert "none of the selected rows is yours" in refused[0]
    assert mine.status == Booking.Status.COLLECTED
    assert statuses(mine) == ["collected", "collected"]
    assert mine.items.filter(collected_by=collector, due_at__isnull=False).count() == 2


def test_collector_cannot_mark_tomorrows_visit_collected_from_the_list(db):
    collector = make_staff(StaffRole.COLLECTOR)
    tomorrow = booking_with_items(status=Booking.Status.CONFIRMED, collection_staff=collector)

    # The list shows collectors today's visits by default; "Today and later" lists tomorrow's.
    _, messages = run_action(login(collector), f"{BOOKINGS}?day=upcoming", "mark_collected", [tomorrow])

    tomorrow.refresh_from_db()
    assert tomorrow.status == Booking.Status.CONFIRMED
    assert any("can be done only on that day" in m for m in messages)


def test_collector_gets_only_the_actions_of_a_visit(db):
    collector = make_staff(StaffRole.COLLECTOR)
    response = login(collector).get(BOOKINGS)

    actions = {name for name, _ in response.context["action_form"].fields["action"].choices if name}
    assert actions == {"mark_collected", "mark_no_show", "print_tube_labels", "export_csv"}


def test_analyst_has_no_action_that_writes(db):
    analyst = make_staff(StaffRole.ANALYST)
    booking = booking_with_items()
    client = login(analyst)

    response = client.get(BOOKINGS)
    actions = {name for name, _ in response.context["action_form"].fields["action"].choices if name}
    assert actions == {"export_csv"}

    refused, _ = run_action(client, BOOKINGS, "confirm", [booking])
    assert refused.status_code in (200, 302)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING
    assert client.get(ITEMS).context["action_form"] is None


def test_lab_receives_then_processes_the_samples_of_a_booking(db):
    tech = make_staff(StaffRole.LAB_TECH)
    booking = collected_booking()
    client = login(tech)

    _, refused = run_action(client, BOOKINGS, "start_processing", [booking])
    assert refused == [f"{booking.code}: No received sample is waiting to be processed."]

    _, received = run_action(client, BOOKINGS, "receive_at_lab", [booking])
    assert received == [f"Received at the lab: {booking.code}."]
    assert statuses(booking) == ["received", "received"]
    assert booking.items.filter(received_by=tech).count() == 2

    run_action(client, BOOKINGS, "start_processing", [booking])
    booking.refresh_from_db()
    assert statuses(booking) == ["processing", "processing"]
    assert booking.status == Booking.Status.PROCESSING


def test_item_changelist_actions_move_single_items(db):
    tech = make_staff(StaffRole.LAB_TECH)
    booking = collected_booking()
    first, second = booking.items.order_by("sequence")

    _, messages = run_action(login(tech), ITEMS, "receive", [first])

    assert statuses(booking) == ["received", "collected"]
    _, refused = run_action(login(tech), ITEMS, "start_processing", [second])
    assert refused == [f"{second}: A item that is collected cannot become processing."]


def test_reject_sample_page_validates_then_rejects_with_a_free_recollection(db):
    tech = make_staff(StaffRole.LAB_TECH)
    booking = collected_booking()
    item = booking.items.order_by("sequence").first()
    client = login(tech)

    page, _ = run_action(client, BOOKINGS, "reject_sample", [booking])
    assert page.status_code == 200
    assert set(page.context["form"].fields["item"].queryset) == set(booking.items.all())

    invalid, _ = run_action(client, BOOKINGS, "reject_sample", [booking], apply="1", item=item.pk, reason="muddy")
    assert invalid.status_code == 200
    assert "reason" in invalid.context["form"].errors
    assert statuses(booking) == ["collected", "collected"]

    done, messages = run_action(
        client, BOOKINGS, "reject_sample", [booking], apply="1", item=item.pk, reason="haemolysed", notes="Pink serum"
    )

    assert done.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.rejection_reason, item.rejection_notes) == ("rejected", "haemolysed", "Pink serum")
    recollection = Booking.objects.get(recollection_of=booking)
    assert recollection.total_amount == Decimal("0")
    assert recollection.code in messages[0]


def test_reject_sample_refuses_bookings_without_a_sample_in_the_lab(admin_client):
    booking = booking_with_items()

    response, messages = run_action(admin_client, BOOKINGS, "reject_sample", [booking])

    assert response.status_code == 302
    assert messages == ["None of the selected bookings has a sample in the lab."]


def test_cancel_needs_a_reason_and_cancels_through_the_service(admin_client, admin_user):
    booking = booking_with_items()
    collected = collected_booking()

    page, _ = run_action(admin_client, BOOKINGS, "cancel", [booking, collected], apply="1", reason="  ")
    assert page.status_code == 200
    assert "reason" in page.context["form"].errors

    _, messages = run_action(admin_client, BOOKINGS, "cancel", [booking, collected], apply="1", reason="Pet unwell")

    booking.refresh_from_db()
    collected.refresh_from_db()
    assert (booking.status, booking.cancelled_by, booking.cancelled_by_role, booking.cancellation_reason) == (
        Booking.Status.CANCELLED,
        admin_user,
        Booking.CancelledBy.STAFF,
        "Pet unwell",
    )
    assert booking.billing_record.status == BillingRecord.Status.VOID
    assert statuses(booking) == ["cancelled", "cancelled"]
    assert collected.status == Booking.Status.COLLECTED
    assert f"{collected.code}: A booking that is collected cannot become cancelled." in messages


def test_no_show_frees_a_future_slot_place_and_keeps_the_bill(admin_client):
    future = CollectionSlotFactory(date=timezone.localdate() + datetime.timedelta(days=1), booked=1)
    past = CollectionSlotFactory(date=timezone.localdate() - datetime.timedelta(days=1), booked=1)
    upcoming = booking_with_items(slot=future, booking_date=future.date, status=Booking.Status.CONFIRMED)
    missed = booking_with_items(slot=past, booking_date=past.date, status=Booking.Status.CONFIRMED)
    done = booking_with_items(status=Booking.Status.COMPLETED)

    _, messages = run_action(
        admin_client, BOOKINGS, "mark_no_show", [upcoming, missed, done], apply="1", reason="nobody_home"
    )

    for booking in (upcoming, missed, done, future, past):
        booking.refresh_from_db()
    assert (upcoming.status, missed.status, done.status) == ("no_show", "no_show", "completed")
    assert upcoming.no_show_at is not None
    assert (upcoming.no_show_reason, "Nobody at home" in upcoming.notes) == ("nobody_home", True)
    assert statuses(upcoming) == ["cancelled", "cancelled"]
    assert (future.booked, past.booked) == (0, 1)
    assert upcoming.billing_record.status == BillingRecord.Status.DRAFT
    assert f"{done.code}: A booking that is completed cannot become no-show." in messages


def test_csv_export_streams_the_selected_bookings(admin_client):
    collector = make_staff(StaffRole.COLLECTOR)
    collector.full_name = "Ravi Kumar"
    collector.save()
    slot = CollectionSlotFactory(start_time=datetime.time(9), end_time=datetime.time(10))
    booking = booking_with_items(
        slot=slot,
        collection_staff=collector,
        subtotal=Decimal("900.00"),
        discount_amount=Decimal("100.00"),
        distance_charge=Decimal("60.00"),
        user__full_name="=HYPERLINK(1)",
    )
    booking_with_items()  # not selected

    response = admin_client.post(BOOKINGS, {"action": "export_csv", ACTION_CHECKBOX_NAME: [booking.pk], "index": 0})
    with CaptureQueriesContext(connection) as queries:
        body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))

    assert response["Content-Disposition"].startswith('attachment; filename="bookings-')
    assert rows[0] == [
        *("Code", "Date", "Slot", "Status", "Customer", "Pet", "Collection type", "Collector"),
        *("Subtotal (INR)", "Discount (INR)", "Distance charge (INR)", "Total (INR)"),
    ]
    assert rows[1:] == [
        [
            booking.code,
            booking.booking_date.isoformat(),
            str(slot),
            "Pending",
            "'=HYPERLINK(1)",
            booking.pet.name,
            "Home collection",
            "Ravi Kumar",
            "900.00",
            "100.00",
            "60.00",
            "860.00",
        ]
    ]
    assert len(queries) == 1  # one query for every row, its customer, pet, slot and collector


# --- Reports -------------------------------------------------------------------------------------------------


def _report_page(kind: str, obj) -> str:
    if kind == "upload":
        return reverse("admin:bookings_bookingitem_upload_report", args=[obj.pk])
    return reverse("admin:bookings_testreport_amend", args=[obj.pk])


def test_report_upload_page_takes_pdfs_only(db):
    tech = make_staff(StaffRole.LAB_TECH)
    booking = collected_booking()
    item = booking.items.first()
    item_receive(item=item, by=tech)
    client = login(tech)
    url = _report_page("upload", item)

    assert client.get(url).status_code == 200
    not_pdf = client.post(url, {"file": SimpleUploadedFile("r.pdf", b"<html>hi</html>"), "findings": ""})
    assert not_pdf.status_code == 200
    assert "Upload a PDF file." in str(not_pdf.context["form"].errors["file"])
    assert not TestReport.objects.exists()

    response = client.post(url, {"file": SimpleUploadedFile("r.pdf", PDF_BYTES), "findings": "Normal."})

    assert response.status_code == 302
    report = TestReport.objects.get(booking_item=item)
    assert (report.status, report.uploaded_by, report.findings) == ("generated", tech, "Normal.")


def test_report_upload_refused_by_the_service_is_shown_on_the_form(db):
    tech = make_staff(StaffRole.LAB_TECH)
    item = collected_booking().items.first()  # collected, not yet received

    response = login(tech).post(_report_page("upload", item), {"file": SimpleUploadedFile("r.pdf", PDF_BYTES)})

    assert response.status_code == 200
    assert "Reports can be uploaded only for samples in the lab." in response.content.decode()


def test_report_pages_need_the_permission_and_the_row(db):
    collector = make_staff(StaffRole.COLLECTOR)
    booking = collected_booking(collector)
    item = booking.items.first()

    assert login(collector).get(_report_page("upload", item)).status_code == 403
    assert login(make_staff(StaffRole.LAB_TECH)).get(_report_page("upload", BookingItem(pk=10**9))).status_code == 404


def _generated_report(uploader):
    booking = collected_booking()
    item = booking.items.first()
    item_receive(item=item, by=uploader)
    item_start_processing(item=item, by=uploader)
    return report_upload(item=item, file=ContentFile(PDF_BYTES, name="r.pdf"), by=uploader)


def _verify(client, report):
    """Open the report's page, then press its Verify button; returns the messages."""
    page = client.get(reverse("admin:bookings_testreport_change", args=[report.pk]))
    assert page.status_code == 200
    response = client.post(reverse("admin:bookings_testreport_verify", args=[report.pk]))
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    client.cookies.pop("messages", None)
    return messages


def test_verify_is_four_eyes_and_deliver_completes_the_item(db):
    uploader, verifier = make_staff(StaffRole.LAB_TECH), make_staff(StaffRole.LAB_TECH)
    report = _generated_report(uploader)

    refused = _verify(login(uploader), report)
    report.refresh_from_db()
    assert report.status == "generated"
    assert refused == [f"{report}: A report must be verified by someone other than its uploader."]

    _, early = run_action(login(verifier), REPORTS, "deliver", [report])
    assert "cannot become delivered" in early[0]

    verifier_client = login(verifier)
    _verify(verifier_client, report)
    run_action(verifier_client, REPORTS, "deliver", [report])

    report.refresh_from_db()
    assert (report.status, report.verified_by) == ("delivered", verifier)
    assert BookingItem.objects.get(pk=report.booking_item_id).status == BookingItem.Status.COMPLETED


def test_amend_needs_a_reason_and_keeps_the_version_history(db):
    uploader, verifier = make_staff(StaffRole.LAB_TECH), make_staff(StaffRole.LAB_TECH)
    report = report_deliver(report=report_verify(report=_generated_report(uploader), by=verifier), by=verifier)
    client = login(uploader)
    url = _report_page("amend", report)

    no_reason = client.post(url, {"file": SimpleUploadedFile("r.pdf", PDF_BYTES), "reason": ""})
    assert no_reason.status_code == 200
    assert "reason" in no_reason.context["form"].errors

    response = client.post(url, {"file": SimpleUploadedFile("r.pdf", PDF_BYTES), "reason": "Wrong units"})

    assert response.status_code == 302
    amended = TestReport.objects.get(supersedes=report)
    report.refresh_from_db()
    assert (amended.version, amended.is_current, amended.status, report.is_current) == (2, True, "generated", False)
    page = client.get(reverse("admin:bookings_testreport_change", args=[amended.pk])).content.decode()
    assert "v1</a> — Delivered" in page
    assert "v2</a> — Generated (current) — amended: Wrong units" in page
    again = client.post(url, {"file": SimpleUploadedFile("r.pdf", PDF_BYTES), "reason": "Again"})
    assert "Only the current delivered report can be amended." in again.content.decode()


def test_report_download_is_a_private_attachment(db):
    tech = make_staff(StaffRole.LAB_TECH)
    report = _generated_report(tech)

    response = login(tech).get(reverse("admin:bookings_testreport_download", args=[report.pk]))

    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


# --- Prescriptions -------------------------------------------------------------------------------------------


def test_prescription_download_and_verify_with_notes(db):
    tech = make_staff(StaffRole.LAB_TECH)
    prescription = PrescriptionUploadFactory(file_name="rx scan.pdf")
    client = login(tech)

    download = client.get(reverse("admin:bookings_prescriptionupload_download", args=[prescription.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="rx scan.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"

    page, _ = run_action(client, PRESCRIPTIONS, "verify", [prescription])
    assert page.status_code == 200
    run_action(client, PRESCRIPTIONS, "verify", [prescription], apply="1", notes="Signed by Dr Rao")

    prescription.refresh_from_db()
    assert (prescription.verified_by, prescription.verification_notes) == (tech, "Signed by Dr Rao")
    assert prescription.verified_at is not None


def test_prescription_download_needs_view_permission(db):
    prescription = PrescriptionUploadFactory()
    url = reverse("admin:bookings_prescriptionupload_download", args=[prescription.pk])

    assert login(make_staff(StaffRole.ANALYST)).get(url).status_code == 403


# --- Booking and item pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "editable"),
    [
        ("pending", ["notes"]),
        ("confirmed", ["notes"]),
        ("collected", ["notes"]),
        ("processing", ["notes"]),
        ("completed", []),
        ("cancelled", []),
        ("no_show", []),
    ],
)
def test_closed_booking_has_nothing_editable(admin_client, status, editable):
    booking = booking_with_items(status=status)

    form = admin_client.get(reverse("admin:bookings_booking_change", args=[booking.pk]))

    assert list(form.context["adminform"].form.fields) == editable


def test_overdue_items_are_highlighted_and_filterable(admin_client):
    booking = collected_booking()
    late, on_time = booking.items.order_by("sequence")
    BookingItem.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    done = BookingItemFactory(status=BookingItem.Status.COMPLETED, due_at=timezone.now() - datetime.timedelta(days=1))

    overdue = admin_client.get(ITEMS, {"overdue": "yes"})
    not_overdue = admin_client.get(ITEMS, {"overdue": "no"})

    assert [i.pk for i in overdue.context["cl"].result_list] == [late.pk]
    assert {i.pk for i in not_overdue.context["cl"].result_list} == {on_time.pk, done.pk}
    assert "overdue</strong>" in overdue.content.decode()
    page = admin_client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    assert page.count("overdue</strong>") == 1


def test_audit_history_pages(db):
    collector, other = make_staff(StaffRole.COLLECTOR), make_staff(StaffRole.COLLECTOR)
    mine = collected_booking(collector)
    theirs = collected_booking(other)
    client = login(collector)

    response = client.get(reverse("admin:bookings_booking_auditlog", args=[mine.pk]))
    assert response.status_code == 200
    assert len(response.context["log_entries"]) >= 1
    assert client.get(reverse("admin:bookings_booking_auditlog", args=[theirs.pk])).status_code == 404
    item = mine.items.first()
    assert client.get(reverse("admin:bookings_bookingitem_auditlog", args=[item.pk])).status_code == 200
    assert "auditlog_link" in client.get(BOOKINGS, {"day": "all"}).context["cl"].list_display


# --- Query counts --------------------------------------------------------------------------------------------


def _count_queries(client, url, params=None) -> int:
    client.get(url, params)  # warm-up: session, permissions
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", [StaffRole.COLLECTOR, StaffRole.LAB_TECH])
def test_changelists_run_the_same_queries_at_5_and_50_bookings(role):
    user = make_staff(role)
    client = login(user)

    def add(n):
        for _ in range(n):
            booking = collected_booking(user if role == StaffRole.COLLECTOR else None)
            BookingItem.objects.filter(booking=booking).update(due_at=timezone.now() - datetime.timedelta(hours=1))

    add(5)
    few = (_count_queries(client, BOOKINGS, {"day": "all"}), _count_queries(client, ITEMS, {"overdue": "yes"}))
    add(195)
    many = (_count_queries(client, BOOKINGS, {"day": "all"}), _count_queries(client, ITEMS, {"overdue": "yes"}))

    assert many == few


# --- The same actions as buttons on the booking page -----------------------------------------------------------


def _act(booking, action: str) -> str:
    return reverse("admin:bookings_booking_act", args=[booking.pk, action])


def test_booking_page_offers_the_users_actions_as_buttons(admin_client):
    booking = booking_with_items()

    page = admin_client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()

    assert f'action="{_act(booking, "confirm")}"' in page
    assert f'action="{_act(booking, "cancel")}"' in page
    assert "export_csv" not in page


def _buttons(client, booking) -> set[str]:
    page = client.get(reverse("admin:bookings_booking_change", args=[booking.pk])).content.decode()
    names = {
        "assign_collector",
        "confirm",
        "mark_collected",
        "receive_at_lab",
        "start_processing",
        "reject_sample",
        "reschedule",
        "cancel",
        "mark_no_show",
        "print_tube_labels",
    }
    return {name for name in names if f'action="{_act(booking, name)}"' in page}


def test_a_pending_booking_offers_only_the_moves_a_pending_booking_can_make(admin_client):
    booking = booking_with_items()

    assert _buttons(admin_client, booking) == {
        "assign_collector",
        "confirm",
        "reschedule",
        "cancel",
        "mark_no_show",
        "print_tube_labels",
    }


def test_a_collected_booking_offers_the_lab_moves_and_no_visit_moves(admin_client):
    booking = collected_booking()

    assert _buttons(admin_client, booking) == {"receive_at_lab", "reject_sample", "print_tube_labels"}


def test_a_cancelled_booking_offers_no_action(admin_client):
    booking = booking_with_items(status=Booking.Status.CANCELLED)

    assert _buttons(admin_client, booking) == set()


def test_button_runs_the_action_for_that_booking_only(admin_client):
    booking, other = booking_with_items(), booking_with_items()

    assert admin_client.get(_act(booking, "confirm")).status_code == 405
    response = admin_client.post(_act(booking, "confirm"))

    assert response.status_code == 302
    assert response.url == reverse("admin:bookings_booking_change", args=[booking.pk])
    booking.refresh_from_db()
    other.refresh_from_db()
    assert (booking.status, other.status) == (Booking.Status.CONFIRMED, Booking.Status.PENDING)


def test_button_with_a_form_shows_it_then_applies(admin_client):
    booking = booking_with_items()

    page = admin_client.post(_act(booking, "cancel"))
    assert page.status_code == 200
    assert "reason" in page.context["form"].fields

    admin_client.post(_act(booking, "cancel"), {"apply": "1", "reason": "Duplicate booking"})

    booking.refresh_from_db()
    assert (booking.status, booking.cancellation_reason) == (Booking.Status.CANCELLED, "Duplicate booking")


def test_buttons_keep_the_role_rules(db):
    collector, other = make_staff(StaffRole.COLLECTOR), make_staff(StaffRole.COLLECTOR)
    theirs = booking_with_items(status=Booking.Status.CONFIRMED, collection_staff=other)
    # Today: a collector records a visit on its day only.
    mine = booking_with_items(
        status=Booking.Status.CONFIRMED, collection_staff=collector, booking_date=timezone.localdate()
    )
    analyst = make_staff(StaffRole.ANALYST)

    assert login(collector).post(_act(theirs, "mark_collected")).status_code == 404
    assert login(collector).post(_act(mine, "cancel")).status_code == 403
    assert login(analyst).post(_act(mine, "confirm")).status_code == 403
    page = login(collector).get(reverse("admin:bookings_booking_change", args=[mine.pk])).content.decode()
    assert _act(mine, "mark_collected") in page
    assert _act(mine, "cancel") not in page

    login(collector).post(_act(mine, "mark_collected"))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (Booking.Status.COLLECTED, Booking.Status.CONFIRMED)
