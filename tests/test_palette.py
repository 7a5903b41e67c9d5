"""The light/dark toggle (kernelsite/theme/partials/palette.html) in a real browser.

A page opens in the reader's last choice on this site, else in the system's palette, and is set
before the first frame: the page is styled once, in that palette (Material's own toggle restyled
the whole page three times as it started). The toggle is a button, usable from the keyboard, and
keeps the focus on the toggle after a switch.

Needs the built site (``make build``); KERNELSITE_SITE=/some/folder checks a site built elsewhere.
"""

from __future__ import annotations

import pytest

from gates import PALETTE_TOGGLE

SCHEME = "document.body.getAttribute('data-md-color-scheme')"
# The body's scheme as soon as anything could draw it: in a microtask queued when the parser
# inserts <body>, so after the page's own observers and before any script, task or frame.
FIRST_SCHEME = """new MutationObserver((_, observer) => {
  if (!document.body) return
  observer.disconnect()
  queueMicrotask(() => { window.firstScheme = document.body.getAttribute('data-md-color-scheme') })
}).observe(document, { childList: true, subtree: true })"""


def open_in(chromium, system: str, path: str = "fixed/"):
    base, instance = chromium
    context = instance.new_context(color_scheme=system, viewport={"width": 1280, "height": 900})
    context.add_init_script(FIRST_SCHEME)
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_function("window.firstScheme !== undefined")
    return context, page


@pytest.mark.parametrize(("system", "scheme"), [("light", "default"), ("dark", "slate")])
def test_a_first_visit_opens_in_the_system_palette_from_the_first_frame(chromium, system, scheme):
    context, page = open_in(chromium, system)
    try:
        assert page.evaluate("window.firstScheme") == scheme
        assert page.evaluate(SCHEME) == scheme
        # Material's palette component is not mounted: it marks the body while it restyles
        assert page.evaluate("document.body.hasAttribute('data-md-color-switching')") is False
        assert page.locator(PALETTE_TOGGLE).count() == 1
    finally:
        context.close()


def test_the_choice_is_kept_across_pages_and_beats_the_system(chromium):
    context, page = open_in(chromium, "light")
    try:
        page.locator(PALETTE_TOGGLE).click()
        assert page.evaluate(SCHEME) == "slate"
        page.goto(page.url.replace("fixed/", "learn/"))
        page.wait_for_function("window.firstScheme !== undefined")
        assert page.evaluate("window.firstScheme") == "slate"
        page.emulate_media(color_scheme="dark")
        page.emulate_media(color_scheme="light")  # a system change does not undo a choice
        assert page.evaluate(SCHEME) == "slate"
    finally:
        context.close()


def test_a_system_change_is_followed_while_no_choice_was_made(chromium):
    context, page = open_in(chromium, "light")
    try:
        page.emulate_media(color_scheme="dark")
        page.wait_for_function(f"{SCHEME} === 'slate'")
        page.emulate_media(color_scheme="light")
        page.wait_for_function(f"{SCHEME} === 'default'")
    finally:
        context.close()


def test_the_toggle_works_from_the_keyboard_and_keeps_the_focus(chromium):
    context, page = open_in(chromium, "light")
    try:
        toggle = page.locator(PALETTE_TOGGLE)
        assert toggle.get_attribute("aria-label") == "Switch to dark mode"
        toggle.focus()
        page.keyboard.press("Enter")
        assert page.evaluate(SCHEME) == "slate"
        focused = "document.activeElement.getAttribute('aria-label')"
        assert page.evaluate(focused) == "Switch to light mode"
        assert page.locator(PALETTE_TOGGLE).get_attribute("aria-label") == "Switch to light mode"
        page.keyboard.press("Space")
        assert page.evaluate(SCHEME) == "default"
        assert page.evaluate(focused) == "Switch to dark mode"
    finally:
        context.close()
