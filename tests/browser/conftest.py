"""Playwright driving Debian's Chromium (never a downloaded browser build).

Outside CI the journeys skip, saying why, where no Chromium is installed; in CI
(``CI`` set) a missing browser is a failure, because ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    return (
        os.environ.get("CASEDESK_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    path = _chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the browser journey (.ci/run installs it)")
        pytest.skip("no Chromium here: `apt-get install chromium` (or set CASEDESK_CHROMIUM)")
    # Playwright's sync API runs an event loop in this thread; the live server's ORM calls
    # happen in its own thread, and the test's own ORM reads are plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
