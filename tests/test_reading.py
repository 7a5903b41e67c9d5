"""The reading view in a real browser: maths font, tables and code at a phone's width, figures
in both palettes and on a phone."""

from __future__ import annotations

import io
import statistics

import pytest
from PIL import Image

from gates import PALETTE_TOGGLE

# The words (runs between spaces and hyphens: a break after a hyphen is fine) that the browser
# split across lines inside the elements matching `selector`; with `longWordsMayBreak`, a word
# at least half as wide as its element may break.
SPLIT_WORDS = """({selector, longWordsMayBreak}) => {
  const out = [];
  for (const element of document.querySelectorAll(selector)) {
    const width = element.getBoundingClientRect().width;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.textContent.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const rects = [...range.getClientRects()];
        const tops = new Set(rects.map((r) => Math.round(r.top)));
        const length = rects.reduce((sum, r) => sum + r.width, 0);
        if (tops.size > 1 && !(longWordsMayBreak && length >= width / 2)) out.push(word[0]);
      }
    }
  }
  return out;
}"""


def test_matrix_brackets_stretch_with_the_served_maths_font(chromium):
    url, chromium = chromium
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url + "fixed/")
    page.evaluate("document.fonts.ready")
    found = page.evaluate(
        """() => {
          const m = [...document.querySelectorAll('math')].find(
            (m) => m.querySelector('mtable') && m.textContent.includes('10'));
          const size = parseFloat(getComputedStyle(m).fontSize);
          const brackets = [...m.querySelectorAll('mo')]
            .filter((o) => o.textContent.trim() === '[');
          return {size, heights: brackets.map((o) => o.getBoundingClientRect().height),
                  font: document.fonts.check(`${size}px "Site Math"`)};
        }"""
    )
    assert found["font"], "the served maths font did not load"
    assert found["heights"], "no bracket found in the Sobel/Scharr factorisation"
    # A column vector of three rows: each bracket spans about three lines, not one.
    assert min(found["heights"]) > 2 * found["size"], found


@pytest.mark.parametrize("chapter", ["learning/", "notation/", "weights/", "fixed/"])
def test_no_table_cell_breaks_a_word_at_390_px(chromium, chapter):
    url, chromium = chromium
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(url + chapter)
    broken = page.evaluate(SPLIT_WORDS, {"selector": ".md-typeset td, .md-typeset th"})
    assert broken == [], f"{chapter}: words split across lines in table cells: {broken[:10]}"


def test_printed_output_wraps_at_390_px_and_code_keeps_its_lines(chromium):
    url, chromium = chromium
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(url)  # the home page prints lines longer than a phone's column
    found = page.evaluate(
        """() => {
          const sizes = (selector) => [...document.querySelectorAll(selector)]
            .map((code) => ({scroll: code.scrollWidth, client: code.clientWidth,
                             wrap: getComputedStyle(code).whiteSpace}));
          return {output: sizes('.snippet-output pre > code'),
                  code: sizes('.language-python pre > code')};
        }"""
    )
    assert found["output"], "no printed output on the home page"
    for block in found["output"]:
        assert block["wrap"] == "pre-wrap" and block["scroll"] <= block["client"], found
    assert all(block["wrap"] == "pre" for block in found["code"]), found["code"]


def test_notebook_output_wraps_between_words_at_390_px(chromium):
    url, chromium = chromium
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(url + "visualising/")
    broken = page.evaluate(
        SPLIT_WORDS, {"selector": ".jp-RenderedText pre", "longWordsMayBreak": True}
    )
    page.close()
    assert broken == [], f"words split across lines in printed output: {broken[:10]}"


# -- Figures follow the palette, and phones get the narrow layout ---------------------------------

CHAPTERS = [
    "fixed/",
    "notation/",
    "weights/",
    "learning/",
    "initialisation/",
    "line/",
    "words/",
    "real/",
]
# Multi-panel figures that must be laid out again for a phone (page, snippet folder).
NARROW = [
    ("notation/", "notation/conv_arithmetic/"),
    ("notation/", "notation/convolution_theorem/"),
    ("weights/", "weights/receptive_field/"),
    ("learning/", "learning/learn_sobel_back/"),
]
# Shown: laid out, and not inside a collapsed block (whose content Chromium still lays out).
FIGURE_IMG = ":is(figure, .jupyter-wrapper) img"  # a chapter's figures, a notebook page's
SHOWN_FIGURES_JS = f"""(only) => [...document.querySelectorAll(`{FIGURE_IMG}[src$="#${{only}}"]`)]
  .filter((img) => img.getClientRects().length && !img.closest('details:not([open])'))
  .map((img) => img.getAttribute('src'))"""
LOADED_JS = "(img) => img.complete && img.naturalWidth > 0"


def switch_palette(page) -> str:
    """Click the palette toggle, as a reader does; returns the new scheme."""
    before = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    page.locator(PALETTE_TOGGLE).click()
    page.wait_for_function(
        "before => document.body.getAttribute('data-md-color-scheme') !== before", arg=before
    )
    return page.evaluate("document.body.getAttribute('data-md-color-scheme')")


