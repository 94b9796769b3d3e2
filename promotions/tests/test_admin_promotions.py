"""Promotions in the back-office: bulk coupon generation (service and Offer action), usage counts, audit history."""

import csv
import datetime
import io
import zoneinfo

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import StaffRole
from accounts.roles import roles_setup, staff_set_role
from accounts.tests.factories import StaffProfileFactory
from diagnopet.errors import ValidationFailed
from promotions.models import Coupon
from promotions.services import CODE_ALPHABET, coupons_generate
from promotions.tests.factories import CouponFactory, OfferFactory

pytestmark = pytest.mark.django_db

OFFERS = reverse("admin:promotions_offer_changelist")


def staff_client(role: str) -> Client:
    roles_setup()
    user = StaffProfileFactory(role=role).user
    staff_set_role(user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


class TestCouponsGenerate:
    def test_codes_are_random_unique_and_valid_for_the_offer_days(self, admin_user):
        offer = OfferFactory(start_date=datetime.date(2026, 10, 20), end_date=datetime.date(2026, 11, 5))

        coupons = coupons_generate(offer=offer, count=50, prefix="diwali-", by=admin_user)

        assert len(coupons) == 50 == Coupon.objects.filter(offer=offer).count()
        codes = [c.code for c in coupons]
        assert len({code.upper() for code in codes}) == 50
        for code in codes:
            assert code.startswith("DIWALI-")
            assert set(code.removeprefix("DIWALI-")) <= set(CODE_ALPHABET)
        stored = Coupon.objects.filter(offer=offer).first()
        clinic = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        assert stored.start_at == datetime.datetime(2026, 10, 20, tzinfo=clinic)
        assert stored.end_at.astimezone(clinic).date() == datetime.date(2026, 11, 5)
        assert stored.end_at.astimezone(clinic).time() >= datetime.time(23, 59, 59)
        assert (stored.max_uses, stored.max_uses_per_user, stored.current_uses) == (1, 1, 0)
        assert stored.created_by == admin_user

    def test_explicit_window_and_uses(self):
        offer = OfferFactory()
        start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        end = datetime.datetime(2026, 1, 31, tzinfo=datetime.UTC)

        (coupon,) = coupons_generate(offer=offer, count=1, max_uses=5, start_at=start, end_at=end)

        coupon.refresh_from_db()
        assert (coupon.start_at, coupon.end_at, coupon.max_uses) == (start, end, 5)

    def test_codes_never_clash_with_existing_ones_regardless_of_case(self):
        offer = OfferFactory()
        first = coupons_generate(offer=offer, count=200, prefix="X")
        second = coupons_generate(offer=offer, count=200, prefix="x")

        all_codes = [c.code.upper() for c in first + second]
        assert len(set(all_codes)) == 400 == Coupon.objects.count()

    def test_a_drawn_code_that_exists_in_another_case_is_drawn_again(self, monkeypatch):
        CouponFactory(code="taken01")
        draws = iter(["TAKEN01", "FRESH01", "FRESH01", "FRESH02"])  # a clash with a stored code, then a repeat
        monkeypatch.setattr("promotions.services._random_code", lambda prefix: next(draws))

        coupons = coupons_generate(offer=OfferFactory(), count=2)

        assert sorted(c.code for c in coupons) == ["FRESH01", "FRESH02"]
        assert Coupon.objects.count() == 3

    @pytest.mark.parametrize("count", [0, -1, 1001])
    def test_count_bounds(self, count):
        with pytest.raises(ValidationFailed) as err:
            coupons_generate(offer=OfferFactory(), count=count)
        assert err.value.code == "invalid_count"
        assert not Coupon.objects.exists()

    def test_upper_bound_is_allowed(self):
        assert len(coupons_generate(offer=OfferFactory(), count=1000)) == 1000

    @pytest.mark.parametrize(
        ("kwargs", "code"), [({"prefix": "bad prefix"}, "invalid_prefix"), ({"max_uses": 0}, "invalid_max_uses")]
    )
    def test_bad_input_writes_nothing(self, kwargs, code):
        with pytest.raises(ValidationFailed) as err:
            coupons_generate(offer=OfferFactory(), count=5, **kwargs)
        assert err.value.code == code
        assert not Coupon.objects.exists()

    def test_one_insert_in_one_transaction(self):
        offer = OfferFactory()

        with CaptureQueriesContext(connection) as queries:
            coupons_generate(offer=offer, count=300)

        sql = [q["sql"] for q in queries.captured_queries]
        inserts = [s for s in sql if s.startswith("INSERT")]
        assert len(inserts) == 1  # all codes in one bulk insert
        assert sql[0].startswith("SAVEPOINT")  # inside the test's transaction, the service opens its own block
        assert Coupon.objects.filter(offer=offer).count() == 300


def _generate(client, offer, **extra):
    data = {"action": "generate_coupons", admin.helpers.ACTION_CHECKBOX_NAME: [offer.pk], **extra}
    return client.post(OFFERS, data)


class TestGenerateAction:
    def test_form_then_csv_of_the_new_codes(self, admin_client, admin_user):
        offer = OfferFactory()

        page = _generate(admin_client, offer)
        assert page.status_code == 200
        assert page.context["offer"] == offer
        html = page.content.decode()
        assert f"New codes for <strong>{offer}</strong>" in html
        assert 'name="apply" value="Generate"' in html
        assert f'name="_selected_action" value="{offer.pk}"' in html
        assert 'name="action" value="generate_coupons"' in html
        response = _generate(admin_client, offer, apply="Generate", count="25", prefix="PET-", max_uses="1")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert len(rows) == 25
        assert {row["Code"] for row in rows} == set(Coupon.objects.filter(offer=offer).values_list("code", flat=True))
        assert all(row["Code"].startswith("PET-") and row["Max uses"] == "1" for row in rows)
        assert set(Coupon.objects.values_list("created_by", flat=True)) == {admin_user.pk}

    def test_csv_keeps_an_offer_name_that_looks_like_a_formula_as_text(self, admin_client):
        # The offer's name is staff's free text: a spreadsheet opening the CSV must not run it.
        offer = OfferFactory(name='=HYPERLINK("http://evil.example","Click")')

        response = _generate(admin_client, offer, apply="Generate", count="2", prefix="", max_uses="1")

        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [row["Offer"] for row in rows] == ["'" + offer.name] * 2

    def test_invalid_form_writes_nothing(self, admin_client):
        offer = OfferFactory()

        response = _generate(admin_client, offer, apply="Generate", count="1001", prefix="", max_uses="1")
        assert response.status_code == 200
        assert response.context["form"].errors["count"]
        response = _generate(admin_client, offer, apply="Generate", count="3", prefix="no spaces", max_uses="1")
        assert "letters, digits and dashes" in str(response.context["form"].errors["prefix"])
        assert not Coupon.objects.exists()

    def test_one_offer_at_a_time(self, admin_client):
        offers = [OfferFactory(), OfferFactory()]
        data = {"action": "generate_coupons", admin.helpers.ACTION_CHECKBOX_NAME: [o.pk for o in offers]}

        response = admin_client.post(OFFERS, data)

        assert response.status_code == 302
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert "Select exactly one offer to generate codes for." in messages

    def test_analyst_may_not_generate(self):
        client = staff_client(StaffRole.ANALYST)
        offer = OfferFactory()

        action_form = client.get(OFFERS).context["action_form"]
        assert action_form is None or "generate_coupons" not in dict(action_form.fields["action"].choices)
        _generate(client, offer, apply="Generate", count="5", prefix="", max_uses="1")
        assert not Coupon.objects.exists()


def test_offer_list_shows_coupon_counts_and_uses_without_a_query_per_row(admin_client):
    def make(n):
        for _ in range(n):
            offer = OfferFactory()
            CouponFactory(offer=offer, current_uses=2)
            CouponFactory(offer=offer, current_uses=3)

    make(2)
    admin_client.get(OFFERS)
    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(OFFERS)
    assert {(o.coupon_count, o.coupon_uses) for o in response.context["cl"].result_list} == {(2, 5)}
    make(20)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(OFFERS)
    assert response.context["cl"].result_count == 22
    assert len(many) == len(few)


def test_changing_a_coupon_in_the_admin_is_in_its_audit_history(admin_client, admin_user):
    coupon = CouponFactory(max_uses=10)
    url = reverse("admin:promotions_coupon_change", args=[coupon.pk])
    data = {
        "code": coupon.code,
        "offer": coupon.offer.pk,
        "start_at_0": coupon.start_at.date().isoformat(),
        "start_at_1": "00:00:00",
        "end_at_0": coupon.end_at.date().isoformat(),
        "end_at_1": "23:00:00",
        "is_active": "on",
        "max_uses": "25",
        "max_uses_per_user": "1",
        "_save": "Save",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = LogEntry.objects.get_for_object(coupon).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == admin_user
    assert entry.changes_dict["max_uses"] == ["10", "25"]
    history = admin_client.get(reverse("admin:promotions_coupon_auditlog", args=[coupon.pk]))
    assert history.status_code == 200
    assert entry in list(history.context["log_entries"])
    assert str(admin_user) in history.content.decode()
    assert "25" in history.content.decode()


def test_offer_audit_history_page(admin_client):
    offer = OfferFactory()

    response = admin_client.get(reverse("admin:promotions_offer_auditlog", args=[offer.pk]))

    assert response.status_code == 200
