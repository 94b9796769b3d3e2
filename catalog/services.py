"""Catalog services: importing the test catalog from CSV.

The CSV format is the one of ``catalog/data/vet_tests.csv``: a header row, then one test per row with the columns
in ``CSV_COLUMNS``. ``tags`` and ``species`` hold ``;``-separated lists, ``fasting_required`` is yes/no, prices are
decimal numbers.
"""

import csv
import io
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.db.models.functions import Upper
from django.utils.text import slugify

from catalog.models import LabTest, TestCategory, TestTag

CSV_COLUMNS = (
    "code",
    "name",
    "category",
    "tags",
    "species",
    "sample_type",
    "tube_type",
    "sample_quantity_ml",
    "fasting_required",
    "tat_hours",
    "price",
    "discounted_price",
    "description",
    "collection_instructions",
)
# Tests in this category are sold as bundles (``LabTest.is_package``).
PACKAGE_CATEGORY_SLUG = "packages"
# The species a pet can be (pets.Pet.Species); spelled out here because catalog does not depend on pets.
SPECIES = ("dog", "cat", "bird", "rabbit", "other")
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0", ""})
# LabTest columns an import writes and compares (category, tags and is_package are handled on their own).
_FIELDS = tuple(column for column in CSV_COLUMNS if column not in ("category", "tags"))


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


@dataclass
class _Row:
    values: dict  # LabTest field → value, for _FIELDS
    category: str
    tags: list[str]


class _CellError(ValueError):
    pass


# --- Reading and validating ----------------------------------------------------------------------------------------


def _text(raw: str, *, max_length: int, required: bool = False) -> str:
    value = raw.strip()
    if required and not value:
        raise _CellError("is required")
    if len(value) > max_length:
        raise _CellError(f"is longer than {max_length} characters")
    return value


def _decimal(raw: str, *, max_digits: int, places: int) -> Decimal | None:
    value = raw.strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _CellError(f"'{value}' is not a number") from None
    if not number.is_finite():
        raise _CellError(f"'{value}' is not a number")
    if number.as_tuple().exponent < -places:
        raise _CellError(f"'{value}' has more than {places} decimal places")
    if number < 0:
        raise _CellError("must not be negative")
    if number >= Decimal(10) ** (max_digits - places):
        raise _CellError(f"'{value}' is too large")
    return number


def _sample_ml(raw: str) -> Decimal | None:
    # 0 means the sample is not measured in millilitres (a swab, a scraping, slides): stored as empty.
    return _decimal(raw, max_digits=5, places=2) or None


def _positive_int(raw: str) -> int | None:
    value = raw.strip()
    if not value:
        return None
    # ASCII digits: str.isdigit() also accepts "²", which int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise _CellError(f"'{value}' is not a whole number")
    number = int(value)
    if number <= 0:
        raise _CellError("must be greater than 0")
    return number


