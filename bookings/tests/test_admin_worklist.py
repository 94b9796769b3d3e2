"""The lab's pages: the worklist (landing page of lab technicians), the samples and reports lists with what the lab
reads off a tube, rejecting and uploading from the lists, and verification only after opening the report."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from bookings.models import Booking, BookingItem, TestReport
from bookings.services import booking_mark_collected, item_receive, item_start_processing, report_upload
from bookings.tests.factories import BookingFactory, BookingItemFactory
from catalog.tests.factories import LabTestFactory
from pets.tests.factories import PetFactory

pytestmark = pytest.mark.django_db

WORKLIST = reverse("admin:bookings_bookingitem_worklist")
ITEMS = reverse("admin:bookings_bookingitem_changelist")
REPORTS = reverse("admin:bookings_testreport_changelist")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _roles(db):
    roles_setup()


def make_staff(role: str, name: str = ""):
    profile = StaffProfileFactory(role=role, **({"user__full_name": name} if name else {}))
    staff_set_role(user=profile.user, role=role)
    return profile.user


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response, client) -> list[str]:
    found = [str(m) for m in get_messages(response.wsgi_request)]
    client.cookies.pop("messages", None)
    return found


def collected_item(*, pet_name="Bruno", species="dog") -> BookingItem:
    """A visit whose one sample (a serum test in a red-top tube) was collected."""
    collector = make_staff(StaffRole.COLLECTOR)
    pet = PetFactory(name=pet_name, species=species)
    booking = BookingFactory(pet=pet, user=pet.user, status=Booking.Status.CONFIRMED, collection_staff=collector)
    test = LabTestFactory(name="Kidney Function Panel", sample_type="Serum", tube_type="Red top", tat_hours=24)
    BookingItemFactory(booking=booking, sequence=1, test=test)
    booking_mark_collected(booking=booking, by=collector)
    return booking.items.get()


def reported_item(uploader, **kwargs) -> TestReport:
    item = collected_item(**kwargs)
    item_receive(item=item, by=uploader)
    item_start_processing(item=item, by=uploader)
    return report_upload(item=item, file=ContentFile(PDF, name="r.pdf"), by=uploader)


def section(html: str, key: str) -> str:
    return html.split(f'id="worklist-{key}"', 1)[1].split("</section>", 1)[0]


def test_worklist_lists_what_to_receive_enter_verify_and_what_is_overdue():
    me, colleague = make_staff(StaffRole.LAB_TECH, "Kavya Iyer"), make_staff(StaffRole.LAB_TECH, "Sandeep Rao")
    to_receive = collected_item(pet_name="Zara", species="cat")
    to_enter = collected_item(pet_name="Sheru")
    item_receive(item=to_enter, by=me)
    theirs = reported_item(colleague, pet_name="Mishti")
    reported_item(me, pet_name="Tiger")
    BookingItem.objects.filter(pk=to_enter.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))

    html = login(me).get(WORKLIST).content.decode()

    receive = section(html, "receive")
    assert to_receive.code in receive
    assert all(text in receive for text in ("Zara · Cat", "Serum", "Red top", "Receive"))
    enter = section(html, "enter")
    assert to_enter.code in enter
    assert "Sheru · Dog" in enter
    assert "Upload report" in enter
    assert theirs.booking_item.code not in enter  # reported already: it waits for verification
    verify = section(html, "verify")
    assert "Mishti" in verify
    assert "Sandeep Rao" in verify
    assert "Tiger" not in verify  # one's own report is never offered for verification
    assert "1 report you uploaded" in html
    assert to_enter.code in section(html, "overdue")


def test_worklist_receives_and_starts_processing_a_sample():
    tech = make_staff(StaffRole.LAB_TECH)
    item = collected_item()
    client = login(tech)

    response = client.post(WORKLIST, {"step": "receive", "item": item.pk})
    assert response.status_code == 302
    assert response.url == WORKLIST
    assert messages_of(response, client) == [f"{item.code} (Kidney Function Panel): received at the lab."]
    response = client.post(WORKLIST, {"step": "process", "item": item.pk})
    assert messages_of(response, client) == [f"{item.code} (Kidney Function Panel): moved to processing."]
    item.refresh_from_db()
    assert (item.status, item.received_by, item.processing_at is not None) == ("processing", tech, True)
    again = client.post(WORKLIST, {"step": "receive", "item": item.pk})
    assert "cannot become" in messages_of(again, client)[0]


@pytest.mark.parametrize("item_id", ["\u00b2", "\u2460", "-1", "1e3", ""])
def test_worklist_step_on_an_item_that_is_no_plain_number_is_404_not_a_server_error(item_id):
    # "²" and "①" pass str.isdigit() but int() refuses them.
    collected_item()
    client = login(make_staff(StaffRole.LAB_TECH))

    assert client.post(WORKLIST, {"step": "receive", "item": item_id}).status_code == 404


def test_worklist_is_not_for_collectors_and_analysts_cannot_act():
    item = collected_item()
    assert login(make_staff(StaffRole.COLLECTOR)).get(WORKLIST).status_code == 403
    analyst = login(make_staff(StaffRole.ANALYST))
    assert analyst.get(WORKLIST).status_code == 200
    assert analyst.post(WORKLIST, {"step": "receive", "item": item.pk}).status_code == 403
    item.refresh_from_db()
    assert item.status == "collected"


def test_samples_list_shows_pet_species_sample_tube_and_received_time_with_upload_and_reject_links():
    tech = make_staff(StaffRole.LAB_TECH)
    item = collected_item(pet_name="Coco", species="rabbit")
    item_receive(item=item, by=tech)

    html = login(tech).get(ITEMS).content.decode()

    for text in ("Coco · Rabbit", "Serum · Red top", "Received"):
        assert text in html
    assert reverse("admin:bookings_bookingitem_upload_report", args=[item.pk]) in html
    assert reverse("admin:bookings_bookingitem_reject", args=[item.pk]) in html


def test_reject_a_sample_from_its_own_page_and_from_the_list():
    tech = make_staff(StaffRole.LAB_TECH)
    first, second = collected_item(), collected_item(pet_name="Simba")
    client = login(tech)
    url = reverse("admin:bookings_bookingitem_reject", args=[first.pk])

    assert client.get(url).status_code == 200
    assert "reason" in client.post(url, {"reason": ""}).context["form"].errors
    response = client.post(url, {"reason": "haemolysed", "notes": "pink serum"})
    assert response.status_code == 302
    assert response.url == WORKLIST
    assert "free re-collection booking DP-" in messages_of(response, client)[0]

    payload = {"action": "reject", ACTION_CHECKBOX_NAME: [second.pk]}
    form_page = client.post(ITEMS, payload)
    assert form_page.status_code == 200
    assert "reason" in form_page.content.decode()
    client.post(ITEMS, {**payload, "apply": "1", "reason": "clotted", "notes": ""})

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.rejection_reason) == ("rejected", "haemolysed")
    assert (second.status, second.rejection_reason) == ("rejected", "clotted")
    assert Booking.objects.filter(recollection_of=first.booking).exists()


def test_collectors_cannot_reject_in_the_lab():
    collector = make_staff(StaffRole.COLLECTOR)
    item = collected_item()
    response = login(collector).post(
        reverse("admin:bookings_bookingitem_reject", args=[item.pk]), {"reason": "clotted"}
    )
    assert response.status_code == 403


def test_reports_list_shows_the_uploader_and_offers_no_bulk_verify():
    uploader, verifier = make_staff(StaffRole.LAB_TECH, "Kavya Iyer"), make_staff(StaffRole.LAB_TECH)
    reported_item(uploader)

    response = login(verifier).get(REPORTS)

    assert "Kavya Iyer" in response.content.decode()
    assert "verify" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)


def test_verification_requires_opening_the_report_first():
    uploader, verifier = make_staff(StaffRole.LAB_TECH), make_staff(StaffRole.LAB_TECH)
    report = reported_item(uploader)
    client = login(verifier)
    verify = reverse("admin:bookings_testreport_verify", args=[report.pk])
    page = reverse("admin:bookings_testreport_change", args=[report.pk])

    unopened = client.post(verify)
    assert "open the report and read it before verifying it" in messages_of(unopened, client)[0]
    report.refresh_from_db()
    assert report.status == "generated"

    opened = client.get(page)
    assert verify in opened.content.decode()  # the Verify button
    assert client.get(verify).status_code == 405  # a link cannot verify
    done = client.post(verify)
    assert messages_of(done, client) == [f"Verified: {report}."]
    report.refresh_from_db()
    assert (report.status, report.verified_by) == ("verified", verifier)


def test_the_uploader_gets_no_verify_button_but_the_reason():
    uploader = make_staff(StaffRole.LAB_TECH)
    report = reported_item(uploader)
    html = login(uploader).get(reverse("admin:bookings_testreport_change", args=[report.pk])).content.decode()
    assert reverse("admin:bookings_testreport_verify", args=[report.pk]) not in html
    assert "You uploaded this report" in html


def test_worklist_query_count_is_the_same_at_1_and_many_rows(django_assert_max_num_queries):
    me, colleague = make_staff(StaffRole.LAB_TECH), make_staff(StaffRole.LAB_TECH)
    client = login(me)

    def make():
        collected_item()
        received = collected_item()
        item_receive(item=received, by=me)
        reported_item(colleague)

    make()
    client.get(WORKLIST)  # warm-up: session, permissions
    with CaptureQueriesContext(connection) as one:
        client.get(WORKLIST)
    for _ in range(5):
        make()
    with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as many:
        response = client.get(WORKLIST)
    assert section(response.content.decode(), "verify").count("Open to verify") == 6
    assert len(many) == len(one)
