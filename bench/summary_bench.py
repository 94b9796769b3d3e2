#!/usr/bin/env python3
"""The billing summary against bare SQL on the same rows, and the query plans behind the slow endpoints.

    .venv/bin/python bench/summary_bench.py              # timings (median of 7) and ratios
    .venv/bin/python bench/summary_bench.py --explain    # also EXPLAIN (ANALYZE, BUFFERS) of every query

Figures:
- ``billing_summary(period=…)`` over the last 12 months (the selector: two aggregate queries plus Python),
- the brief's floor: one bare ``SELECT date_trunc(…), count(*), sum(…) … GROUP BY 1`` on the same bills,
- the bare SQL of the selector's two queries (per period and collection type, from the bills; per period and test
  category, from the category ledger), i.e. the same work without the ORM.
Ratios are selector ÷ floor; the goal is ≤ 1.2× the single bare GROUP BY.
"""

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import KNOWN_CUSTOMER_PHONE, django_setup, use_project_venv  # noqa: E402

use_project_venv()

# The selector's two queries, written by hand: bills per day and collection type (a column of the bill), and
# the per-category ledger (billing.models.CategoryDayTotal) per period.
BARE_SELECTOR = [
    """
    SELECT r.billing_date, r.collection_type, count(r.id), sum(r.base_amount),
           sum(r.discount_amount), sum(r.distance_charge), sum(r.final_amount), sum(r.amount_paid)
    FROM billing_billingrecord r
    WHERE r.billing_date BETWEEN %(f)s AND %(t)s AND r.status <> 'void'
    GROUP BY 1, 2
    """,
    """
    SELECT date_trunc(%(p)s, d.day) AS period, c.name, sum(d.items), sum(d.amount)
    FROM billing_categorydaytotal d JOIN catalog_testcategory c ON c.id = d.category_id
    WHERE d.day BETWEEN %(f)s AND %(t)s
    GROUP BY 1, 2 HAVING sum(d.items) <> 0 ORDER BY 1, 2
    """,
]


def timed(function, repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs


def explain(cursor, sql: str, params=None) -> None:
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
    for (line,) in cursor.fetchall():
        print("    " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    django_setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from floor_app import billing_summary_bare
    from rest_framework.test import APIClient

    from accounts.models import User
    from billing.selectors import billing_summary

    date_to = timezone.localdate()
    date_from = date_to - datetime.timedelta(days=round(args.months * 365 / 12))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM billing_billingrecord WHERE billing_date BETWEEN %s AND %s AND status <> 'void'",
            [date_from, date_to],
        )
        rows = cursor.fetchone()[0]
    print(f"Billing summary {date_from} … {date_to}: {rows:,} non-void bills; median of {args.repeat} runs\n")
    print("| period | selector ms | bare GROUP BY ms | ratio | bare SQL of its 2 queries ms | ratio |")
    print("|---|---|---|---|---|---|")
    for period in ("month", "day"):
        kwargs = {"period": period, "date_from": date_from, "date_to": date_to}
        billing_summary(**kwargs)  # warm the cache of the table's pages
        selector, _ = timed(lambda kwargs=kwargs: billing_summary(**kwargs), args.repeat)
        floor, _ = timed(lambda kwargs=kwargs: billing_summary_bare(**kwargs), args.repeat)

        def bare_selector(period=period):
            with connection.cursor() as cursor:
                for sql in BARE_SELECTOR:
                    cursor.execute(sql, {"p": period, "f": date_from, "t": date_to})
                    cursor.fetchall()

        bare_own, _ = timed(bare_selector, args.repeat)
        print(
            f"| {period} | {selector * 1000:.0f} | {floor * 1000:.0f} | {selector / floor:.2f}× "
            f"| {bare_own * 1000:.0f} | {selector / bare_own:.2f}× |"
        )

    if not args.explain:
        return 0
    print("\n## EXPLAIN (ANALYZE, BUFFERS) of billing_summary(period='month') — the selector's own SQL\n")
    with CaptureQueriesContext(connection) as captured:
        billing_summary(period="month", date_from=date_from, date_to=date_to)
    with connection.cursor() as cursor:
        for n, query in enumerate(captured.captured_queries, start=1):
            print(f"### summary query {n}\n    {query['sql'][:400]}…\n")
            explain(cursor, query["sql"])
            print()

    print("## EXPLAIN (ANALYZE, BUFFERS) of GET /api/v1/bookings/ (the 50-booking customer)\n")
    client = APIClient()
    client.force_authenticate(User.objects.get(phone=KNOWN_CUSTOMER_PHONE))
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/bookings/", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, response.content[:300]  # noqa: S101
    with connection.cursor() as cursor:
        for n, query in enumerate(captured.captured_queries, start=1):
            print(f"### bookings list query {n}\n    {query['sql'][:400]}…\n")
            explain(cursor, query["sql"])
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
