"""Playwright + axe-core fixtures, available to every test directory (tests/conftest.py imports them).

    def test_my_page(page, live_server, axe_check):
        page.goto(live_server.url + "/my/page/")
        axe_check(page)           # fails the test listing every WCAG 2.2 A/AA violation

``page`` has JavaScript on; ``page_without_js`` has it off. Both talk to pytest-django's
``live_server``. Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CIVICFORUM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


BROWSER_FIXTURES = {"page", "page_without_js", "browser"}


def mark_browser_tests(items: list[pytest.Item]) -> None:
    """Tests that use a browser fixture get the ``browser`` marker (``-m "not browser"`` skips them)."""
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make chromium) to run browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's async-safety guard would
    # otherwise refuse the ORM calls tests make to set up data.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def _plain_http_cookies(settings: Any) -> None:
    """The live server speaks plain HTTP, so secure-only cookies would never come back."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


def _new_page(browser: Any, **options: Any) -> Iterator[Any]:
    # bypass_csp lets the axe-core script be injected; the CSP itself is tested in tests/web.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(browser: Any, live_server: Any, _plain_http_cookies: None) -> Iterator[Any]:
    yield from _new_page(browser)


@pytest.fixture
def page_without_js(browser: Any, live_server: Any, _plain_http_cookies: None) -> Iterator[Any]:
    yield from _new_page(browser, java_script_enabled=False)


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return "\n".join(lines)


def _outside_landmarks(page: Any) -> list[dict[str, Any]]:
    """axe's best-practice ``region`` rule: content outside the banner, main and footer landmarks is missed by
    screen-reader users who move by landmark. GOV.UK keeps the back link before ``<main>`` on purpose (so the
    skip link skips it), so back links are the one exception."""
    result = page.evaluate("async () => await axe.run(document, {runOnly: ['region']})")
    for violation in result["violations"]:
        violation["nodes"] = [node for node in violation["nodes"] if node["target"] != [".govuk-back-link"]]
    return [violation for violation in result["violations"] if violation["nodes"]]


@pytest.fixture(scope="session")
def axe_check() -> Callable[[Any], None]:
    """Run axe-core on the page; fail on any WCAG 2.2 A/AA violation or content outside landmarks."""
    source = AXE_SOURCE.read_text(encoding="utf-8")

    def check(page: Any) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=source)
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
        )
        violations = result["violations"] + _outside_landmarks(page)
        assert not violations, f"axe-core found accessibility problems on {page.url}:\n" + format_violations(
            violations
        )

    return check
