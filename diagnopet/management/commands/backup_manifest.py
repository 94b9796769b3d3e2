"""What a backup holds, so that it can be checked: row count and checksum of every table, the files the database
names (every FileField of every model) and every media file's sha256.

scripts/backup runs it in pg_dump's snapshot (``--snapshot``) against the media archive it just wrote: the manifest
then describes the dump exactly, and a file the dump names but the archive lacks fails the backup.
scripts/verify_backup and scripts/restore run it with ``--compare`` against a restored scratch database or staged
media folder. Exit status 1 on any missing file or difference, with the reason on stderr.
"""

import hashlib
import json
import os
import re
import tarfile
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

# Folders scripts/restore keeps inside MEDIA_ROOT (staged and replaced contents): never part of the media.
RESTORE_FOLDER_PREFIX = ".restore-"
SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")
# Row text must not depend on the session: the same rows give the same checksum on any server and connection.
ROW_TEXT_SETTINGS = (
    "SET LOCAL TimeZone TO 'UTC'",
    "SET LOCAL DateStyle TO 'ISO, YMD'",
    "SET LOCAL IntervalStyle TO 'postgres'",
    "SET LOCAL extra_float_digits TO 3",
    "SET LOCAL bytea_output TO 'hex'",
)
MAX_LISTED = 20
ROW_SUM = "coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint), 0)::text"


def _sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def archive_files(path: Path) -> dict[str, str]:
    """name → sha256 of every regular file in a tar.gz written by scripts/backup (names relative to MEDIA_ROOT)."""
    files = {}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.isfile():
                name = str(PurePosixPath(os.path.normpath(member.name)))
                files[name] = _sha256(archive.extractfile(member))
    return files


def folder_files(root: Path) -> dict[str, str]:
    """name → sha256 of every regular file under ``root`` (names relative to it), restore folders left out."""
    files = {}
    for folder, subfolders, names in os.walk(root):
        if Path(folder) == root:
            subfolders[:] = [name for name in subfolders if not name.startswith(RESTORE_FOLDER_PREFIX)]
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                with path.open("rb") as stream:
                    files[path.relative_to(root).as_posix()] = _sha256(stream)
    return files


def referenced_files() -> list[str]:
    """The name in every FileField (ImageField included) of every model's rows."""
    names = set()
    tables = set(connection.introspection.table_names())  # a database of another schema (a scratch target) has none
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed or model._meta.db_table not in tables:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                rows = model._base_manager.exclude(**{f"{field.attname}__isnull": True}).exclude(**{field.attname: ""})
                names.update(rows.values_list(field.attname, flat=True))
    return sorted(names)


def table_checksums() -> dict[str, dict]:
    """Row count and an order-independent checksum (sum of each row text's md5, first 64 bits) of every table of
    the public schema. In constant memory whatever the table's size."""
    quote = connection.ops.quote_name
    result = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"
        )
        for (table,) in cursor.fetchall():
            # A table name from pg_class, quoted.
            sql = f"SELECT count(*), {ROW_SUM} FROM public.{quote(table)} AS t"  # noqa: S608
            cursor.execute(sql)
            rows, checksum = cursor.fetchone()
            result[table] = {"rows": rows, "checksum": checksum}
    return result


def _database_figures(snapshot: str | None) -> tuple[dict, list[str]]:
    if connection.vendor != "postgresql":
        raise CommandError("backup_manifest needs PostgreSQL (DATABASE_URL).")
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        if snapshot:
            if not SNAPSHOT_ID.match(snapshot):
                raise CommandError(f"'{snapshot}' is not a snapshot id (pg_export_snapshot()).")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        for statement in ROW_TEXT_SETTINGS:
            cursor.execute(statement)
        return table_checksums(), referenced_files()


def _listed(names) -> str:
    names = sorted(names)
    more = f" … and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    return ", ".join(names[:MAX_LISTED]) + more


def differences(expected: dict, actual: dict, *, files_only: bool) -> list[str]:
    """What differs between two manifests, one sentence each; empty when they agree."""
    found = []
    want, have = expected["files"], actual["files"]
    if missing := set(want) - set(have):
        found.append(f"{len(missing)} file(s) missing: {_listed(missing)}")
    if extra := set(have) - set(want):
        found.append(f"{len(extra)} file(s) not in the backup: {_listed(extra)}")
    if changed := {name for name in set(want) & set(have) if want[name] != have[name]}:
        found.append(f"{len(changed)} file(s) with another sha256: {_listed(changed)}")
    if files_only:
        return found
    want, have = expected["tables"], actual["tables"]
    if missing := set(want) - set(have):
        found.append(f"{len(missing)} table(s) missing: {_listed(missing)}")
    if extra := set(have) - set(want):
        found.append(f"{len(extra)} table(s) not in the backup: {_listed(extra)}")
    for table in sorted(set(want) & set(have)):
        if want[table] != have[table]:
            found.append(
                f"table {table}: {have[table]['rows']} rows (checksum {have[table]['checksum']}), "
                f"the backup has {want[table]['rows']} (checksum {want[table]['checksum']})"
            )
    return found


class Command(BaseCommand):
    help = (
        "Write or check a backup manifest: row count and checksum of every table, the files the database names, "
        "and every media file's sha256. Exit 1 when a named file is missing or a comparison differs."
    )

    def add_arguments(self, parser):
        media = parser.add_mutually_exclusive_group(required=True)
        media.add_argument("--archive", type=Path, help="The media tar.gz to hash (scripts/backup).")
        media.add_argument("--media-dir", type=Path, help="A media folder to hash (a restore's staging folder).")
        parser.add_argument("--snapshot", help="Read the database in this exported snapshot (pg_dump --snapshot).")
        parser.add_argument("--created-utc", help="Backup time to record (the snapshot's).")
        parser.add_argument("--compare", type=Path, help="Compare with this manifest instead of writing one.")
        parser.add_argument("--files-only", action="store_true", help="Media only: do not read the database.")
        parser.add_argument("--output", type=Path, help="Write the manifest here (default: standard output).")

    def handle(self, *args, archive, media_dir, snapshot, created_utc, compare, files_only, output, **options):
        if archive is not None and not archive.is_file():
            raise CommandError(f"{archive} does not exist.")
        if media_dir is not None and not media_dir.is_dir():
            raise CommandError(f"{media_dir} is not a folder.")
        files = archive_files(archive) if archive else folder_files(media_dir)
        manifest = {"format": 1, "created_utc": created_utc, "tables": {}, "referenced_files": [], "files": files}
        if not files_only:
            manifest["tables"], manifest["referenced_files"] = _database_figures(snapshot)
            manifest["database"] = connection.settings_dict["NAME"]
        problems = []
        if missing := set(manifest["referenced_files"]) - set(files):
            where = archive or media_dir
            problems.append(f"{len(missing)} file(s) named by the database are not in {where}: {_listed(missing)}")
        if compare is not None:
            expected = json.loads(compare.read_text())
            problems += differences(expected, manifest, files_only=files_only)
        if problems:
            raise CommandError("\n".join(problems), returncode=1)
        if compare is not None:
            tables = "" if files_only else f"{len(manifest['tables'])} tables and "
            self.stdout.write(f"{tables}{len(files)} files match {compare}.")
            return
        text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
        if output:
            output.write_text(text)
            rows = sum(table["rows"] for table in manifest["tables"].values())
            self.stdout.write(f"{len(manifest['tables'])} tables, {rows} rows, {len(files)} files")
        else:
            self.stdout.write(text, ending="")
