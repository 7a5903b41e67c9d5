"""The reading view in a real browser: maths font, tables and code at a phone's width."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser import browser, serve
from conftest import ROOT

SITE = Path(os.environ.get("KERNELSITE_SITE", ROOT / "site"))


@pytest.fixture(scope="module")
def pages():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site in {SITE}: run `make build` first", pytrace=False)
    with serve(SITE) as url, browser() as chromium:
        yield url, chromium


def test_matrix_brackets_stretch_with_the_served_maths_font(pages):
    url, chromium = pages
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
def test_no_table_cell_breaks_a_word_at_390_px(pages, chapter):
    url, chromium = pages
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(url + chapter)
    broken = page.evaluate(
        """() => {
          const out = [];
          const cells = document.querySelectorAll('.md-typeset td, .md-typeset th');
          for (const cell of cells) {
            const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              // a break after a hyphen is fine: the parts between hyphens must stay whole
              for (const word of node.textContent.matchAll(/[^\\s-]+/g)) {
                const range = document.createRange();
                range.setStart(node, word.index);
                range.setEnd(node, word.index + word[0].length);
                const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                if (tops.size > 1) out.push(word[0]);
              }
            }
          }
          return out;
        }"""
    )
    assert broken == [], f"{chapter}: words split across lines in table cells: {broken[:10]}"
