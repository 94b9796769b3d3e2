"""stress/run's body: each stage as a subprocess, its results collected, one summary printed at the end.

Exit status 0 only when every stage passed, the fuzz found nothing outside the documented known gaps, the restore
drill passed, the soak had no errors and no row was lost.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", "-q"]


def junit(path: Path) -> dict:
    if not path.exists():
        return {"tests": 0, "failed": 1, "skipped": 0}
    suites = ET.parse(path).getroot()  # noqa: S314 - our own pytest's report
    suite = suites if suites.tag == "testsuite" else suites.find("testsuite")
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    return {"tests": int(suite.get("tests", 0)), "failed": failed, "skipped": int(suite.get("skipped", 0))}


def stage(name: str, args: list[str], env: dict, out: Path) -> tuple[int, float]:
    started = time.monotonic()
    sys.stderr.write(f"== {name}: {' '.join(args)}\n")
    with (out / f"{name}.log").open("w") as log:
        code = subprocess.call(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    elapsed = time.monotonic() - started
    sys.stderr.write(f"   exit {code} in {elapsed:.0f}s (log: {out / f'{name}.log'})\n")
    return code, elapsed


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/diagnopet")
    env.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use")
    env["DEBUG"] = "0"
    examples = int(env.setdefault("FUZZ_EXAMPLES", "200"))
    repeat = int(env.get("STRESS_REPEAT", "3"))
    soak_seconds = env.setdefault("SOAK_SECONDS", "600")
    soak_rate = env.setdefault("SOAK_RATE", "20")
    out = Path(tempfile.mkdtemp(prefix="diagnopet-stress-"))
    stats_file = out / "fuzz.jsonl"

    fuzz_env = dict(env, FUZZ_STATS_FILE=str(stats_file))
    # Operations spread over STRESS_PYTEST_WORKERS processes when pytest-xdist is installed.
    parallel = ["-n", env.get("STRESS_PYTEST_WORKERS", "2")] if importlib.util.find_spec("xdist") else []
    fuzz_code, fuzz_time = stage(
        "fuzz",
        [*PYTEST, "--create-db", *parallel, f"--junitxml={out / 'fuzz.xml'}", "reliability/test_fuzz.py"],
        fuzz_env,
        out,
    )
    concurrency = []
    for round_ in range(repeat):
        stage(
            f"concurrency-{round_}",
            [*PYTEST, f"--junitxml={out / f'concurrency-{round_}.xml'}", "reliability/test_concurrency.py"],
            env,
            out,
        )
        concurrency.append(junit(out / f"concurrency-{round_}.xml"))
    stage(
        "faults",
        [
            *PYTEST,
            f"--junitxml={out / 'faults.xml'}",
            "reliability/test_faults.py",
            "reliability/test_files.py",
            "reliability/test_hostile_inputs.py",
            "reliability/test_storage_full.py",
            "reliability/test_missed_ticks.py",
        ],
        env,
        out,
    )
    # The backup and restore drill: backup, verify, restore (empty, refused, forced, failed swap), anonymisations.
    stage(
        "restore-drill",
        [*PYTEST, f"--junitxml={out / 'restore-drill.xml'}", "reliability/test_backup_restore.py"],
        env,
        out,
    )
    # In a process of its own: it reconfigures this process's Celery app and runs worker processes.
    stage("worker-kill", [*PYTEST, f"--junitxml={out / 'worker-kill.xml'}", "stress/test_worker_kill.py"], env, out)
    soak_code, _ = stage(
        "soak",
        [str(ROOT / ".venv" / "bin" / "python"), "stress/soak.py", "--seconds", soak_seconds, "--rate", soak_rate],
        env,
        out,
    )
    soak_lines = (out / "soak.log").read_text().strip().splitlines()
    try:
        soak = json.loads(soak_lines[-1])
    except (IndexError, json.JSONDecodeError):
        soak = {"requests": 0, "errors": 1, "rows_lost": None, "error_kinds": {"soak crashed": 1}}

    stats = [json.loads(line) for line in stats_file.read_text().splitlines()] if stats_file.exists() else []
    fuzz = junit(out / "fuzz.xml")
    faults, kill = junit(out / "faults.xml"), junit(out / "worker-kill.xml")
    drill = junit(out / "restore-drill.xml")
    faults = {key: faults[key] + kill[key] for key in faults}
    known = sorted({gap for s in stats for gap in s["known_gaps"]})
    conc_tests = sum(c["tests"] for c in concurrency)
    conc_failed = sum(c["failed"] for c in concurrency)
    summary = {
        "fuzz": {
            "examples_per_operation": examples,
            "operations": len(stats),
            "cases_tried": sum(s["cases"] for s in stats),
            "failures": sum(s["failures"] for s in stats) + (fuzz["failed"] if not stats else 0),
            "operations_failed": fuzz["failed"],
            "known_gaps_seen": known,
            "minutes": round(fuzz_time / 60, 1),
        },
        "concurrency": {"rounds": repeat, "tests_run": conc_tests, "failed": conc_failed},
        "faults": {
            "survived": faults["tests"] - faults["failed"] - faults["skipped"],
            "failed": faults["failed"],
            "skipped": faults["skipped"],
        },
        "load": {
            "seconds": soak.get("seconds"),
            "requests": soak.get("requests"),
            "achieved_rate": soak.get("achieved_rate"),
            "errors": soak.get("errors"),
            "error_kinds": soak.get("error_kinds"),
            "bookings_created": soak.get("bookings_created"),
            "worker_rss_kb_start": soak.get("worker_rss_kb_start"),
            "worker_rss_kb_end": soak.get("worker_rss_kb_end"),
        },
        "restore_drill": drill,
        "rows_lost": soak.get("rows_lost"),
        "logs": str(out),
    }
    ok = (
        fuzz_code == 0
        and fuzz["failed"] == 0
        and conc_failed == 0
        and faults["failed"] == 0
        and drill["failed"] == 0
        and drill["tests"] > 0
        and soak_code == 0
        and soak.get("errors") == 0
        and soak.get("rows_lost") == 0
    )
    summary["result"] = "PASS" if ok else "FAIL"
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
