#!/usr/bin/env python3
"""Before/after timings of the billing summary's queries for candidate indexes, statistics and query shapes.

    .venv/bin/python bench/index_trials.py            # on dp_bench (DATABASE_URL); drops what it created
    .venv/bin/python bench/index_trials.py --keep     # leave the candidate indexes in place

Each query is run ``--repeat`` times (median, server-side execution time from EXPLAIN ANALYZE) with the current
schema, then again after creating the candidates (and VACUUM ANALYZE so index-only scans are possible).
The "current" SQL is the ORM's (billing.selectors); the "proposed" shapes are what the selector could send instead.
"""

import argparse
import datetime
import re
import statistics
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import bench_environ, use_project_venv  # noqa: E402

use_project_venv()

RANGE = "r.billing_date BETWEEN %(f)s AND %(t)s AND NOT (r.status = 'void')"
SUMS = (
    "count(r.id), sum(r.base_amount), sum(r.discount_amount), sum(r.distance_charge), sum(r.final_amount), "
    "sum(r.amount_paid)"
)
# Trusted constants only (no user input): f-strings just share the common parts.
QUERIES = {
    # The selector's three queries today (month).
    "Q1 per period (date_trunc)": """
        SELECT date_trunc('month', r.billing_date), {SUMS} FROM billing_billingrecord r
        WHERE {RANGE} GROUP BY 1 ORDER BY 1""",
    "Q2 per period × type (join booking)": """
        SELECT date_trunc('month', r.billing_date), b.collection_type, {SUMS}
        FROM billing_billingrecord r JOIN bookings_booking b ON b.id = r.booking_id
        WHERE {RANGE} GROUP BY 1, 2 ORDER BY 1, 2""",
    "Q3 per period × category (record→booking→items)": """
        SELECT date_trunc('month', r.billing_date), c.name, count(i.id), sum(i.unit_price * i.quantity)
        FROM billing_billingrecord r JOIN bookings_booking b ON b.id = r.booking_id
        LEFT JOIN bookings_bookingitem i ON i.booking_id = b.id
        LEFT JOIN catalog_labtest t ON t.id = i.test_id LEFT JOIN catalog_testcategory c ON c.id = t.category_id
        WHERE {RANGE} GROUP BY 1, 2 ORDER BY 1, 2""",
    # Proposed shapes.
    "Q1' per period (GROUP BY billing_period)": """
        SELECT r.billing_period, {SUMS} FROM billing_billingrecord r WHERE {RANGE} GROUP BY 1 ORDER BY 1""",
    "Q1' per day (GROUP BY billing_date)": """
        SELECT r.billing_date, {SUMS} FROM billing_billingrecord r WHERE {RANGE} GROUP BY 1 ORDER BY 1""",
    "Q2' per period × type (billing_period)": """
        SELECT r.billing_period, b.collection_type, {SUMS}
        FROM billing_billingrecord r JOIN bookings_booking b ON b.id = r.booking_id
        WHERE {RANGE} GROUP BY 1, 2 ORDER BY 1, 2""",
    "Q3' per period × category (record→items, no booking)": """
        SELECT r.billing_period, c.name, count(i.id), sum(i.unit_price * i.quantity)
        FROM billing_billingrecord r
        LEFT JOIN bookings_bookingitem i ON i.booking_id = r.booking_id
        LEFT JOIN catalog_labtest t ON t.id = i.test_id LEFT JOIN catalog_testcategory c ON c.id = t.category_id
        WHERE {RANGE} GROUP BY 1, 2 ORDER BY 1, 2""",
}
# Shared parts filled in (trusted constants, no user input); parameters go through the driver.
QUERIES = {name: sql.replace("{SUMS}", SUMS).replace("{RANGE}", RANGE) for name, sql in QUERIES.items()}
CANDIDATES = [
    # Index-only scans for the per-period sums: the range, the filter and every summed column in the index.
    "CREATE INDEX bench_billing_record_summary ON billing_billingrecord (billing_date) "
    "INCLUDE (status, billing_period, booking_id, base_amount, discount_amount, distance_charge, final_amount, "
    "amount_paid)",
    # Index-only lookup of a booking's collection type (Q2's join).
    "CREATE INDEX bench_booking_id_type ON bookings_booking (id) INCLUDE (collection_type)",
    # Index-only scan of the items of the bookings in range (Q3's join).
    "CREATE INDEX bench_item_booking_cover ON bookings_bookingitem (booking_id) "
    "INCLUDE (test_id, unit_price, quantity)",
]


def run(conn, sql: str, params: dict, repeat: int) -> tuple[float, str]:
    times, plan = [], ""
    for _ in range(repeat):
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
        plan = "\n".join(r[0] for r in rows)
        times.append(float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
    return statistics.median(times), plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--jit", default="off", help="jit setting for the session (off, as proposed; or on).")
    parser.add_argument("--plans", action="store_true", help="Print the last plan of every query.")
    args = parser.parse_args()

    import psycopg

    environ = bench_environ()
    today = datetime.datetime.now(ZoneInfo(environ.get("TIME_ZONE", "Asia/Kolkata"))).date()
    params = {"f": today - datetime.timedelta(days=365), "t": today}
    with psycopg.connect(environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f"SET jit = {args.jit}")
        before = {name: run(conn, sql, params, args.repeat) for name, sql in QUERIES.items()}
        for statement in CANDIDATES:
            conn.execute(statement)
        for table in ("billing_billingrecord", "bookings_booking", "bookings_bookingitem"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        after = {name: run(conn, sql, params, args.repeat) for name, sql in QUERIES.items()}
        if not args.keep:
            for statement in CANDIDATES:
                conn.execute("DROP INDEX " + statement.split()[2])
    print(f"jit={args.jit}; median of {args.repeat}; server execution time\n")
    print("| query | current indexes ms | with candidates ms |")
    print("|---|---|---|")
    for name in QUERIES:
        print(f"| {name} | {before[name][0]:.0f} | {after[name][0]:.0f} |")
    if args.plans:
        for name in QUERIES:
            print(f"\n### {name} (with candidates)\n{after[name][1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
