"""The audit trail's own pages: django-auditlog's LogEntry admin, searchable with our user model (phone login,
full name, email; no first or last name)."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.urls import reverse

from accounts.tests.factories import StaffUserFactory
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
