#!/usr/bin/env python3
"""Verifying a report of N analytes (four-eyes check, the PDF generated from the results, its hash and code stored):
wall time per report and per analyte, and the queries it runs, at 5 and at 20 analytes.

    DATABASE_URL=postgres://…/some_migrated_db .venv/bin/python bench/report_verify_bench.py [--rounds 30]

Everything it makes is rolled back (one transaction around the run) and the PDFs go to a temporary MEDIA_ROOT, so
any migrated database will do. The target (issue "Results as data"): ≤ 10 ms per analyte at 20 analytes, against
SENAITE's ~125 ms per analysis (senaite.core pull request 2643).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO_DIR, use_project_venv  # noqa: E402

use_project_venv()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use")
    os.environ["DEBUG"] = "0"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="dp-bench-media-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "diagnopet.settings"
    sys.path.insert(0, str(REPO_DIR))
    import django

    django.setup()

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.tests.factories import StaffUserFactory
    from bookings.report_pdf import report_pdf
    from bookings.services import publishing, report_verify
    from bookings.tests.publishing_helpers import submitted_report
    from clinic.tests.factories import ClinicInfoFactory

    class Rollback(Exception):
        pass

    rows = []
    try:
        with transaction.atomic():
            ClinicInfoFactory()
            verifier = StaffUserFactory()
            for analytes in (5, 20):
                reports = [submitted_report(analytes=analytes) for _ in range(args.rounds + 3)]
                times, cpu, queries = [], [], []
                for n, report in enumerate(reports):
                    with CaptureQueriesContext(connection) as captured:
                        start, start_cpu = time.perf_counter(), time.process_time()
                        report_verify(report=report, by=verifier)
                        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
                    if n >= 3:  # the first few warm reportlab's fonts and caches
                        times.append(elapsed)
                        cpu.append(elapsed_cpu)
                        queries.append(len(captured.captured_queries))
                # The PDF alone, from the last report's document (no database).
                results = list(report.results.select_related("analyte"))
                shown = type(report).objects.select_related("booking_item", "booking__pet", "booking__user", "test")
                document = publishing._document(
                    shown.get(pk=report.pk), results, by=verifier, now=report.verified_at, code="x" * 24
                )  # noqa: SLF001, E501
                pdf_times = []
                for _ in range(args.rounds):
                    start = time.process_time()
                    report_pdf(document)
                    pdf_times.append(time.process_time() - start)
                rows.append((analytes, times, cpu, set(queries), pdf_times))
            raise Rollback
    except Rollback:
        pass

    print(f"report_verify, {args.rounds} reports each (median / p95), database {connection.settings_dict['NAME']}")
    print("wall = elapsed (includes waiting for PostgreSQL and for a busy CPU); cpu = this process's CPU time")
    header = ("analytes", "wall median ms", "wall p95 ms", "wall ms/analyte", "cpu median ms", "cpu ms/analyte")
    print(" ".join(f"{h:>15}" for h in header), f"{'queries':>8} {'PDF only cpu ms':>16}")
    for analytes, times, cpu, queries, pdf_times in rows:
        wall, cpu_median = statistics.median(times) * 1000, statistics.median(cpu) * 1000
        p95 = sorted(times)[int(len(times) * 0.95) - 1] * 1000
        figures = (analytes, wall, p95, wall / analytes, cpu_median, cpu_median / analytes)
        print(
            " ".join(f"{f:>15.2f}" if isinstance(f, float) else f"{f:>15}" for f in figures),
            f"{'/'.join(map(str, sorted(queries))):>8} {statistics.median(pdf_times) * 1000:>16.1f}",
        )


if __name__ == "__main__":
    main()
