"""Entering results (``ResultValue``) and submitting them as a report version, SENAITE-style.

A lab technician enters values for many samples at once (the admin's worklist, an analyser's CSV export): each is
a draft of its item (``report`` empty) until the item's results are submitted, which makes the item's next report
version (``report_upload`` / ``report_amend``: the one report lifecycle) and attaches the drafts to it. Every value
is checked before anything is written: one bad value and nothing of the batch is saved, and the refusal names each
sample and analyte at fault. Unit, limits and flag are worked out at entry (``catalog.ranges``) from the pet's
species and age when the sample was taken, and copied onto the row. A critical value tells the clinic admins at
once (after commit), once per sample, analyte and flag.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, StaffRole, User
from accounts.notifications import notification_create
from bookings.locks import lock_current_report, lock_items
from bookings.models import BookingItem, ResultValue, TestReport
from bookings.services.lifecycle import item_start_processing, report_amend, report_upload
from bookings.states import ITEM_REPORTABLE
from catalog.models import Analyte
from catalog.ranges import CRITICAL_FLAGS, Limits, age_in_months, flag_for, range_for, value_parse
from diagnopet.errors import Conflict, ValidationFailed

It, R = BookingItem.Status, TestReport.Status
# A report waiting for verification or delivery takes no new values: deliver it, then amend.
REPORT_LOCKED = frozenset({R.VERIFIED})
TEXT_LIMITS = {"comment": 1000, "method": 100, "instrument": 100}


@dataclass(frozen=True)
class ResultEntry:
    """One value as typed or exported: which sample (item) and analyte, the value's text, and its notes (None: keep
    the draft's). An empty value clears the sample's draft of that analyte."""

    item_id: int
    analyte_id: int
    value: str
    comment: str | None = ""
    method: str | None = ""
    instrument: str | None = ""


@dataclass(frozen=True)
class ResultProblem:
    """Why one value was refused, named as the lab names things: the tube's code and the analyte's code."""

    item_id: int
    analyte_id: int
    sample: str
    analyte: str
    message: str

    def __str__(self) -> str:
        return f"{self.sample} {self.analyte}: {self.message}"


class ResultsRefused(ValidationFailed):
    """Some values were refused; nothing was saved. ``problems`` names each."""

    def __init__(self, problems: list[ResultProblem]):
        shown = "; ".join(str(p) for p in problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        super().__init__(f"Nothing was saved: {shown}.", code="invalid_results")
        self.problems = problems


@dataclass
class SaveOutcome:
    created: list[ResultValue] = field(default_factory=list)
    updated: list[ResultValue] = field(default_factory=list)
    cleared: int = 0
    submitted: list[TestReport] = field(default_factory=list)

    @property
    def critical(self) -> list[ResultValue]:
        return [r for r in (*self.created, *self.updated) if r.flag in CRITICAL_FLAGS]


def results_enterable(item: BookingItem, report_status: str | None) -> str | None:
    """None when results may be entered for ``item`` whose current report has ``report_status`` (None: no report);
    else why not. In the lab (received, processing) until its report is verified; after delivery, for an
    amendment."""
    if report_status == R.DELIVERED:
        return None
    if item.status not in ITEM_REPORTABLE:
        return f"the sample is {item.get_status_display().lower()}, not in the lab"
    if report_status in REPORT_LOCKED:
        return "its report is verified: deliver it, then amend"
    return None


def result_limits(item: BookingItem, analyte: Analyte) -> Limits:
    """The limits a value of ``analyte`` for ``item``'s pet is judged against: the range of its species and its age
    when the sample was taken (today if not taken yet). ``analyte.ranges`` as prefetched: no query here."""
    pet = item.booking.pet
    taken = timezone.localdate(item.collected_at) if item.collected_at else timezone.localdate()
    age = age_in_months(pet.date_of_birth, taken)
    return Limits.of(range_for(analyte.ranges.all(), species=pet.species, age_months=age))


def _text(entry: ResultEntry, name: str, draft: ResultValue | None) -> str:
    text = getattr(entry, name)
    if text is None:
        return getattr(draft, name) if draft is not None else ""
    return text.strip()


def _save(entries: Iterable[ResultEntry], *, by) -> SaveOutcome:
    """Check every entry, then write the drafts in a few statements whatever their number (a delete of the drafts
    changed or cleared, a bulk insert). Call inside a transaction."""
    entries = list(entries)
    outcome = SaveOutcome()
    if not entries:
        return outcome
    items = {item.pk: item for item in lock_items(item_ids={e.item_id for e in entries})}
    report_status = dict(
        TestReport.objects.filter(booking_item_id__in=items, is_current=True).values_list("booking_item_id", "status")
    )
    analytes = {
        a.pk: a for a in Analyte.objects.filter(pk__in={e.analyte_id for e in entries}).prefetch_related("ranges")
    }
    drafts = {(d.item_id, d.analyte_id): d for d in ResultValue.objects.filter(item_id__in=items, report__isnull=True)}
    problems, seen = [], set()
    now = timezone.now()
    to_create, to_update, to_clear = [], [], []
    for entry in entries:
        item, analyte = items.get(entry.item_id), analytes.get(entry.analyte_id)
        sample = item.code if item else f"sample #{entry.item_id}"
        code = analyte.code if analyte else f"analyte #{entry.analyte_id}"

        def refuse(message: str, sample=sample, code=code, entry=entry) -> None:
            problems.append(ResultProblem(entry.item_id, entry.analyte_id, sample, code, message))

        if item is None:
            refuse("unknown sample")
            continue
        if analyte is None or analyte.test_id != item.test_id or not analyte.is_active:
            refuse("not an analyte of this sample's test")
            continue
        if (item.pk, analyte.pk) in seen:
            refuse("entered twice")
            continue
        seen.add((item.pk, analyte.pk))
        why = results_enterable(item, report_status.get(item.pk))
        if why:
            refuse(why)
            continue
        draft = drafts.get((item.pk, analyte.pk))
        if not (entry.value or "").strip():
            if draft is not None:
                to_clear.append(draft.pk)
            continue
        try:
            value = value_parse(entry.value, decimals=analyte.decimals)
        except ValueError as error:
            refuse(str(error))
            continue
        texts = {name: _text(entry, name, draft) for name in TEXT_LIMITS}
        long = [name for name, limit in TEXT_LIMITS.items() if len(texts[name]) > limit]
        if long:
            refuse(f"the {long[0]} is longer than {TEXT_LIMITS[long[0]]} characters")
            continue
        if draft is not None and draft.value == value and all(getattr(draft, n) == t for n, t in texts.items()):
            continue  # unchanged: who entered it and when stay as they were
        limits = result_limits(item, analyte)
        row = draft or ResultValue(pet_id=item.booking.pet_id)
        row.item, row.analyte = item, analyte  # the instances loaded above: the notification reads them
        row.value, row.unit, row.flag = value, analyte.unit, flag_for(value, limits)
        row.range_low, row.range_high = limits.low, limits.high
        row.critical_low, row.critical_high = limits.critical_low, limits.critical_high
        row.comment, row.method, row.instrument = texts["comment"], texts["method"], texts["instrument"]
        row.entered_by, row.entered_at, row.sampled_at = by, now, item.collected_at
        (to_update if draft is not None else to_create).append(row)
    if problems:
        raise ResultsRefused(problems)
    if to_clear:
        outcome.cleared = ResultValue.objects.filter(pk__in=to_clear).delete()[0]
    if to_update:
        # A changed draft is replaced rather than updated: one DELETE and the INSERT below, where bulk_update's
        # CASE per column and row took seconds for a page of 2,000 values (bench/results_worklist.py).
        ResultValue.objects.filter(pk__in=[row.pk for row in to_update]).delete()
        for row in to_update:
            row.pk = None
    saved = ResultValue.objects.bulk_create([*to_update, *to_create], batch_size=1000)
    outcome.updated, outcome.created = saved[: len(to_update)], saved[len(to_update) :]
    if outcome.critical:
        _critical_notify(outcome.critical)
    return outcome


def _critical_notify(results: list[ResultValue]) -> None:
    """Tell every active clinic admin of each critical value, once per sample, analyte and flag (the event key:
    correcting a critical low draft to another critical low value sends nothing more)."""
    admins = list(
        User.objects.filter(is_active=True, is_staff=True, staff_profile__role=StaffRole.ADMIN).order_by("pk")
    )
    for result in results:
        item = result.item
        flag = ResultValue.Flag(result.flag).label.lower()
        value = f"{result.value.normalize():f} {result.unit}".strip()
        for admin in admins:
            notification_create(
                user=admin,
                kind=Notification.Kind.GENERAL,
                title=f"Critical value: {result.analyte.code} {flag} for {item.code}",
                body=f"{item.booking.pet.name}: {result.analyte.name} {value} ({flag}; sample {item.code}, "
                f"booking {item.booking.code}).",
                data={"booking": item.booking_id, "item": item.pk, "result": result.pk},
                event_key=f"result-critical:{item.pk}:{result.analyte_id}:{result.flag}",
            )


def _submit(item: BookingItem, *, by, reason: str = "") -> TestReport:
    """Make the item's next report version from its drafts (see ``results_submit``). Call inside a transaction."""
    current = lock_current_report(item)
    drafts = list(ResultValue.objects.filter(item=item, report__isnull=True))
    if not drafts:
        raise Conflict(f"{item.code}: no results have been entered.", code="no_results")
    why = results_enterable(item, current.status if current else None)
    if why:
        raise Conflict(f"{item.code}: {why}.", code="invalid_transition")
    kept = []  # values of the analytes not entered again, from the version these replace
    if current is not None and current.status in (R.GENERATED, R.DELIVERED):
        entered = {d.analyte_id for d in drafts}
        kept = [r for r in current.results.all() if r.analyte_id not in entered]
    active = set(Analyte.objects.filter(test_id=item.test_id, is_active=True).values_list("pk", "code"))
    have = {d.analyte_id for d in drafts} | {r.analyte_id for r in kept}
    missing = sorted(code for pk, code in active if pk not in have)
    if missing:
        raise Conflict(f"{item.code}: no value yet for {', '.join(missing)}.", code="results_incomplete")

    if current is not None and current.status == R.DELIVERED:
        report = report_amend(report=current, file="", by=by, reason=reason, findings=current.findings)
        ResultValue.objects.bulk_create(_copy(r, report) for r in kept)
    else:
        if item.status == It.RECEIVED:
            item_start_processing(item=item, by=by)
        report = report_upload(item=item, file="", by=by, findings=current.findings if current else "")
        # A submission before verification replaces the values entered again (the rest stay on the report).
        ResultValue.objects.filter(report=report, analyte_id__in={d.analyte_id for d in drafts}).delete()
    ResultValue.objects.filter(pk__in=[d.pk for d in drafts]).update(report=report, updated_at=timezone.now())
    return report


