#!/usr/bin/env python3
"""The lab's result entry worklist at 200 received samples × 10 analytes: render time and queries of the page, and
saving every value of the page in one transaction (first entry, then a correction of every value).

    bench/results_worklist.py                 # 200 samples × 10 analytes, 10 timed renders, 5 timed saves
    bench/results_worklist.py --samples 50 --keepdb

Runs against a scratch database of its own (Django's test database of ``DATABASE_URL``: ``test_<name>``, created and
migrated here, dropped at the end unless ``--keepdb``), so the benchmark data is never touched. Requests go through
Django's test client (``force_login`` as a lab technician, ``DEBUG=0``): middleware, SQL, template rendering, no
HTTP. The page shows as many samples as ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` lets one form post (40 of 10 analytes at
Django's default of 1000); the benchmark raises the limit so that one page holds all 200, and also measures the
default page. Figures: median wall time (ms), CPU time of this process, queries per request.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import django_setup, use_project_venv  # noqa: E402

use_project_venv()


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"results_worklist: {message}")


def _timed(function, repeat: int) -> tuple[float, float, int]:
    """Median wall ms, median CPU ms and the queries of the last run of ``function``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walls, cpus, queries = [], [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        queries = len(captured)
    return statistics.median(walls), statistics.median(cpus), queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--analytes", type=int, default=10)
    parser.add_argument("--renders", type=int, default=10)
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--keepdb", action="store_true", help="Keep the scratch database for the next run.")
    args = parser.parse_args()

    django_setup()
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # A name of its own, so that it never meets the test suite's database; a left-over one is replaced.
    connection.settings_dict["TEST"]["NAME"] = f"{old_name}_results_bench"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    try:
        # Fast password hashes for the 200 customers the factories make (the set-up, not what is measured).
        hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        with override_settings(ALLOWED_HOSTS=["testserver"], PASSWORD_HASHERS=hashers):
            run(args, Client)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=args.keepdb)


def run(args, client_class) -> None:
    from django.test import override_settings
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import StaffRole
    from accounts.tests.staff import staff_of
    from bookings.models import ResultValue
    from bookings.tests.factories import BookingFactory, BookingItemFactory
    from catalog.tests.factories import AnalyteFactory, LabTestFactory, ReferenceRangeFactory

    test = LabTestFactory(code=f"BENCH-{int(time.time())}")
    analytes = [
        AnalyteFactory(test=test, code=f"A{n}", unit="g/dL", decimals=1, position=n) for n in range(args.analytes)
    ]
    for analyte in analytes:
        for species in ("dog", "cat"):
            ReferenceRangeFactory(analyte=analyte, species=species)
        ReferenceRangeFactory(analyte=analyte, species="dog", min_age_months=0, max_age_months=6)
    now = timezone.now()
    items = []
    for n in range(args.samples):
        booking = BookingFactory(pet__species="cat" if n % 3 else "dog")
        items.append(
            BookingItemFactory(booking=booking, test=test, status="received", collected_at=now, received_at=now)
        )
    tech = staff_of(StaffRole.LAB_TECH, phone="+919899900001")
    client = client_class()
    client.force_login(tech)
    url = f"{reverse('admin:bookings_resultvalue_worklist')}?test={test.pk}"

    def post(value: str) -> None:
        data = {}
        for item in items:
            data[f"m-{item.pk}"] = "impedance"
            data[f"i-{item.pk}"] = ""
            for analyte in analytes:
                data[f"v-{item.pk}-{analyte.pk}"] = value
                data[f"c-{item.pk}-{analyte.pk}"] = ""
        response = client.post(url, data)
        _check(response.status_code == 302, f"the save answered {response.status_code}")

    rows = []
    with override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10 * (2 * args.analytes + 4) * args.samples):
        for _ in range(2):
            _check(len(client.get(url).context["rows"]) == args.samples, "the page does not hold every sample")
        rows.append(
            (f"worklist GET, {args.samples} samples × {args.analytes}", *_timed(lambda: client.get(url), args.renders))
        )
        post("14.5")  # the first entry: every value created
        saved = ResultValue.objects.filter(item__test=test).count()
        _check(saved == args.samples * args.analytes, f"{saved} values saved")
        values = iter(["15.0", "14.5"] * args.saves)
        rows.append(
            (
                f"worklist POST, {args.samples * args.analytes} values changed",
                *_timed(lambda: post(next(values)), args.saves),
            )
        )
        rows.append(
            (f"worklist GET, {args.samples} samples, with drafts", *_timed(lambda: client.get(url), args.renders))
        )
    page = client.get(url).context["page"]
    rows.append(
        (
            f"worklist GET, default field limit ({len(page.object_list)} samples)",
            *_timed(lambda: client.get(url), args.renders),
        )
    )
    one = f"{reverse('admin:bookings_resultvalue_worklist')}?test={test.pk}&item={items[0].pk}"
    rows.append(("worklist GET, 1 sample", *_timed(lambda: client.get(one), args.renders)))
    flags = ResultValue.objects.filter(item__test=test).values_list("flag", flat=True)
    _check(set(flags) == {"normal"}, f"flags {set(flags)}")

    width = max(len(row[0]) for row in rows)
    print(f"{'what':<{width}}  {'wall ms':>8}  {'cpu ms':>8}  {'queries':>7}")
    for name, wall, cpu, queries in rows:
        print(f"{name:<{width}}  {wall:8.1f}  {cpu:8.1f}  {queries:7d}")


if __name__ == "__main__":
    main()
