"""The reference cache never serves rows older than a committed change (diagnopet.reference_cache)."""

import pytest

from diagnopet.reference_cache import reference_get, reference_invalidate, reference_key

KEY = reference_key("test-rows")


@pytest.mark.django_db(transaction=True)
def test_an_entry_is_served_until_its_rows_change():
    assert reference_get(KEY, lambda: "first") == "first"
    assert reference_get(KEY, lambda: "not read") == "first"

    reference_invalidate(KEY)

    assert reference_get(KEY, lambda: "second") == "second"


@pytest.mark.django_db(transaction=True)
def test_rows_loaded_before_a_commit_and_stored_after_it_are_not_served():
    def load_while_a_writer_commits():
        reference_invalidate(KEY)  # another request's change commits while this one is reading the old rows
        return "old"

    assert reference_get(KEY, load_while_a_writer_commits) == "old"  # this request still answers what it read

    assert reference_get(KEY, lambda: "new") == "new"  # but nobody after it is served the old rows


@pytest.mark.django_db
def test_inside_the_changing_transaction_the_rows_are_read_from_the_database():
    assert reference_get(KEY, lambda: "committed") == "committed"

    reference_invalidate(KEY)  # inside the test's transaction: the commit has not happened

    assert reference_get(KEY, lambda: "uncommitted") == "uncommitted"
