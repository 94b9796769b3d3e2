"""The run-time system settings: one admin page with validation, the audit trail, and one cached accessor that
every worker reads again after a change."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnopet.models import SystemSettings
from diagnopet.system_settings import system_settings
from diagnopet.tests.system_settings_factories import SystemSettingsFactory, system_settings_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser(phone="+919800000777", password=None))
    return client


def test_without_a_row_the_environment_applies(settings):
    settings.BOOKING_MAX_OPEN_PER_CUSTOMER_PER_DAY = 7
    settings.HOME_VISIT_PREPAYMENT_REQUIRED = True

    values = system_settings()

    assert values.booking_max_open_per_customer_per_day == 7
    assert values.home_visit_prepayment_required is True
    assert values.cancellation_cutoff_hours == 2
    assert values.channel_enabled("sms")


def test_the_first_row_starts_from_the_environment(settings, superuser_client):
    settings.PREPAYMENT_HOLD_MINUTES = 45

    page = superuser_client.get(reverse("admin:diagnopet_systemsettings_add"))

    assert page.status_code == 200
    assert page.context["adminform"].form["prepayment_hold_minutes"].value() == 45


def test_the_admin_page_validates_and_every_change_is_audited(superuser_client):
    add = reverse("admin:diagnopet_systemsettings_add")
    bad = superuser_client.post(
        add, system_settings_form(prepayment_hold_minutes=2, booking_max_open_per_pet_per_day=9)
    )
    assert bad.status_code == 200
    errors = bad.context["adminform"].form.errors
    assert set(errors) == {"prepayment_hold_minutes", "booking_max_open_per_pet_per_day"}

    assert superuser_client.post(add, system_settings_form(cancellation_cutoff_hours=6)).status_code == 302
    row = SystemSettings.objects.get()
    change = reverse("admin:diagnopet_systemsettings_change", args=[row.pk])
    response = superuser_client.post(change, system_settings_form(row, cancellation_cutoff_hours=12, sms_enabled=False))
    assert response.status_code == 302

    entry = LogEntry.objects.get_for_object(row).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes_dict["cancellation_cutoff_hours"] == ["6", "12"]
    assert entry.changes_dict["sms_enabled"] == ["True", "False"]
    assert superuser_client.get(reverse("admin:diagnopet_systemsettings_add")).status_code == 403  # one row
    assert superuser_client.get(reverse("admin:diagnopet_systemsettings_changelist")).url == change
    assert superuser_client.post(reverse("admin:diagnopet_systemsettings_delete", args=[row.pk])).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_change_reaches_every_worker_on_its_next_read(django_assert_num_queries):
    """Each worker holds nothing of its own: what one process caches, another reads from the shared cache, and a
    committed change replaces the token every reader checks. Here the local cache backend stands for Redis; a
    second worker is a read after the process's own state is gone (nothing but the cache is kept)."""
    row = SystemSettingsFactory(cancellation_cutoff_hours=4)
    assert system_settings().cancellation_cutoff_hours == 4  # loaded and stored in the shared cache
    with django_assert_num_queries(0):
        assert system_settings().cancellation_cutoff_hours == 4  # another request: the cache only

    row.cancellation_cutoff_hours = 24
    row.save()  # committed (autocommit): the token is replaced

    with django_assert_num_queries(1):
        assert system_settings().cancellation_cutoff_hours == 24
    with django_assert_num_queries(0):
        assert system_settings().cancellation_cutoff_hours == 24
    cache.clear()  # a cache that lost everything (an eviction, a restart): read from the database again
    with CaptureQueriesContext(connection) as queries:
        assert system_settings().cancellation_cutoff_hours == 24
    assert len(queries) == 1
