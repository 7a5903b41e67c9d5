"""Nothing jumps while a page starts, on a phone: the layout shifts a reader sees (the browser's
``layout-shift`` entries, as Lighthouse's CLS sums them) stay under 0.01 on the pages whose
widgets build themselves as the page loads, and on two pages of formulas (a chapter and a
notebook), which fetch the maths font early so that formulas do not grow when it arrives. The
widgets at the top of their pages hold their place with a reserved height (site.css), which must
never be taller than the widget it holds, or a gap would stay below it.

Needs the built site (``make build``); KERNELSITE_SITE=/some/folder checks a site built elsewhere.
"""

from __future__ import annotations

import re

import pytest

from conftest import built_site

# Every layout shift since the page began loading, with the elements that moved.
RECORD_SHIFTS = """
window.layoutShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    const moved = (entry.sources || []).map((s) => s.node && (s.node.id || s.node.nodeName));
    window.layoutShifts.push({ value: entry.value, moved });
  }
}).observe({ type: "layout-shift", buffered: true });
"""
# The widget has started: its first output is drawn.
STARTED = {
    "learn/": "window.kernelLearning && window.kernelLearning.ready",
    "playground/": "window.playground && window.playground.version > 0",
    "words/": "document.readyState === 'complete'",
    "fixed/": "document.readyState === 'complete'",
    "walkthroughs/convolution_by_hand/": "document.readyState === 'complete'",  # a notebook page
}
RESERVED = {"learn/": "#kernel-learner", "playground/": "#kernel-playground"}


def open_phone(chromium, path: str, width: int = 412, height: int = 823):
    base, instance = chromium
    context = instance.new_context(
        viewport={"width": width, "height": height}, is_mobile=True, device_scale_factor=1.75
    )
    context.add_init_script(RECORD_SHIFTS)
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_function(STARTED[path], timeout=30_000)
    page.wait_for_timeout(1000)  # what the start-up draws last has been laid out
    return context, page


@pytest.mark.parametrize("path", sorted(STARTED))
def test_nothing_visible_jumps_while_the_page_starts(chromium, path):
    context, page = open_phone(chromium, path)
    try:
        shifts = page.evaluate("window.layoutShifts")
        total = sum(shift["value"] for shift in shifts)
        assert total < 0.01, f"{path}: layout shifts {total:.4f}: {shifts}"
    finally:
        context.close()


@pytest.mark.parametrize("path", sorted(RESERVED))
@pytest.mark.parametrize("width", [360, 390, 1280, 1920])
def test_the_reserved_height_is_never_taller_than_the_widget(chromium, path, width):
    context, page = open_phone(chromium, path, width=width, height=1200)
    try:
        widget = page.locator(RESERVED[path])
        reserved = widget.evaluate("node => parseFloat(getComputedStyle(node).minHeight)")
        content = widget.evaluate(
            "node => [...node.children].reduce((sum, child) => sum + child.offsetHeight, 0)"
        )
        assert reserved > 0, f"{path}: no height reserved"
        assert content >= reserved, f"{path} at {width} px: {content} px shown, {reserved} reserved"
    finally:
        context.close()


def test_pages_with_formulas_fetch_the_maths_font_early_and_only_they():
    site = built_site()
    with_maths = 0
    for page in sorted(site.rglob("index.html")):
        html = page.read_text(encoding="utf-8")
        links = re.findall(r'<link rel="preload" href="([^"]+)" as="font"', html)
        head = html[: html.index("</head>")]
        if "<math" in html:
            with_maths += 1
            assert len(links) == 1 and links[0] in head, f"{page}: {links}"
            assert (page.parent / links[0]).resolve() == site / "assets" / "fonts" / "math.woff"
        else:
            assert not links, f"{page} has no formula but preloads {links}"
    assert with_maths >= 10


# The site's own modules the page fetched (not Material's bundle and its search worker).
LOADED_MODULES = """performance.getEntriesByType("resource").map((entry) => entry.name)
  .filter((url) => /\\/assets\\/[^/]+\\.js$/.test(url))"""
PRELOADED = (
    """[...document.head.querySelectorAll('link[rel="modulepreload"]')].map((link) => link.href)"""
)


@pytest.mark.parametrize("path", ["learn/", "playground/", "words/"])
def test_every_module_a_page_loads_is_named_in_its_head(chromium, path):
    """The browser fetches a page's modules with its stylesheets, all at once, rather than one
    import after another (kernelsite/pagehtml.py, preload_modules)."""
    context, page = open_phone(chromium, path)
    try:
        loaded, preloaded = page.evaluate(LOADED_MODULES), page.evaluate(PRELOADED)
        assert len(loaded) >= 4, f"{path}: {loaded}"  # the page's script and what it imports
        assert sorted(set(loaded)) == sorted(preloaded), f"{path}: {loaded} vs {preloaded}"
    finally:
        context.close()
