"""Real-browser helpers for the tests: serve a built site on 127.0.0.1, drive Debian's Chromium.

Sites are served by ``kernelsite.serve_gzip`` (text gzipped, as a static host sends it).
Playwright's own browser download is not used (not reachable here); Chromium comes from Debian
(``make browser-deps``).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

from kernelsite.serve_gzip import serve  # noqa: F401 (the tests' server)

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is missing: run `make browser-deps` (Debian package chromium)")
    return path


@contextlib.contextmanager
def browser() -> Iterator:
    """One headless Chromium for many pages (starting it costs about a second)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def open_page(
    chromium, path: str, ready: str, width: int = 1280, timeout: int = 30_000, near: str = ""
):
    """Open ``path`` of a served site in a new page of ``chromium`` (a (base URL, browser)
    pair) and wait until the JavaScript expression ``ready`` is true; returns the page and a
    list that collects its script errors. ``near``: the CSS selector of a widget that starts
    only when a reader scrolls near it (dom.js ``whenNear``), scrolled into view first."""
    base, instance = chromium
    page = instance.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(base + path)
    if near:
        page.locator(near).scroll_into_view_if_needed()
    page.wait_for_function(ready, timeout=timeout)
    return page, errors
