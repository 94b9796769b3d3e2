"""Load soak: a real gunicorn on a free port, a fixed request rate for N seconds, worker memory and errors measured.

    .venv/bin/python stress/soak.py --seconds 600 --rate 20

It uses its own database, ``SOAK_DATABASE_URL`` (default: ``DATABASE_URL`` with ``_soak`` appended to the name),
migrated and emptied first (refused unless the name ends in ``_soak``), seeded with one customer's world. The mix:
public catalog and clinic, the customer's profile, bookings list and quotes, the collector's visits, and one booking
in 25 (each with its own Idempotency-Key). Every booking answered 201 must be in the database at the end, with its
items and bill ("rows lost"). Prints one JSON line.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def soak_database_url() -> str:
    explicit = os.environ.get("SOAK_DATABASE_URL")
    if explicit:
        return explicit
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_soak"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith("_soak"):
        raise SystemExit(f"refusing to empty {name!r}: the soak database's name must end in _soak")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(url: str) -> dict:
    """Migrate, empty and seed the soak database in this process; return what the load needs."""
    os.environ["DATABASE_URL"] = url
    # The tokens minted here must outlive the soak's first 10 minutes (the same lifetime the server is given).
    os.environ["JWT_ACCESS_MINUTES"] = "15"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "diagnopet.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    from bookings.models import CollectionSlot
    from reliability.conftest import bearer, make_world

    world = make_world()
    CollectionSlot.objects.filter(pk=world["slot"].pk).update(capacity=30_000)  # a smallint
    body = {
        "pet": world["pet"].id,
        "tests": [t.id for t in world["tests"]],
        "collection_type": "home",
        "address": world["address"].id,
        "slot": world["slot"].id,
    }
    return {"customer": bearer(world["customer"]), "collector": bearer(world["collector"]), "booking": body}


def request(base: str, method: str, path: str, token: str | None = None, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{base}{path}", data=data, method=method)  # noqa: S310 - our own local server
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def run(seconds: float, rate: float, workers: int) -> dict:
    url = soak_database_url()
    ensure_database(url)
    seeded = seed(url)
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DEBUG="0",
        THROTTLE_ANON="1000000/min",
        THROTTLE_USER="1000000/min",
        JWT_ACCESS_MINUTES="15",
    )
    log = tempfile.NamedTemporaryFile("w", prefix="soak-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "diagnopet.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if request(base, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not come up")
        time.sleep(1)
        pids = children(server.pid)
        rss_start = {pid: rss_kb(pid) for pid in pids}

        customer, collector = seeded["customer"], seeded["collector"]
        mix = [
            ("GET", "/api/v1/catalog/tests/", None, None),
            ("GET", "/api/v1/clinic/", None, None),
            ("GET", "/api/v1/me", customer, None),
            ("GET", "/api/v1/bookings/", customer, None),
            ("POST", "/api/v1/bookings/quote", customer, seeded["booking"]),
            ("GET", "/api/v1/staff/collections/", collector, None),
        ]
        statuses: Counter = Counter()
        failures: Counter = Counter()
        booked: list[int] = []
        lock = threading.Lock()
        sequence = iter(range(10**9))
        started = time.monotonic()
        interval = 1.0 / rate

        def one(n: int) -> None:
            if n % 25 == 24:
                method, path, token, body = "POST", "/api/v1/bookings/", customer, seeded["booking"]
                headers = {"Idempotency-Key": f"soak-{n}"}
            else:
                method, path, token, body = mix[n % len(mix)]
                headers = None
            try:
                status, content = request(base, method, path, token, body, headers)
            except OSError as exc:
                with lock:
                    failures[f"{type(exc).__name__}"] += 1
                return
            with lock:
                statuses[status] += 1
                if status >= 500 or status in (400, 401, 403, 404, 429):
                    failures[f"{method} {path} {status}"] += 1
                if method == "POST" and path == "/api/v1/bookings/" and status == 201:
                    booked.append(json.loads(content)["id"])

        def loader() -> None:
            while True:
                n = next(sequence)
                due = started + n * interval
                if due - started >= seconds:
                    return
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                one(n)

        threads = [threading.Thread(target=loader) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        rss_end = {pid: rss_kb(pid) for pid in children(server.pid)}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    from billing.models import BillingRecord
    from bookings.models import Booking

    found = Booking.objects.filter(pk__in=booked, items__isnull=False).distinct().count()
    billed = BillingRecord.objects.filter(booking_id__in=booked).count()
    requests_made = sum(statuses.values()) + sum(v for k, v in failures.items() if " " not in k)
    return {
        "seconds": round(elapsed, 1),
        "target_rate": rate,
        "requests": requests_made,
        "achieved_rate": round(requests_made / elapsed, 1) if elapsed else 0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": sum(failures.values()),
        "error_kinds": dict(failures.most_common(10)),
        "bookings_created": len(booked),
        "rows_lost": (len(booked) - found) + (len(booked) - billed),
        "worker_rss_kb_start": rss_start,
        "worker_rss_kb_end": rss_end,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", "600")))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("SOAK_RATE", "20")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SOAK_WORKERS", "2")))
    args = parser.parse_args()
    result = run(args.seconds, args.rate, args.workers)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
