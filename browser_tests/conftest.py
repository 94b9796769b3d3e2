"""Real-browser fixtures: Debian's chromium driven by Playwright's sync API against pytest-django's live server.

Playwright is imported inside the fixtures, so this folder collects (and its tests skip with a reason) where
Playwright or chromium is missing; CI installs both (``requirements-browser.txt`` and ``apt-get install chromium``).
Screenshots go to ``artifacts/browser/`` (git-ignored) and are listed at the end of the test run.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless, in a container (no sandbox, no GPU) and offline: nothing but the live server is contacted.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000

_screenshots: list[Path] = []


@pytest.fixture(scope="session")
def artifacts_dir(pytestconfig) -> Path:
    folder = pytestconfig.rootpath / "artifacts" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    """One headless chromium per test module.

    Playwright's sync API keeps an asyncio event loop running in this thread while it is open, and Django then
    refuses every ORM call the test makes in between ("You cannot call this from an async context") although
    nothing here is async. ``DJANGO_ALLOW_ASYNC_UNSAFE`` lifts that check for as long as the browser is open, and
    the browser closes with its module, so the rest of the suite keeps Django's check.
    """
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -r requirements-browser.txt)"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()


@pytest.fixture
def new_page(browser, live_server, request, artifacts_dir) -> Iterator[Callable]:
    """``new_page(name)``: a page in a fresh browser context (its own cookies, so one per staff member) on the live
    server. When the test fails, each page's last state is saved as ``artifacts/browser/<test>-<name>-failed.png``."""
    contexts = []

    def make(name: str):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        contexts.append((name, context, page))
        return page

    yield make

    report = getattr(request.node, "rep_call", None)
    for name, context, page in contexts:
        if report is not None and report.failed:
            path = artifacts_dir / f"{request.node.name}-{name}-failed.png"
            try:
                page.screenshot(path=path, full_page=True)
            except Exception as exc:  # the page or browser may be gone; the test's own failure is what matters
                print(f"no screenshot of {name}: {exc}")
            else:
                _screenshots.append(path)
        context.close()


@pytest.fixture
def screenshot(artifacts_dir) -> Callable:
    """``screenshot(page, name)``: the whole page as ``artifacts/browser/<name>.png``, kept as a test artifact."""

    def save(page, name: str) -> Path:
        path = artifacts_dir / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        _screenshots.append(path)
        return path

    return save


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell at teardown whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter):
    if _screenshots:
        terminalreporter.section("browser screenshots")
        for path in _screenshots:
            terminalreporter.write_line(str(path))
