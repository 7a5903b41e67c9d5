"""`make serve` shows a build error in the open browser page and clears it after the fix."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser import browser
from conftest import make_site, write

# Generous waits: they catch a page that never updates, not a slow machine.
WAIT_MS = 180_000
GOOD = "answer = 42\nprint('the answer is', answer)\n"
BROKEN = "answer = 42\nraise ValueError('snippet broke on purpose')\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_served(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode()[-3000:]
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} was not served")


@pytest.fixture
def served_site(tmp_path: Path):
    page = (
        "# Demo\n\n{{ snippet demo/answer.py }}\n\nThe answer: {{ value demo/answer.py answer }}.\n"
    )
    make_site(tmp_path, page, {"demo/answer.py": GOOD})
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_served(url, server)
        yield tmp_path, url
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_serve_shows_a_build_error_in_the_page_and_clears_it_after_the_fix(served_site):
    root, url = served_site
    with browser() as chromium:
        page = chromium.new_page()
        page.goto(url)
        page.wait_for_selector("text=The answer: 42", timeout=WAIT_MS)
        write(root / "snippets/demo/answer.py", BROKEN)
        error = page.wait_for_selector(".admonition.failure", timeout=WAIT_MS)
        text = error.inner_text()
        assert "snippets/demo/answer.py:2: ValueError: snippet broke on purpose" in text
        assert "embedded in docs/index.md:3" in text
        write(root / "snippets/demo/answer.py", GOOD)
        page.wait_for_selector("text=The answer: 42", timeout=WAIT_MS)
        assert page.query_selector(".admonition.failure") is None