def background_luminance(page, src: str) -> float:
    """Median luminance (0..1) of a ring just inside the displayed figure's edge: its
    background (a panel may reach the edge here and there, not around most of it)."""
    img = page.locator(f'{FIGURE_IMG}[src="{src}"]')
    img.scroll_into_view_if_needed()
    page.wait_for_function(LOADED_JS, arg=img.element_handle())
    shot = Image.open(io.BytesIO(img.screenshot(animations="disabled"))).convert("L")
    width, height = shot.size
    inset = 6  # inside the frame and its rounded corners
    ring = [(x, inset) for x in range(inset, width - inset)]
    ring += [(x, height - 1 - inset) for x in range(inset, width - inset)]
    ring += [(inset, y) for y in range(inset, height - inset)]
    ring += [(width - 1 - inset, y) for y in range(inset, height - inset)]
    return statistics.median(shot.getpixel(xy) for xy in ring) / 255


@pytest.mark.parametrize(
    "chapter", [*CHAPTERS, "visualising/", "walkthroughs/convolution_by_hand/"]
)
def test_figures_are_light_in_the_light_palette_and_dark_in_the_dark_one(chromium, chapter):
    """Every figure drawn on a white background in the light palette (all but those whose
    panels reach the edges) is drawn on a dark one in the dark palette: no white boxes."""
    url, chromium = chromium
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, color_scheme="light")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url + chapter)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default"
    light = page.evaluate(SHOWN_FIGURES_JS, "only-light")
    assert light, f"{chapter}: no figure shown in the light palette"
    assert page.evaluate(SHOWN_FIGURES_JS, "only-dark") == []
    on_white = [src for src in light if background_luminance(page, src) > 0.9]
    assert on_white, f"{chapter}: no figure on a white background in the light palette"
    # every figure has been scrolled to: the hidden dark variants (lazy) were not downloaded
    assert [u for u in requested if ".dark." in u] == [], "hidden dark figures were downloaded"
    assert switch_palette(page) == "slate"
    dark = page.evaluate(SHOWN_FIGURES_JS, "only-dark")
    assert page.evaluate(SHOWN_FIGURES_JS, "only-light") == []
    assert [s.replace(".dark.", ".").removesuffix("#only-dark") for s in dark] == [
        s.removesuffix("#only-light") for s in light
    ]
    for src in on_white:
        stem, ext = src.removesuffix("#only-light").rsplit(".", 1)
        src = f"{stem}.dark.{ext}#only-dark"
        luminance = background_luminance(page, src)
        assert luminance < 0.2, f"{chapter} {src}: background luminance {luminance:.2f}"
    page.close()


# Evidence first, detail one click away: a chapter's code, long printed output and asides are
# collapsed, so that at 1280 px its figures, claims and numbers fit in this height.
MAX_CHAPTER_HEIGHT = 12_000


@pytest.mark.parametrize("chapter", [*CHAPTERS, "visualising/"])
def test_a_chapter_is_at_most_12000_px_tall_at_1280_px(chromium, chapter):
    url, chromium = chromium
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url + chapter)
    height = page.evaluate("document.documentElement.scrollHeight")
    collapsed = page.evaluate("document.querySelectorAll('details:not([open])').length")
    page.close()
    assert collapsed > 0, f"{chapter}: nothing collapsed"
    assert height <= MAX_CHAPTER_HEIGHT, f"{chapter}: {height} px tall"


@pytest.mark.parametrize("chapter", sorted({page for page, _ in NARROW}))
def test_a_phone_shows_the_narrow_layout_of_multi_panel_figures(chromium, chapter):
    url, chromium = chromium
    folders = [folder for page, folder in NARROW if page == chapter]
    for width, narrow in ((390, True), (1280, False)):
        page = chromium.new_page(viewport={"width": width, "height": 844}, color_scheme="light")
        page.goto(url + chapter)
        for scheme in ("light", "dark"):
            if scheme == "dark":
                switch_palette(page)
            only = f"only-{scheme}"
            for folder in folders:
                img = page.locator(f'figure img[src*="{folder}fig1."][src$="#{only}"]')
                assert img.count() == 1, f"{chapter}: no {only} figure of {folder}"
                img.scroll_into_view_if_needed()
                page.wait_for_function(LOADED_JS, arg=img.element_handle())
                shown = img.evaluate("(img) => img.currentSrc").rsplit("/", 1)[1]
                stem, ext = shown.split(".")[0], shown.rsplit(".", 1)[1]
                parts = [
                    stem,
                    *(["narrow"] if narrow else []),
                    *(["dark"] if scheme == "dark" else []),
                ]
                expected = ".".join([*parts, ext])
                assert shown == expected, f"{folder} at {width} px, {scheme}: shows {shown}"
                # the figure fits the screen
                box = img.bounding_box()
                assert box["width"] <= width - 30, f"{folder}: {box['width']} px wide"
        page.close()