def _yes_no(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise _CellError(f"'{raw.strip()}' is not yes or no")


def _names(raw: str) -> list[str]:
    """A ``;``-separated list, trimmed, without blanks or repeats (first spelling wins)."""
    seen, names = set(), []
    for part in raw.split(";"):
        name = part.strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def _species(raw: str) -> list[str]:
    species = [name.lower() for name in _names(raw)]
    unknown = [name for name in species if name not in SPECIES]
    if unknown:
        raise _CellError(f"unknown species {', '.join(unknown)} (use {', '.join(SPECIES)})")
    return species


def _tags(raw: str) -> list[str]:
    tags = _names(raw)
    for tag in tags:
        if len(tag) > 50:
            raise _CellError(f"tag '{tag[:20]}…' is longer than 50 characters")
        if not slugify(tag):
            raise _CellError(f"tag '{tag}' needs a letter or digit")
    return tags


def _category(raw: str) -> str:
    name = _text(raw, max_length=100, required=True)
    if not slugify(name):
        raise _CellError("needs a letter or digit")
    return name


_PARSERS = {
    "code": lambda raw: _text(raw, max_length=30, required=True),
    "name": lambda raw: _text(raw, max_length=200, required=True),
    "category": _category,
    "tags": _tags,
    "species": _species,
    "sample_type": lambda raw: _text(raw, max_length=100),
    "tube_type": lambda raw: _text(raw, max_length=100),
    "sample_quantity_ml": _sample_ml,
    "fasting_required": _yes_no,
    "tat_hours": _positive_int,
    "price": lambda raw: _decimal(raw, max_digits=12, places=2),
    "discounted_price": lambda raw: _decimal(raw, max_digits=12, places=2),
    "description": lambda raw: raw.strip(),
    "collection_instructions": lambda raw: raw.strip(),
}


def _read_text(file) -> str:
    """The file's text: ``file`` is a path or an open file (text or bytes, e.g. an upload)."""
    data = Path(file).read_bytes() if isinstance(file, str | os.PathLike) else file.read()
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")  # Excel writes a byte-order mark
    return data.removeprefix("\ufeff")


def _parse(text: str, errors: list[RowError]) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        errors.append(RowError(0, "", "the file is empty"))
        return []
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        errors.extend(RowError(1, column, "column is missing from the header") for column in missing)
        return []
    reader.fieldnames = header

    rows, seen_codes = [], {}
    for number, record in enumerate(reader, start=2):
        if None in record:
            errors.append(RowError(number, "", f"has more values than the header has columns ({len(header)})"))
            continue
        cells = {column: (record.get(column) or "") for column in CSV_COLUMNS}
        if not any(value.strip() for value in cells.values()):
            continue  # a blank line at the end of a spreadsheet export
        parsed, row_ok = {}, True
        for column in CSV_COLUMNS:
            try:
                parsed[column] = _PARSERS[column](cells[column])
            except _CellError as exc:
                errors.append(RowError(number, column, str(exc)))
                row_ok = False
        if not row_ok:
            continue
        if parsed["price"] is None:
            errors.append(RowError(number, "price", "is required"))
            continue
        if parsed["discounted_price"] is not None and parsed["discounted_price"] > parsed["price"]:
            errors.append(
                RowError(
                    number,
                    "discounted_price",
                    f"{parsed['discounted_price']} is more than the price {parsed['price']}",
                )
            )
            continue
        key = parsed["code"].upper()
        if key in seen_codes:
            errors.append(RowError(number, "code", f"'{parsed['code']}' is already on row {seen_codes[key]}"))
            continue
        seen_codes[key] = number
        rows.append(
            _Row(
                values={name: parsed[name] for name in _FIELDS},
                category=parsed["category"],
                tags=parsed["tags"],
            )
        )
    return rows


# --- Writing -------------------------------------------------------------------------------------------------------


class _Catalog:
    """Categories and tags by slug: the existing ones, plus those this import creates (saved unless dry run)."""

    def __init__(self, *, dry_run: bool, result: ImportResult):
        self.dry_run, self.result = dry_run, result
        self.categories = {c.slug: c for c in TestCategory.objects.all()}
        self._categories_by_name = {c.name.lower(): c for c in self.categories.values()}
        self.tags = {t.slug: t for t in TestTag.objects.all()}
        self._tags_by_name = {t.name.lower(): t for t in self.tags.values()}
        self._next_order = max((c.display_order for c in self.categories.values()), default=0) + 1

    def category(self, name: str) -> TestCategory:
        slug = slugify(name)
        found = self.categories.get(slug) or self._categories_by_name.get(name.lower())
        if found is None:
            found = TestCategory(name=name, slug=slug, display_order=self._next_order)
            self._next_order += 1
            if not self.dry_run:
                found.save()
            self.categories[slug] = self._categories_by_name[name.lower()] = found
            self.result.categories_created.append(name)
        return found

    def tag(self, name: str) -> TestTag:
        slug = slugify(name)
        found = self.tags.get(slug) or self._tags_by_name.get(name.lower())
        if found is None:
            found = TestTag(name=name, slug=slug)
            if not self.dry_run:
                found.save()
            self.tags[slug] = self._tags_by_name[name.lower()] = found
            self.result.tags_created.append(name)
        return found


@transaction.atomic(durable=True)
def catalog_import_csv(*, file, dry_run: bool = False) -> ImportResult:
    """Create or update lab tests from a catalog CSV, matched by code regardless of case.

    Every row is validated first; if any is invalid, nothing is written and ``errors`` lists each problem with
    its row and column. Categories and tags are created as needed (matched by slug); tests in the "Packages"
    category are packages. Prices are taken as written (Decimal, at most 2 places; the discounted price may not
    exceed the price); a "0" sample volume means not measured in ml (swabs, slides) and is stored empty. Tests
    not in the file, and the active flag of those in it, are left as staff set them. Running the same file twice
    changes nothing the second time. With ``dry_run`` the result
    says what would be created or updated, and nothing is written. The import is one transaction.
    """
    result = ImportResult(dry_run=dry_run)
    try:
        text = _read_text(file)
    except UnicodeDecodeError:
        result.errors.append(RowError(0, "", "is not UTF-8 text; save it as CSV UTF-8"))
        return result
    rows = _parse(text, result.errors)
    if result.errors:
        return result

    catalog = _Catalog(dry_run=dry_run, result=result)
    existing = {
        test.code_key: test
        for test in LabTest.objects.annotate(code_key=Upper("code"))
        .filter(code_key__in=[row.values["code"].upper() for row in rows])
        .prefetch_related("tags")
    }
    for row in rows:
        category = catalog.category(row.category)
        tags = [catalog.tag(name) for name in row.tags]
        values = {**row.values, "is_package": category.slug == PACKAGE_CATEGORY_SLUG}
        test = existing.get(row.values["code"].upper())
        if test is None:
            result.created_codes.append(row.values["code"])
            if not dry_run:
                test = LabTest.objects.create(category=category, **values)
                test.tags.set(tags)
            continue
        changed = [name for name, value in values.items() if getattr(test, name) != value]
        if test.category_id != category.pk or category.pk is None:
            changed.append("category")
        tags_changed = {t.slug for t in test.tags.all()} != {t.slug for t in tags}
        if not changed and not tags_changed:
            result.unchanged_codes.append(test.code)
            continue
        result.updated_codes.append(row.values["code"])
        if dry_run:
            continue
        for name, value in values.items():
            setattr(test, name, value)
        test.category = category
        if changed:
            test.save()
        if tags_changed:
            test.tags.set(tags)
    return result
