"""Quality gates over the built site (``make test`` runs them after ``make build``).

Every page of site/ is served from 127.0.0.1 and visited in headless Chromium, in the light and
the dark palette (switched with the site's toggle, as a reader does). The gates live in
tests/gates.py; a failure lists one line per problem: "page: gate: element — detail".
build/gates-report.txt gets the five heaviest pages and the browser run time. With
KERNELSITE_SCREENSHOTS=folder (``make screenshots``), full-page screenshots of every page in both
palettes go to that folder too, for people to look at (they are left out of ``make test``).

Each heavy gate is ONE test item, so `pytest -n 2` never runs it twice; the browser gates are
subtests of a single browser session.

Set KERNELSITE_SITE=/some/folder to check a site built elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import gates
from conftest import GATES_REPORT, ROOT, built_site

BUILD = ROOT / "build"
SCREENSHOTS = os.environ.get("KERNELSITE_SCREENSHOTS")

SHOWN = 40  # problems listed in a failure message (the rest are counted)
BROWSER_GATES = {
    "external": "request to another host",
    "load": "failed load (HTTP >= 400 or network error)",
    "console": "console error",
    "palette": "palette toggle",
    "axe": "axe-core violation (WCAG 2.1 A/AA, or a rule Lighthouse scores)",
    "legible": "page with too much text under 12 px on a phone",
    "figures": "figure without meaningful alt text or not loaded",
}


def fail_on(problems: list[str], what: str) -> None:
    if problems:
        more = f"\n… and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        pytest.fail(
            f"{len(problems)} × {what}:\n" + "\n".join(problems[:SHOWN]) + more, pytrace=False
        )


@pytest.fixture(scope="module")
def site() -> Path:
    return built_site()


@pytest.fixture(scope="module")
def pages(site) -> dict[str, str]:
    """Every HTML file of the site, by its path in the site: read once for the checks below."""
    return {
        str(html.relative_to(site)): html.read_text(encoding="utf-8")
        for html in sorted(site.rglob("*.html"))
    }


def nav_titles() -> dict[str, str]:
    """Each page of mkdocs.yml's nav and the title the navigation gives it."""
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    nav = re.search(r"^nav:\n((?:[ \t]+.*\n)+)", config, re.M)
    return {
        m["page"]: m["title"]
        for m in re.finditer(r"^\s*- (?P<title>.+): (?P<page>\S+\.(?:md|py))$", nav[1], re.M)
    }


def test_each_navigation_title_is_the_page_title():
    titles = nav_titles()
    assert len(titles) >= 15, titles
    for page, title in titles.items():
        if page == "index.md":
            continue  # "Home" in the navigation, the site's question on the page
        source = (ROOT / "docs" / page).read_text("utf-8")
        heading = r"^# # (.+)$" if page.endswith(".py") else r"^# (.+)$"  # notebook: "# # …"
        assert re.search(heading, source, re.M)[1] == title, page
    numbered = [t for t in titles.values() if re.match(r"\d+\. ", t)]
    assert [int(t.split(".")[0]) for t in numbered] == list(range(1, 11)), numbered


def test_pages_pass_the_browser_gates(site, subtests):
    page_list = gates.pages(site)
    assert "index.html" in page_list and "404.html" in page_list, page_list
    start = time.perf_counter()
    screenshots = ROOT / SCREENSHOTS if SCREENSHOTS else None
    visits = gates.visit_site(site, page_list, screenshots)
    seconds = time.perf_counter() - start
    weights = gates.page_weights(site, {v.page: v.loaded for v in visits})

    text = "\n".join(
        [
            f"Browser gates: {len(visits)} pages of {site}, light and dark, {seconds:.1f} s",
            f"(slowest page {max(v.seconds for v in visits):.1f} s)"
            + (f"; screenshots in {screenshots}" if screenshots else ""),
            "",
            "Five heaviest pages:",
            gates.heaviest_table(weights),
        ]
    )
    BUILD.mkdir(exist_ok=True)
    GATES_REPORT.write_text(text + "\n", encoding="utf-8")
    print("\n" + text)

    assert [v.page for v in visits] == page_list
    for gate, what in BROWSER_GATES.items():
        with subtests.test(msg=gate):
            fail_on([p for v in visits for p in v.problems.get(gate, [])], what)
    with subtests.test(msg="weight"):
        fail_on(gates.overweight(weights), f"page above {gates.WEIGHT_LIMIT // 1024} KB gzip")


def test_no_page_references_resources_on_another_host(site):
    fail_on(gates.external_references(site), "resource on another host")


def test_internal_links_and_anchors_resolve(site):
    fail_on(gates.broken_links(site), "broken internal link or anchor")


def test_every_dialog_has_a_name(pages):
    """Material's search box is a dialog: unnamed, a screen reader announces just "dialog"
    (axe's aria-dialog-name, which costs Lighthouse's accessibility score 0.04)."""
    unnamed = [
        name
        for name, html in pages.items()
        for tag in re.findall(r"<[^>]*\brole=\"dialog\"[^>]*>", html)
        if "aria-label=" not in tag and "aria-labelledby=" not in tag
    ]
    assert not unnamed, f"dialogs without a name in {unnamed}"


def test_every_code_block_can_be_focused_before_material_mounts_it(pages):
    """Material gives a wide code block its tabindex only once the block has been seen
    (content.lazy): the build's tabindex lets a keyboard reach and scroll it before that."""
    bare = [
        name
        for name, html in pages.items()
        if re.search(r"<pre\b[^>]*>(?:<span></span>)?<code>", html)
    ]
    assert not bare, f"code blocks without a tabindex in {bare}"


def test_code_carries_no_span_that_changes_nothing(pages):
    """A name or a space in code is drawn in the code's own colour: a <span> around each would
    be a third of a chapter's elements, parsed and walked at every style pass for nothing."""
    code = re.compile(r'class="language-[^"]* highlight">.*?</pre>', re.DOTALL)
    wrapped = [
        name
        for name, html in pages.items()
        for block in code.findall(html)
        if re.search(r'<span class="[nw]">', block)
    ]
    assert not wrapped, f"code tokens wrapped in a span that adds no colour in {wrapped}"


def test_heading_permalinks_are_named_without_a_title(pages):
    """Material mounts a tooltip on every titled element of the content as the page loads (each
    measured with a forced layout): headings' permalinks are named by aria-label instead."""
    titled = [
        name
        for name, html in pages.items()
        if re.search(r'<a class="headerlink"[^>]* title=', html)
    ]
    assert not titled, f"permalinks with a title in {titled}"


def test_search_index_holds_prose_not_code_or_figures(site):
    """Every page downloads the search index: a figure's data or the code in it would weigh on
    all of them, and code would crowd the results."""
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "kernelsite-figure" not in index and "base64," not in index
    entries = json.loads(index)["docs"]
    for code in ("import torch", "plt.subplots(", "In [1]:", "Copied!"):
        found = [e["location"] for e in entries if code in e["text"]]
        assert not found, f"{code!r} in the search index, from {found}"
    notebook_prose = "bilinear interpolation"  # a sentence of the visualising page
    assert any(notebook_prose in e["text"] for e in entries if e["location"].startswith("vis"))


def test_html_is_valid_for_the_nu_checker(site):
    fail_on(gates.invalid_html(site), "Nu HTML Checker error")


def test_second_build_is_byte_identical(site, tmp_path):
    """`mkdocs build --strict` again, into another folder: same HTML, figures, downloads, index."""
    second = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--quiet",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(second),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"second build failed:\n{proc.stderr[-3000:]}"
    fail_on(gates.build_differences(site, second), "difference between two builds")
