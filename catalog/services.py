"""Catalog services: importing the test catalog from CSV, outside the admin (``import_catalog``, the demo data).

The format and its rules are ``catalog.resources.LabTestResource``, the one the admin's import and export use.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import tablib
from django.db import transaction
from import_export.results import RowResult

from catalog.resources import LabTestResource
from catalog.resources_analytes import AnalyteResource, ReferenceRangeResource

CSV_COLUMNS = LabTestResource.Meta.fields
DATA_DIR = Path(__file__).resolve().parent / "data"
ANALYTES_CSV = DATA_DIR / "vet_analytes.csv"
RANGES_CSV = DATA_DIR / "vet_reference_ranges.csv"


@dataclass(frozen=True)
class RowError:
    """A problem in the file. ``row`` is the spreadsheet row number (the header is row 1; 0 = the whole file)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a file with errors, would do: nothing is written then)."""

    dry_run: bool
    created_codes: list[str] = field(default_factory=list)
    updated_codes: list[str] = field(default_factory=list)
    unchanged_codes: list[str] = field(default_factory=list)
    categories_created: list[str] = field(default_factory=list)
    tags_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.created_codes)

    @property
    def updated(self) -> int:
        return len(self.updated_codes)

    @property
    def unchanged(self) -> int:
        return len(self.unchanged_codes)

    @property
    def ok(self) -> bool:
        return not self.errors


def catalog_import_errors(result) -> list[RowError]:
    """An import-export ``Result``'s problems, numbered as a spreadsheet numbers rows (import-export counts from the
    first data row)."""
    errors = [RowError(0, "", str(error.error)) for error in result.base_errors]
    for row in result.invalid_rows:
        for column, messages in row.error_dict.items():
            column = "" if column == "__all__" else column
            errors.extend(RowError(row.number + 1, column, str(message)) for message in messages)
    for number, row_errors in result.row_errors():
        errors.extend(RowError(number + 1, "", str(error.error)) for error in row_errors)
    return errors


def _dataset(file) -> tablib.Dataset:
    """``file`` is a path or an open file (text or bytes, e.g. an upload); Excel's byte-order mark is dropped."""
    data = Path(file).read_bytes() if isinstance(file, str | os.PathLike) else file.read()
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    return tablib.Dataset().load(data.removeprefix("\ufeff"), format="csv")


@transaction.atomic(durable=True)
def catalog_import_csv(*, file, dry_run: bool = False) -> ImportResult:
    """Create or update lab tests from a catalog CSV, through ``LabTestResource``, in one transaction.

    With any invalid row nothing is written and ``errors`` lists each problem with its row and column. With
    ``dry_run`` the result says what would be created or updated, and nothing is written.
    """
    result = ImportResult(dry_run=dry_run)
    try:
        dataset = _dataset(file)
    except UnicodeDecodeError:
        result.errors.append(RowError(0, "", "is not UTF-8 text; save it as CSV UTF-8"))
        return result
    except tablib.InvalidDimensions:
        result.errors.append(RowError(0, "", "a row has more values than the header has columns"))
        return result
    resource = LabTestResource()
    imported = resource.import_data(
        dataset, dry_run=dry_run, rollback_on_validation_errors=True, retain_instance_in_row_result=True
    )
    result.errors = catalog_import_errors(imported)
    if result.errors:
        return result
    codes = {
        RowResult.IMPORT_TYPE_NEW: result.created_codes,
        RowResult.IMPORT_TYPE_UPDATE: result.updated_codes,
        RowResult.IMPORT_TYPE_SKIP: result.unchanged_codes,
    }
    for row in imported.rows:
        codes[row.import_type].append(row.instance.code)
    result.categories_created, result.tags_created = resource.categories_created, resource.tags_created
    return result


@dataclass
class AnalytesImportResult:
    """What importing the analytes and their reference ranges did (or would do)."""

    dry_run: bool
    analytes: dict[str, int] = field(default_factory=dict)  # "new" / "update" / "skip" → rows
    ranges: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _totals(result) -> dict[str, int]:
    return {
        kind: result.totals[key]
        for kind, key in (("created", RowResult.IMPORT_TYPE_NEW), ("updated", RowResult.IMPORT_TYPE_UPDATE))
    } | {"unchanged": result.totals[RowResult.IMPORT_TYPE_SKIP]}


@transaction.atomic(durable=True)
def analytes_import_csv(*, analytes_file=None, ranges_file=None, dry_run: bool = False) -> AnalytesImportResult:
    """Create or update analytes (``vet_analytes.csv``) and then their reference ranges (``vet_reference_ranges.csv``)
    through ``catalog.resources_analytes``, in one transaction: with any invalid row in either file nothing is
    written, and ``errors`` names the file, row and column of each problem. A dry run imports both (the ranges may
    name analytes the first file adds) and rolls the whole transaction back."""
    result = AnalytesImportResult(dry_run=dry_run)
    steps = [
        ("analytes", analytes_file, AnalyteResource, result.analytes),
        ("ranges", ranges_file, ReferenceRangeResource, result.ranges),
    ]
    for label, file, resource_class, totals in steps:
        if file is None:
            continue
        try:
            dataset = _dataset(file)
        except UnicodeDecodeError:
            result.errors.append(RowError(0, "", f"{label} file is not UTF-8 text; save it as CSV UTF-8"))
            break
        except tablib.InvalidDimensions:
            result.errors.append(RowError(0, "", f"{label} file: a row has more values than the header has columns"))
            break
        imported = resource_class().import_data(dataset, dry_run=False, rollback_on_validation_errors=True)
        errors = catalog_import_errors(imported)
        if errors:
            result.errors = [RowError(e.row, f"{label}: {e.column}" if e.column else label, e.message) for e in errors]
            break
        totals.update(_totals(imported))
    if dry_run or result.errors:
        transaction.set_rollback(True)
    return result
