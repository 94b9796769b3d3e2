"""An analyser's CSV export read as draft results for many samples at once: previewed first (each line checked, its
problem said: unknown sample, unknown analyte for that sample's test, not a number, sample not in the lab, another
unit), then confirmed through ``results_save`` in one transaction (checked again: nothing is saved if a line no
longer passes).

The file has a header naming the columns ``sample`` (the tube's code, ``DP-XXXXXX-01``), ``analyte`` (its code in
the sample's test), ``value`` and optionally ``unit`` (checked against the analyte's when given), in any order and
case; other columns are ignored. UTF-8 (with or without Excel's byte-order mark), at most ``MAX_BYTES``.
"""

import csv
import io
from dataclasses import dataclass, field

from django.db.models.functions import Upper
from django.utils.translation import ngettext

from bookings.models import BookingItem, TestReport
from bookings.services.results import ResultEntry, SaveOutcome, results_enterable, results_save
from catalog.models import Analyte
from catalog.ranges import value_parse

MAX_BYTES = 1024 * 1024
MAX_LINES = 20_000
REQUIRED = ("sample", "analyte", "value")


@dataclass
class AnalyserLine:
    number: int  # as a spreadsheet numbers it: the header is line 1
    sample: str
    analyte: str
    value: str
    unit: str = ""
    error: str = ""
    entry: ResultEntry | None = None


@dataclass
class AnalyserPreview:
    lines: list[AnalyserLine] = field(default_factory=list)
    error: str = ""  # the whole file's problem (encoding, size, header)

    @property
    def problems(self) -> list[AnalyserLine]:
        return [line for line in self.lines if line.error]

    @property
    def ok(self) -> bool:
        return not self.error and not self.problems and bool(self.lines)

    @property
    def entries(self) -> list[ResultEntry]:
        return [line.entry for line in self.lines if line.entry is not None]


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def analyser_preview(data: bytes) -> AnalyserPreview:
    """Read and check every line of an export (no write). A few queries whatever its length: the samples by code,
    their current reports, the analytes of their tests."""
    preview = AnalyserPreview()
    if len(data) > MAX_BYTES:
        preview.error = "The file is larger than 1 MB; split it into several imports."
        return preview
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        preview.error = "The file is not UTF-8 text; save it as CSV UTF-8."
        return preview
    if "\x00" in text:  # not text; and PostgreSQL refuses NUL in the codes looked up below
        preview.error = "The file contains NUL characters, so it is not a CSV text file; save it as CSV UTF-8."
        return preview
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:  # a cell over the csv module's field limit (an unclosed quote runs to the end)
        preview.error = f"The file is not a CSV file the import can read ({error})."
        return preview
    if not rows:
        preview.error = "The file is empty."
        return preview
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        columns = ngettext("the column", "the columns", len(missing))
        preview.error = f"The header is missing {columns} {', '.join(missing)} (found: {', '.join(header)[:200]})."
        return preview
    if len(rows) - 1 > MAX_LINES:
        preview.error = f"The file has more than {MAX_LINES} lines; split it into several imports."
        return preview
    at = {name: header.index(name) for name in REQUIRED}
    unit_at = header.index("unit") if "unit" in header else None
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines (a spreadsheet's end)
        preview.lines.append(
            AnalyserLine(
                number=number,
                sample=_cell(row, at["sample"]),
                analyte=_cell(row, at["analyte"]),
                value=_cell(row, at["value"]),
                unit=_cell(row, unit_at),
            )
        )
    _check(preview.lines)
    return preview


def _check(lines: list[AnalyserLine]) -> None:
    codes = {line.sample.upper() for line in lines}
    items = {
        item.code_key: item
        for item in BookingItem.objects.annotate(code_key=Upper("code"))
        .filter(code_key__in=codes)
        .select_related("test")
    }
    reports = dict(
        TestReport.objects.filter(booking_item__in=items.values(), is_current=True).values_list(
            "booking_item_id", "status"
        )
    )
    analytes = {
        (a.test_id, a.code_key): a
        for a in Analyte.objects.annotate(code_key=Upper("code")).filter(
            test_id__in={item.test_id for item in items.values()}, is_active=True
        )
    }
    seen: dict[tuple[int, int], int] = {}
    for line in lines:
        item = items.get(line.sample.upper())
        if item is None:
            line.error = f"unknown sample '{line.sample[:30]}'"
            continue
        analyte = analytes.get((item.test_id, line.analyte.upper()))
        if analyte is None:
            line.error = f"{item.test.code} has no analyte '{line.analyte[:20]}'"
            continue
        why = results_enterable(item, reports.get(item.pk))
        if why:
            line.error = f"not in the lab: {why}"
            continue
        if line.unit and line.unit != analyte.unit:
            line.error = f"unit '{line.unit[:20]}', but {analyte.code} is entered in '{analyte.unit}'"
            continue
        try:
            value_parse(line.value, decimals=analyte.decimals)
        except ValueError as error:
            line.error = f"value {error}"
            continue
        first = seen.setdefault((item.pk, analyte.pk), line.number)
        if first != line.number:
            line.error = f"{item.code} {analyte.code} is already on line {first}"
            continue
        line.entry = ResultEntry(
            item_id=item.pk, analyte_id=analyte.pk, value=line.value, comment=None, method=None, instrument=None
        )


def analyser_import(*, data: bytes, by) -> tuple[AnalyserPreview, SaveOutcome | None]:
    """Check the export again and, when every line passes, save its values as drafts in one transaction. An import
    sets values only: a draft's comment, method and instrument stay as they were."""
    preview = analyser_preview(data)
    if not preview.ok:
        return preview, None
    return preview, results_save(entries=preview.entries, by=by)
