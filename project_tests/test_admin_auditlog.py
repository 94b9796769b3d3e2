"""The audit trail's own pages: django-auditlog's LogEntry admin, searchable with our user model (phone login,
full name, email; no first or last name)."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.tests.factories import StaffUserFactory
from diagnopet import admin_base
from promotions.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

LOG = reverse("admin:auditlog_logentry_changelist")


@pytest.fixture
def entries():
    """An offer created by one staff user and another by someone else: one log entry each."""
    author, other = StaffUserFactory(full_name="Asha Rao"), StaffUserFactory(full_name="Bilal Khan")
    with set_actor(author):
        mine = OfferFactory()
    with set_actor(other):
        OfferFactory()
    return {"author": author, "entry": LogEntry.objects.get_for_object(mine).get()}


def test_search_of_any_text_answers(admin_client, entries):
    response = admin_client.get(LOG, {"q": "a"})

    assert response.status_code == 200


@pytest.mark.parametrize("query", ["phone", "full_name", "email"])
def test_search_finds_entries_by_their_actor(admin_client, entries, query):
    author = entries["author"]

    response = admin_client.get(LOG, {"q": getattr(author, query)})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [entries["entry"]]


def test_search_finds_entries_by_object(admin_client, entries):
    response = admin_client.get(LOG, {"q": entries["entry"].object_repr})

    assert response.status_code == 200
    assert entries["entry"] in response.context["cl"].result_list


@pytest.fixture
def few_listed(monkeypatch):
    """Searches match "many" rows from two on: the path of a staff user's 125,000 entries (diagnopet.admin_base)."""
    monkeypatch.setattr(admin_base, "SEARCH_MATCHES_LISTED", 1)


@pytest.mark.parametrize("query", ["phone", "full_name"])
def test_search_matching_many_entries_finds_them_by_their_actor(admin_client, entries, few_listed, query):
    author = entries["author"]
    with set_actor(author):
        second = LogEntry.objects.get_for_object(OfferFactory()).get()

    response = admin_client.get(LOG, {"q": getattr(author, query)})

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {entries["entry"], second}


def test_search_matching_many_entries_by_their_object_keeps_the_others_out(admin_client, entries, few_listed):
    offer = OfferFactory(name="Seaside checkup")
    offer.name = "Seaside checkup, renamed"
    offer.save()  # a second entry of the same object, whose name still contains the first

    response = admin_client.get(LOG, {"q": "Seaside checkup"})

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == set(LogEntry.objects.get_for_object(offer))
    assert len(response.context["cl"].result_list) == 2
