"""Production readiness: ``check --deploy`` passes with the production environment, and gunicorn.conf.py reads its
environment."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# What deploy/production.env.example sets (plus a real-looking key and host).
PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "lab.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://lab.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
}


def _check_deploy(**overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION}
    env.update(PRODUCTION, SECRET_KEY=secrets.token_urlsafe(50))
    env.update(overrides)
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_values():
    done = _check_deploy()

    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.parametrize(
    ("override", "warning"),
    [
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SESSION_COOKIE_SECURE": "0"}, "security.W012"),
        ({"CSRF_COOKIE_SECURE": "0"}, "security.W016"),
        ({"SECRET_KEY": "short-key"}, "security.W009"),
    ],
)
def test_check_deploy_fails_when_a_production_value_is_missing(override, warning):
    done = _check_deploy(**override)

    assert done.returncode != 0
    assert warning in done.stdout + done.stderr


def test_secure_cookies_are_the_default_with_debug_off():
    # The test run has DEBUG=0 and sets no *_COOKIE_SECURE variable (see the Makefile's test target).
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    # Redirecting to HTTPS is left to the proxy unless turned on (the test client speaks plain HTTP).
    assert settings.SECURE_SSL_REDIRECT is False


def _gunicorn_config(monkeypatch, **env) -> dict:
    for key in ("BIND", "PORT", "WEB_CONCURRENCY", "WORKER_CLASS", "GUNICORN_THREADS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults(monkeypatch):
    config = _gunicorn_config(monkeypatch)

    assert config["bind"] == "127.0.0.1:8000"
    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["worker_class"] == "gthread"
    assert config["threads"] == 4
    assert config["accesslog"] == "-"
    assert config["max_requests"] > 0
    assert config["max_requests_jitter"] > 0
    assert 0 < config["timeout"] <= 60


def test_gunicorn_reads_port_bind_and_concurrency_from_the_environment(monkeypatch):
    assert _gunicorn_config(monkeypatch, PORT="9123")["bind"] == "0.0.0.0:9123"
    config = _gunicorn_config(monkeypatch, PORT="9123", BIND="unix:/run/diagnopet.sock", WEB_CONCURRENCY="3")
    assert config["bind"] == "unix:/run/diagnopet.sock"
    assert config["workers"] == 3
    sync = _gunicorn_config(monkeypatch, WORKER_CLASS="sync")
    assert sync["worker_class"] == "sync"
    assert sync["threads"] == 1


@pytest.mark.parametrize(("code", "expected"), [(0, 0), (3, 3)])
def test_gunicorn_worker_exit_skips_teardown_only_on_a_normal_exit(code, expected):
    """A recycled worker leaves with os._exit(0) (nothing after it runs); an error exit keeps its code."""
    script = (
        "import runpy, sys\n"
        f"config = runpy.run_path({str(ROOT / 'gunicorn.conf.py')!r})\n"
        "import django; django.setup()\n"
        "try:\n"
        f"    sys.exit({code})\n"
        "finally:\n"
        "    config['worker_exit'](None, None)\n"
        "    print('teardown')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "diagnopet.settings"}
    done = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == expected, done.stderr
    assert ("teardown" in done.stdout) == (code != 0)
