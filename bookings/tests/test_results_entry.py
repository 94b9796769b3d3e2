"""Result entry: the worklist (many samples, one transaction), flags, critical values, submitting a report version,
amendments and four eyes, and the analyser CSV import."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, StaffRole
from accounts.tests.staff import clinic_admin, logged_in, staff_of
from bookings.models import BookingItem, ResultValue, TestReport
from bookings.services import report_deliver, report_verify
from bookings.services.results import ResultEntry, ResultsRefused, results_save, results_submit
from bookings.tests.factories import BookingFactory, BookingItemFactory
from catalog.tests.factories import AnalyteFactory, LabTestFactory, ReferenceRangeFactory
from diagnopet.errors import Conflict

pytestmark = pytest.mark.django_db

WORKLIST = reverse("admin:bookings_resultvalue_worklist")
IMPORT = reverse("admin:bookings_resultvalue_analyser_import")
R = TestReport.Status


@pytest.fixture
def cbc():
    """A CBC of three analytes with dog ranges (HCT also for cats)."""
    test = LabTestFactory(code="HEM-CBC", name="Complete Blood Count")
    hct = AnalyteFactory(test=test, code="HCT", unit="%", decimals=1, position=1)
    hgb = AnalyteFactory(test=test, code="HGB", unit="g/dL", decimals=1, position=2)
    plt = AnalyteFactory(test=test, code="PLT", unit="10^9/L", decimals=0, position=3)
    ReferenceRangeFactory(analyte=hct, species="dog", low=37, high=55, critical_low=20, critical_high=65)
    ReferenceRangeFactory(analyte=hct, species="cat", low=30, high=45, critical_low=15, critical_high=60)
    ReferenceRangeFactory(analyte=hgb, species="dog", low=12, high=18, critical_low=7, critical_high=22)
    ReferenceRangeFactory(analyte=plt, species="dog", low=200, high=500, critical_low=50, critical_high=1000)
    return test, [hct, hgb, plt]


def _sample(test, *, status=BookingItem.Status.RECEIVED, species="dog"):
    booking = BookingFactory(pet__species=species, pet__date_of_birth=datetime.date(2020, 1, 1))
    return BookingItemFactory(
        booking=booking, test=test, status=status, collected_at=timezone.now(), received_at=timezone.now()
    )


@pytest.fixture
def tech():
    return staff_of(StaffRole.LAB_TECH, phone="+919800000011")


@pytest.fixture
def other_tech():
    return staff_of(StaffRole.LAB_TECH, phone="+919800000012")


def _url(test, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"test": test.pk, **params}.items())
    return f"{WORKLIST}?{query}"


def _post(values: dict, **extra) -> dict:
    """Form data for the worklist: {(item, analyte): value} plus any other fields."""
    data = {f"v-{item.pk}-{analyte.pk}": value for (item, analyte), value in values.items()}
    return data | extra


# --- Who may open it ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [(StaffRole.LAB_TECH, 200), (StaffRole.ADMIN, 200)])
def test_lab_techs_and_clinic_admins_open_the_worklist(cbc, role, status):
    _sample(cbc[0])
    client = logged_in(staff_of(role))

    assert client.get(WORKLIST).status_code == status
    assert client.get(_url(cbc[0])).status_code == status
    assert client.get(IMPORT).status_code == status


@pytest.mark.parametrize("role", [StaffRole.COLLECTOR, StaffRole.ANALYST])
def test_collectors_and_analysts_are_refused(cbc, role):
    item = _sample(cbc[0])
    client = logged_in(staff_of(role))

    assert client.get(WORKLIST).status_code == 403
    assert client.get(_url(cbc[0])).status_code == 403
    response = client.post(_url(cbc[0]), _post({(item, cbc[1][0]): "45.0"}))
    assert response.status_code == 403
    assert client.get(IMPORT).status_code == 403
    assert not ResultValue.objects.exists()


# --- The page -----------------------------------------------------------------------------------------------------


def test_the_index_lists_tests_with_samples_in_the_lab(cbc, tech):
    _sample(cbc[0])
    _sample(cbc[0])
    _sample(cbc[0], status=BookingItem.Status.PENDING)  # not in the lab

    response = logged_in(tech).get(WORKLIST)

    assert [(t["test__code"], t["samples"]) for t in response.context["tests"]] == [("HEM-CBC", 2)]


def test_the_worklist_shows_each_sample_with_units_and_its_species_ranges(cbc, tech):
    test, (hct, hgb, plt) = cbc
    dog, cat = _sample(test), _sample(test, species="cat")
    _sample(test, status=BookingItem.Status.COLLECTED)  # not received yet

    response = logged_in(tech).get(_url(test))

    rows = response.context["rows"]
    assert [row.item for row in rows] == [dog, cat]
    assert [cell.range for cell in rows[0].cells] == ["37.0–55.0", "12.0–18.0", "200–500"]
    assert [cell.range for cell in rows[1].cells] == ["30.0–45.0", "no range", "no range"]
    html = response.content.decode()
    assert "10^9/L" in html
    assert f'name="v-{dog.pk}-{hct.pk}"' in html
    assert 'data-critical-low="20.0000"' in html  # what worklist.js flags with


def test_saving_the_page_saves_every_row_in_one_go_with_server_side_flags(cbc, tech):
    test, (hct, hgb, plt) = cbc
    first, second = _sample(test), _sample(test, species="cat")
    client = logged_in(tech)
    values = {(first, hct): "45.0", (first, hgb): "11.9", (first, plt): "250", (second, hct): "50"}
    data = _post(values, **{f"c-{first.pk}-{hgb.pk}": "slightly haemolysed", f"m-{first.pk}": "impedance"})

    response = client.post(_url(test), data)

    assert response.status_code == 302
    saved = {(r.item_id, r.analyte.code): r for r in ResultValue.objects.select_related("analyte")}
    assert len(saved) == 4
    assert saved[(first.pk, "HCT")].flag == "normal"
    assert saved[(first.pk, "HGB")].flag == "low"
    assert saved[(first.pk, "HGB")].comment == "slightly haemolysed"
    assert saved[(first.pk, "PLT")].method == "impedance"
    assert saved[(second.pk, "HCT")].flag == "high"  # 50 % is high for a cat
    assert (saved[(second.pk, "HCT")].range_low, saved[(second.pk, "HCT")].range_high) == (30, 45)
    assert all(r.report_id is None and r.entered_by == tech for r in saved.values())
    assert saved[(first.pk, "HCT")].sampled_at == first.collected_at
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Saved 4 values."]


def test_a_bad_value_in_one_row_saves_nothing_and_says_which_sample_and_analyte(cbc, tech):
    test, (hct, hgb, plt) = cbc
    first, second = _sample(test), _sample(test)
    client = logged_in(tech)
    client.post(_url(test), _post({(first, hct): "40.0"}))
    before = list(ResultValue.objects.values_list("pk", "value", "updated_at"))

    response = client.post(
        _url(test),
        _post({(first, hct): "41.0", (first, hgb): "15.0", (second, hct): "4O.5", (second, plt): "250.5"}),
    )

    assert response.status_code == 200
    assert list(ResultValue.objects.values_list("pk", "value", "updated_at")) == before
    html = response.content.decode()
    assert f"{second.code} HCT: &#x27;4O.5&#x27; is not a number" in html
    assert f"{second.code} PLT: &#x27;250.5&#x27; has too many decimals (no decimal places)" in html
    cells = {(row.item.pk, cell.analyte.code): cell for row in response.context["rows"] for cell in row.cells}
    assert cells[(second.pk, "HCT")].error == "'4O.5' is not a number"
    assert cells[(first.pk, "HCT")].value == "41.0"  # what was typed is kept on the page
    assert cells[(first.pk, "HCT")].error == ""


def test_clearing_a_value_removes_its_draft_and_unchanged_values_keep_who_entered_them(cbc, tech, other_tech):
    test, (hct, hgb, _plt) = cbc
    item = _sample(test)
    results_save(entries=[ResultEntry(item.pk, hct.pk, "40.0"), ResultEntry(item.pk, hgb.pk, "15.0")], by=tech)

    response = logged_in(other_tech).post(_url(test), _post({(item, hct): "40.0", (item, hgb): ""}))

    assert response.status_code == 302
    (left,) = ResultValue.objects.all()
    assert (left.analyte, left.entered_by) == (hct, tech)


def test_the_page_costs_the_same_queries_for_one_sample_as_for_many(cbc, tech):
    test, _analytes = cbc
    client = logged_in(tech)
    _sample(test)
    client.get(_url(test))  # warm-up: session, permissions

    with CaptureQueriesContext(connection) as one:
        assert client.get(_url(test)).status_code == 200
    for index in range(30):
        _sample(test, species="cat" if index % 2 else "dog")
    items = list(BookingItem.objects.filter(test=test))
    results_save(entries=[ResultEntry(i.pk, a.pk, "100") for i in items[:10] for a in cbc[1][2:]], by=tech)
    with CaptureQueriesContext(connection) as many:
        response = client.get(_url(test))
    assert len(response.context["rows"]) == 31

    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 15


def test_saving_costs_the_same_statements_for_one_sample_as_for_many(cbc, tech):
    test, analytes = cbc
    few, many = [_sample(test)], [_sample(test) for _ in range(20)]

    def save(items) -> int:
        with CaptureQueriesContext(connection) as queries:
            results_save(entries=[ResultEntry(i.pk, a.pk, "100") for i in items for a in analytes[2:]], by=tech)
        return len(queries)

    assert save(few) == save(many)


# --- Critical values ----------------------------------------------------------------------------------------------


def test_a_critical_value_tells_the_clinic_admins_once(cbc, tech):
    test, (hct, hgb, _plt) = cbc
    item = _sample(test)
    admin = clinic_admin()

    results_save(entries=[ResultEntry(item.pk, hct.pk, "15.0"), ResultEntry(item.pk, hgb.pk, "15.0")], by=tech)
    results_save(entries=[ResultEntry(item.pk, hct.pk, "14.0")], by=tech)  # corrected, still critical

    (notification,) = Notification.objects.filter(user=admin)
    assert notification.title == f"Critical value: HCT critical low for {item.code}"
    assert "15 %" in notification.body
    assert not Notification.objects.exclude(user=admin).exists()  # not the customer, not the technician


# --- Submitting ---------------------------------------------------------------------------------------------------


def _enter(item, analytes, by, values=("45.0", "15.0", "250")):
    return results_save(entries=[ResultEntry(item.pk, a.pk, v) for a, v in zip(analytes, values, strict=True)], by=by)


def test_submitting_makes_a_generated_report_with_the_drafts_and_four_eyes_holds(cbc, tech, other_tech):
    test, analytes = cbc
    item = _sample(test)
    _enter(item, analytes, tech)

    report = results_submit(item=item, by=tech)

    assert (report.status, report.version, report.uploaded_by, report.report_file.name) == (R.GENERATED, 1, tech, "")
    assert set(report.results.values_list("analyte__code", flat=True)) == {"HCT", "HGB", "PLT"}
    assert not ResultValue.objects.filter(report__isnull=True).exists()
    item.refresh_from_db()
    assert item.status == BookingItem.Status.PROCESSING

    with pytest.raises(Conflict, match="other than its uploader"):
        report_verify(report=report, by=tech)
    assert report_verify(report=report, by=other_tech).status == R.VERIFIED


def test_the_verifier_may_not_be_someone_who_entered_a_value(cbc, tech, other_tech):
    test, analytes = cbc
    item = _sample(test)
    _enter(item, analytes, other_tech)
    results_save(entries=[ResultEntry(item.pk, analytes[0].pk, "46.0")], by=tech)

    report = results_submit(item=item, by=tech)

    with pytest.raises(Conflict, match="entered its results"):
        report_verify(report=report, by=other_tech)


def test_results_are_submitted_complete(cbc, tech):
    test, analytes = cbc
    item = _sample(test)

    with pytest.raises(Conflict, match="no results have been entered"):
        results_submit(item=item, by=tech)
    results_save(entries=[ResultEntry(item.pk, analytes[0].pk, "45.0")], by=tech)
    with pytest.raises(Conflict, match="no value yet for HGB, PLT"):
        results_submit(item=item, by=tech)
    assert not TestReport.objects.exists()


def test_submitting_again_before_verification_replaces_the_values_entered_again(cbc, tech):
    test, analytes = cbc
    item = _sample(test)
    _enter(item, analytes, tech)
    first = results_submit(item=item, by=tech)
    results_save(entries=[ResultEntry(item.pk, analytes[0].pk, "47.0")], by=tech)

    again = results_submit(item=item, by=tech)

    assert again.pk == first.pk
    assert sorted(again.results.values_list("analyte__code", "value")) == [
        ("HCT", Decimal("47.0")),
        ("HGB", Decimal("15.0")),
        ("PLT", Decimal("250")),
    ]


def test_an_amendment_is_a_new_version_with_new_drafts_and_the_rest_carried_over(cbc, tech, other_tech):
    test, analytes = cbc
    item = _sample(test)
    admin = clinic_admin()
    _enter(item, analytes, tech)
    first = results_submit(item=item, by=tech)
    report_deliver(report=report_verify(report=first, by=other_tech), by=admin)

    page = logged_in(tech).get(_url(test, item=item.pk))  # the sample's own page, after delivery
    assert page.context["rows"][0].amending
    results_save(entries=[ResultEntry(item.pk, analytes[1].pk, "16.0", comment="re-run")], by=tech)
    with pytest.raises(Exception, match="Say why"):
        results_submit(item=item, by=tech)
    amended = results_submit(item=item, by=tech, reason="HGB re-run after lipaemia")

    assert (amended.version, amended.supersedes, amended.status) == (2, first, R.GENERATED)
    assert sorted(amended.results.values_list("analyte__code", "value")) == [
        ("HCT", Decimal("45.0")),
        ("HGB", Decimal("16.0")),
        ("PLT", Decimal("250")),
    ]
    assert sorted(first.results.values_list("analyte__code", "value"))[1] == ("HGB", Decimal("15.0"))


def test_a_verified_report_takes_no_new_values(cbc, tech, other_tech):
    test, analytes = cbc
    item = _sample(test)
    _enter(item, analytes, tech)
    report_verify(report=results_submit(item=item, by=tech), by=other_tech)

    with pytest.raises(ResultsRefused, match="deliver it, then amend"):
        results_save(entries=[ResultEntry(item.pk, analytes[0].pk, "40.0")], by=tech)


def test_the_worklist_submits_ticked_rows_after_saving_them(cbc, tech):
    test, (hct, hgb, plt) = cbc
    ready, half = _sample(test), _sample(test)
    values = {(ready, hct): "45.0", (ready, hgb): "15.0", (ready, plt): "250", (half, hct): "40.0"}

    response = logged_in(tech).post(_url(test), _post(values, **{f"s-{ready.pk}": "on"}))

    assert response.status_code == 302
    report = TestReport.objects.get()
    assert (report.booking_item, report.results.count()) == (ready, 3)
    assert ResultValue.objects.filter(item=half, report__isnull=True).count() == 1

    response = logged_in(tech).post(_url(test), _post({(half, hct): "40.0"}, **{f"s-{half.pk}": "on"}))
    assert response.status_code == 200
    assert "no value yet for HGB, PLT" in response.content.decode()
    assert TestReport.objects.count() == 1


# --- The analyser import ------------------------------------------------------------------------------------------


def _upload(client, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return client.post(IMPORT, {"file": SimpleUploadedFile("export.csv", data, content_type="text/csv")})


def test_an_analyser_export_is_previewed_then_imported(cbc, tech):
    test, _analytes = cbc
    first, second = _sample(test), _sample(test)
    client = logged_in(tech)
    export = (
        "Sample,Analyte,Value,Unit\n"
        f"{first.code},HCT,45.2,%\n{first.code.lower()},hgb,15.1,\n{second.code},PLT,612,10^9/L\n\n"
    )

    preview = _upload(client, export)

    assert preview.status_code == 200
    assert preview.context["preview"].ok
    assert not ResultValue.objects.exists()
    response = client.post(IMPORT, {"token": preview.context["token"], "confirm": "Confirm import"})

    assert response.status_code == 302
    saved = sorted(ResultValue.objects.values_list("item__code", "analyte__code", "value", "flag"))
    assert saved == [
        (first.code, "HCT", Decimal("45.2"), "normal"),
        (first.code, "HGB", Decimal("15.1"), "normal"),
        (second.code, "PLT", Decimal("612"), "high"),
    ]
    # The token is spent: confirming twice imports nothing more.
    again = client.post(IMPORT, {"token": preview.context["token"], "confirm": "Confirm import"})
    assert again.status_code == 302
    assert ResultValue.objects.count() == 3


def test_each_bad_line_of_an_export_says_why_and_nothing_can_be_imported(cbc, tech):
    test, _analytes = cbc
    item, pending = _sample(test), _sample(test, status=BookingItem.Status.PENDING)
    export = (
        "sample,analyte,value,unit\n"
        f"{item.code},HCT,45.2,%\n"
        "DP-NOPE00-01,HCT,45,\n"
        f"{item.code},ALT,45,\n"
        f"{item.code},HGB,high,\n"
        f"{pending.code},HCT,40,\n"
        f"{item.code},PLT,250,cells/uL\n"
        f"{item.code},HCT,45.3,\n"
    )

    response = _upload(logged_in(tech), export)

    problems = [(line.number, line.error) for line in response.context["preview"].problems]
    assert problems == [
        (3, "unknown sample 'DP-NOPE00-01'"),
        (4, "HEM-CBC has no analyte 'ALT'"),
        (5, "value 'high' is not a number"),
        (6, "not in the lab: the sample is pending, not in the lab"),
        (7, "unit 'cells/uL', but PLT is entered in '10^9/L'"),
        (8, f"{item.code} HCT is already on line 2"),
    ]
    assert "token" not in response.context
    assert 'name="confirm"' not in response.content.decode()


def test_an_export_too_large_or_not_utf8_is_refused(cbc, tech, monkeypatch):
    client = logged_in(tech)

    response = _upload(client, "sample,analyte,value\nDP-ÄÖ,HCT,1\n".encode("latin-1"))
    assert "not UTF-8" in response.context["preview"].error

    response = _upload(client, b"sample,analyte,value\n" + b"x" * (1024 * 1024))
    assert "larger than 1 MB" in response.content.decode()

    response = _upload(client, "code,result\nx,1\n")
    assert "missing the columns sample, analyte, value" in response.context["preview"].error


def test_the_sample_page_links_to_its_results_and_the_action_submits_them(cbc, tech):
    test, analytes = cbc
    item = _sample(test)
    _enter(item, analytes, tech)
    client = logged_in(tech)

    page = client.get(reverse("admin:bookings_bookingitem_change", args=[item.pk]))
    assert f"?test={test.pk}&amp;item={item.pk}" in page.content.decode()

    response = client.post(
        reverse("admin:bookings_bookingitem_changelist"),
        {"action": "submit_results", "_selected_action": [item.pk]},
        follow=True,
    )

    assert f"Submitted for verification: {item}" in response.content.decode()
    assert TestReport.objects.get(booking_item=item).results.count() == 3


def test_an_export_with_a_cell_larger_than_csv_reads_is_refused_not_a_server_error(cbc, tech):
    # An unclosed quote runs to the end of the file: one cell larger than the csv module's field limit.
    export = b'sample,analyte,value\n"' + b"A" * 200_000 + b"\n"

    response = _upload(logged_in(tech), export)

    assert response.status_code == 200
    assert "not a CSV file the import can read" in response.context["preview"].error
    assert "token" not in response.context


def test_an_export_with_nul_characters_is_refused_before_any_query(cbc, tech):
    # PostgreSQL refuses NUL in a text parameter: the sample codes must never reach the database with one.
    item = _sample(cbc[0])

    response = _upload(logged_in(tech), f"sample,analyte,value\n{item.code}\x00,HCT,45.2\n")

    assert response.status_code == 200
    assert "NUL" in response.context["preview"].error
    assert not ResultValue.objects.exists()


@pytest.mark.parametrize("query", ["test=%C2%B2", "test={test}&item=%C2%B2"])
def test_a_worklist_id_that_is_a_digit_but_no_number_shows_the_index_not_a_server_error(cbc, tech, query):
    # "²" is a digit to str.isdigit() but not a number to int().
    _sample(cbc[0])

    response = logged_in(tech).get(f"{WORKLIST}?{query.format(test=cbc[0].pk)}")

    assert response.status_code == 200
    assert "tests" in response.context