def _copy(result: ResultValue, report: TestReport) -> ResultValue:
    """An unchanged value carried into an amended version (the earlier version keeps its own row): ``result`` is
    an instance loaded for this, turned into a new row."""
    result.pk = None
    result.report = report
    return result


@transaction.atomic(durable=True)
def results_save(
    *, entries: Iterable[ResultEntry], by, submit_item_ids: Iterable[int] = (), reasons=None
) -> SaveOutcome:
    """Save the drafts of many samples in one transaction, then submit the items in ``submit_item_ids`` (their
    amendment reasons in ``reasons``, item id → text). Any refused value (``ResultsRefused``, naming each sample
    and analyte) or submission (``Conflict``) saves nothing."""
    outcome = _save(entries, by=by)
    reasons = reasons or {}
    for item in lock_items(item_ids=set(submit_item_ids)):
        outcome.submitted.append(_submit(item, by=by, reason=reasons.get(item.pk, "")))
    return outcome


@transaction.atomic(durable=True)
def results_submit(*, item: BookingItem, by, reason: str = "") -> TestReport:
    """Submit an item's results: its next report version, status generated, uploaded by ``by`` and with no file
    (verification generates it from the results), with the drafts attached.

    The first time (or again before verification, replacing the values entered again) through ``report_upload``;
    after delivery as an amendment through ``report_amend`` (``reason`` required), the values not entered again
    carried over from the delivered version. Every active analyte of the test needs a value. A sample just received
    moves to processing. The verifier must be someone else (``report_verify``: four eyes)."""
    (item,) = lock_items(item_ids={item.pk})
    return _submit(item, by=by, reason=reason)
