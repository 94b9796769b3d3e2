"""The backup and restore drill (README "Backup and restore"): scripts/backup, scripts/verify_backup and
scripts/restore run as an operator runs them, from the test database (with committed rows and files) into scratch
PostgreSQL databases (``<database>_<random>``, dropped after each test) and scratch media folders.

A restore target is made non-empty with one small table rather than a second restore: the scripts treat any object
in schema public alike, and each test stays within a few seconds.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from accounts.anonymisations import anonymisation_log_read
from accounts.tests.factories import UserFactory
from bookings.models import PrescriptionUpload
from bookings.services.operations import user_anonymize
from bookings.tests.factories import PrescriptionUploadFactory, TestReportFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)


def database_url(name: str) -> str:
    server = connection.settings_dict
    auth = quote(server["USER"] or "", safe="")
    if server["PASSWORD"]:
        auth += ":" + quote(server["PASSWORD"], safe="")
    return f"postgres://{auth}@{server['HOST'] or '127.0.0.1'}:{server['PORT'] or 5432}/{name}"


def query(name: str, sql: str, *params):
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        cursor = conn.execute(sql, params or None)
        return cursor.fetchall() if cursor.description else None


@pytest.fixture
def scratch_database():
    """A function that creates an empty database named ``<test database without test_>_<random>``; all of them are
    dropped after the test."""
    created = []
    base = connection.settings_dict["NAME"].removeprefix("test_")

    def create() -> str:
        name = f"{base}_{uuid.uuid4().hex[:10]}"
        query("postgres", f'CREATE DATABASE "{name}"')
        created.append(name)
        return name

    yield create
    for name in created:
        query("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def ops(tmp_path):
    """Runs scripts/* and manage.py as an operator would: ``ops("backup", dest, database=..., media=...)``."""
    # A server's anonymisation log exists from its first day (README "Backup and restore"), empty until used.
    log = Path(settings.ANONYMISATION_LOG)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()

    def run(script: str, *args, database: str, media: Path, **extra) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(database),
            "MEDIA_ROOT": str(media),
            "PYTHON": sys.executable,
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "0",
            "ANONYMISATION_LOG": str(settings.ANONYMISATION_LOG),
            "PRE_RESTORE_DIR": str(tmp_path / "pre-restore"),
            "CACHE_URL": f"filecache://{tmp_path / 'cache'}",
            **extra,
        }
        command = [sys.executable, "manage.py", *args] if script == "manage.py" else [f"scripts/{script}", *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603

    return run


@pytest.fixture
def source():
    """The test database with committed rows: a delivered report with its PDF and a customer's prescription."""
    report = TestReportFactory(report_file=ContentFile(b"%PDF-1.4\n% report\n", name="report.pdf"))
    prescription = PrescriptionUploadFactory(booking=report.booking)
    return {
        "database": connection.settings_dict["NAME"],
        "media": Path(settings.MEDIA_ROOT),
        "report": report,
        "prescription": prescription,
    }


def backup(ops, source, dest: Path) -> Path:
    result = ops("backup", str(dest), database=source["database"], media=source["media"])
    assert result.returncode == 0, result.stderr
    return dest


def matches(ops, database: str, media: Path, manifest: Path) -> subprocess.CompletedProcess:
    """manage.py backup_manifest --compare: every table's rows and checksum, every file's sha256."""
    return ops("manage.py", "backup_manifest", "--media-dir", str(media), "--compare", str(manifest),
               database=database, media=media)  # fmt: skip


def small_world(database: str, media: Path) -> None:
    """A non-empty restore target: a table that is not in any backup, and a file."""
    query(database, "CREATE TABLE stray_table (x int); INSERT INTO stray_table VALUES (1), (2)")
    media.mkdir(parents=True, exist_ok=True)
    (media / "stray.txt").write_text("not in the backup")


def test_round_trip_restores_every_row_and_file_and_empties_the_cache(ops, source, scratch_database, tmp_path):
    dest = backup(ops, source, tmp_path / "backup")

    assert sorted(p.name for p in dest.iterdir()) == ["SHA256SUMS", "database.dump", "manifest.json", "media.tar.gz"]
    assert dest.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in dest.iterdir()} == {0o600}
    verified = ops("verify_backup", str(dest), database=source["database"], media=source["media"])
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stdout

    target, target_media = scratch_database(), tmp_path / "target-media"
    stale = FileBasedCache(str(tmp_path / "cache"), {})
    stale.set("public:catalog:price", "the price before the restore", 300)
    restored = ops("restore", str(dest), database=target, media=target_media)

    assert restored.returncode == 0, restored.stderr
    compared = matches(ops, target, target_media, dest / "manifest.json")
    assert compared.returncode == 0, compared.stderr
    assert (target_media / source["report"].report_file.name).read_bytes() == b"%PDF-1.4\n% report\n"
    assert (target_media / source["prescription"].file.name).is_file()
    assert not [p for p in target_media.iterdir() if p.name.startswith(".restore-")]
    assert stale.get("public:catalog:price") is None


def test_restore_into_a_non_empty_database_refuses_without_force(ops, source, scratch_database, tmp_path):
    dest = backup(ops, source, tmp_path / "backup")
    target, target_media = scratch_database(), tmp_path / "target-media"
    small_world(target, target_media)

    refused = ops("restore", str(dest), database=target, media=target_media)

    assert refused.returncode == 2
    assert "is not empty" in refused.stderr
    assert "--force" in refused.stderr
    assert query(target, "SELECT count(*) FROM stray_table") == [(2,)]
    assert sorted(p.name for p in target_media.iterdir()) == ["stray.txt"]
    assert not (tmp_path / "pre-restore").exists()


def test_forced_restore_keeps_a_pre_restore_dump_and_ends_equal_to_the_backup(ops, source, scratch_database, tmp_path):
    dest = backup(ops, source, tmp_path / "backup")
    target, target_media = scratch_database(), tmp_path / "target-media"
    small_world(target, target_media)

    restored = ops("restore", "--force", str(dest), database=target, media=target_media)

    assert restored.returncode == 0, restored.stderr
    [kept] = (tmp_path / "pre-restore").iterdir()
    assert str(kept) in restored.stdout
    listing = subprocess.run(["pg_restore", "-l", str(kept)], capture_output=True, text=True, check=True)  # noqa: S603, S607
    assert "stray_table" in listing.stdout
    assert query(target, "SELECT to_regclass('public.stray_table')") == [(None,)]
    compared = matches(ops, target, target_media, dest / "manifest.json")
    assert compared.returncode == 0, compared.stderr
    # The media folder's previous contents are kept aside, inside it (the same filesystem), out of the media.
    [aside] = [p for p in target_media.iterdir() if p.name.startswith(".restore-")]
    assert (aside / "previous" / "stray.txt").read_text() == "not in the backup"
    assert not (target_media / "stray.txt").exists()


def test_a_failed_media_swap_leaves_database_and_media_as_before(ops, source, scratch_database, tmp_path):
    dest = backup(ops, source, tmp_path / "backup")
    target, target_media = scratch_database(), tmp_path / "target-media"
    small_world(target, target_media)
    before = tmp_path / "before.json"
    taken = ops("manage.py", "backup_manifest", "--media-dir", str(target_media), "--output", str(before),
                database=target, media=target_media)  # fmt: skip
    assert taken.returncode == 0, taken.stderr

    failed = ops("restore", "--force", str(dest), database=target, media=target_media, RESTORE_FAIL_AFTER_DB="1")

    assert failed.returncode == 1
    assert "rolled back" in failed.stderr
    compared = matches(ops, target, target_media, before)
    assert compared.returncode == 0, compared.stderr
    assert sorted(p.name for p in target_media.iterdir()) == ["stray.txt"]


def test_a_backup_missing_a_named_file_fails_loudly(ops, source, tmp_path):
    missing = source["prescription"].file.name
    (source["media"] / missing).unlink()
    dest = tmp_path / "backup"

    result = ops("backup", str(dest), database=source["database"], media=source["media"])

    assert result.returncode != 0
    assert "1 file(s) named by the database are not in" in result.stderr
    assert missing in result.stderr
    assert "FAILED" in result.stderr
    assert not dest.exists()

    mistyped = ops("backup", str(dest), database=source["database"], media=tmp_path / "no-such-media")
    assert mistyped.returncode != 0
    assert "2 file(s) named by the database are not in" in mistyped.stderr
    assert not dest.exists()


def test_restoring_an_older_backup_reapplies_later_anonymisations(ops, source, scratch_database, tmp_path):
    customer = source["prescription"].user
    dest = backup(ops, source, tmp_path / "backup")
    assert user_anonymize(user=customer)  # after the backup: logged in ANONYMISATION_LOG
    target, target_media = scratch_database(), tmp_path / "target-media"

    restored = ops("restore", str(dest), database=target, media=target_media)

    assert restored.returncode == 0, restored.stderr
    assert f"user {customer.pk} anonymised again" in restored.stdout
    assert query(
        target, "SELECT full_name, anonymized_at IS NOT NULL FROM accounts_user WHERE id = %s", customer.pk
    ) == [("Anonymised customer", True)]
    assert query(target, "SELECT count(*) FROM bookings_prescriptionupload WHERE user_id = %s", customer.pk) == [(0,)]
    assert not (target_media / source["prescription"].file.name).exists()
    assert (target_media / source["report"].report_file.name).is_file()


def test_anonymisations_reapply_is_idempotent_and_skips_an_id_given_to_another_account(tmp_path):
    customer, other = UserFactory(), UserFactory()
    assert user_anonymize(user=customer)
    [entry] = anonymisation_log_read(Path(settings.ANONYMISATION_LOG))
    assert entry["user_id"] == customer.pk
    # The database rolled back to before the anonymisation (as a restore does).
    get_user_model().objects.filter(pk=customer.pk).update(
        anonymized_at=None, full_name="Back again", phone="+917600000999", is_active=True
    )
    # An entry for an id that belongs to another account here (ids are handed out again after a restore).
    log = Path(settings.ANONYMISATION_LOG)
    log.write_text(log.read_text() + log.read_text().replace(f'"user_id": {customer.pk}', f'"user_id": {other.pk}'))

    call_command("anonymisations_reapply", since=entry["anonymised_at"].isoformat())
    call_command("anonymisations_reapply")

    customer.refresh_from_db()
    other.refresh_from_db()
    assert customer.anonymized_at is not None
    assert customer.full_name == "Anonymised customer"
    assert other.anonymized_at is None
    assert other.is_active
    assert len(anonymisation_log_read(log)) == 2  # re-applying logs nothing new


def test_an_anonymisation_that_cannot_be_logged_changes_nothing(settings, tmp_path):
    prescription = PrescriptionUploadFactory()
    (tmp_path / "a-file").write_text("")
    settings.ANONYMISATION_LOG = tmp_path / "a-file" / "var" / "anonymisations.jsonl"  # under a file

    with pytest.raises(NotADirectoryError):
        user_anonymize(user=prescription.user)

    prescription.user.refresh_from_db()
    assert prescription.user.anonymized_at is None
    assert PrescriptionUpload.objects.filter(pk=prescription.pk).exists()
    assert Path(prescription.file.path).is_file()


def test_cache_clear_empties_the_default_cache():
    cache.set("public:catalog:price", "stale", 300)

    call_command("cache_clear")

    assert cache.get("public:catalog:price") is None


def test_a_restore_without_the_anonymisation_log_is_refused_and_rolled_back(ops, source, scratch_database, tmp_path):
    dest = backup(ops, source, tmp_path / "backup")
    Path(settings.ANONYMISATION_LOG).unlink()
    target, target_media = scratch_database(), tmp_path / "target-media"

    refused = ops("restore", str(dest), database=target, media=target_media)
    allowed = ops("restore", str(dest), database=target, media=target_media, ANONYMISATION_LOG_MAY_BE_MISSING="1")

    assert refused.returncode == 1
    assert "No anonymisation log" in refused.stderr
    assert "rolled back" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
