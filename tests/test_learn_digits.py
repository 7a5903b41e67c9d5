"""The digits CNN of the "Learn a kernel yourself" page (docs/assets/digits.js) in a real browser.

The page trains three networks (kernels learned, kept at their random start, fixed to a bank)
for a seed, learning rate and number of kernels the reader picks. It draws the start and the
order of the mini-batches from the same generator as snippets/learn/digits_cnn_in_pytorch.py,
so for every setting its weights must equal the snippet's ``torch.optim.SGD`` run (the snippet's
own ``train`` and ``draws``, imported here) to rounding error, and its ten-seed summary must equal
the snippet's ``ten_seeds``. Bad settings must be named in a message and change nothing.

Needs the built site (``make build``); KERNELSITE_SITE=/some/folder checks a site built elsewhere.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

import browser as pages
from conftest import snippet_module

matplotlib.use("Agg")  # the snippet's figure is not shown; the environment is left as it was

TOLERANCE = 1e-9  # float64 on both sides; only the order of the sums differs
STEPS = 30  # more than one epoch (26 mini-batches), so the second epoch's order is used too
SETTINGS = [(0, 0.5, 4), (7, 0.1, 6), (3, 1.0, 2)]  # seed, learning rate, kernels
NAMES = {"convW": "conv.weight", "convB": "conv.bias", "headW": "head.weight", "headB": "head.bias"}
STATE = "window.kernelLearning.digits.state()"


@pytest.fixture(scope="module")
def snippet(tmp_path_factory):
    """The snippet, run once in an empty folder (it trains its ten seeds and writes its JSON)."""
    return snippet_module("learn/digits_cnn_in_pytorch.py", tmp_path_factory.mktemp("digits"))


def open_page(chromium, width: int = 1280):
    return pages.open_page(
        chromium,
        "learn/",
        "window.kernelLearning?.digits?.ready",
        width,
        timeout=30_000,
        near="#digits-learner",
    )


@pytest.fixture(scope="module")
def page(chromium):
    page, errors = open_page(chromium)
    yield page
    assert not errors, f"errors in the page: {errors}"
    page.close()


def state(page) -> dict:
    return page.evaluate(STATE)


def configure(page, seed, lr, kernels) -> dict:
    """Type a setting into the three fields as a reader would (Enter after each)."""
    for name, value in (("seed", seed), ("lr", lr), ("kernels", kernels)):
        page.fill(f"#kd-{name}", str(value))
        page.press(f"#kd-{name}", "Enter")
    page.click("#kd-reset")
    now = state(page)
    assert (now["seed"], now["lr"], now["kernels"], now["step"]) == (seed, lr, kernels, 0), now
    assert now["error"] == "", now
    return now


def page_steps(page, n: int) -> dict:
    """n steps: two by clicking Step, the rest through digits.step (the method the button calls)."""
    page.click("#kd-step")
    page.click("#kd-step")
    page.evaluate(f"window.kernelLearning.digits.step({n - 2})")
    now = state(page)
    assert now["step"] == n
    return now


# -- exactness ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed, lr, kernels", SETTINGS)
def test_every_weight_of_the_three_networks_matches_the_snippets_torch_run(
    page, snippet, seed, lr, kernels
):
    start = configure(page, seed, lr, kernels)
    drawn, _ = snippet.draws(seed, kernels)
    for mode in ("learned", "random"):  # the page draws exactly the snippet's start
        for key, name in NAMES.items():
            assert start["modes"][mode][key] == drawn[name].flatten().tolist(), (mode, key)
    assert start["modes"]["bank"]["convW"] == snippet.bank[:kernels].flatten().tolist()
    now = page_steps(page, STEPS)
    expected = snippet.train([seed], lr, kernels, STEPS)
    worst = 0.0
    for mode, (params, accuracy) in expected.items():
        got = now["modes"][mode]
        for key, name in NAMES.items():
            reference = params[name][0].flatten().numpy()
            worst = max(worst, float(np.abs(np.array(got[key]) - reference).max()))
        assert got["accuracy"] == accuracy[0].item(), mode
    print(
        f"digits, seed {seed}, lr {lr}, {kernels} kernels: max |page - torch| over all weights "
        f"after {STEPS} steps = {worst:.1e}; one step of the three networks "
        f"{now['stepMs']:.2f} ms"
    )
    assert worst <= TOLERANCE
    # Kept random and fixed kernels did not move; learned ones did.
    assert now["modes"]["random"]["convW"] == start["modes"]["random"]["convW"]
    assert now["modes"]["bank"]["convW"] == start["modes"]["bank"]["convW"]
    assert now["modes"]["learned"]["convW"] != start["modes"]["learned"]["convW"]


def test_train_runs_to_done_matches_the_snippets_accuracy_and_then_stops(page, snippet):
    configure(page, snippet.seed, snippet.lr, snippet.n_kernels)
    page.click("#kd-play")
    assert page.get_attribute("#kd-play", "aria-pressed") == "true"
    page.wait_for_function(f"{STATE}.step === {snippet.steps}", timeout=120_000)
    page.wait_for_function("document.getElementById('kd-play').textContent === 'Train'")
    now = state(page)
    for mode, (_, accuracy) in snippet.runs.items():  # the snippet's first seed is seed 0
        assert now["modes"][mode]["accuracy"] == accuracy[0].item(), mode
        text = f"{100 * accuracy[0].item():.1f}%"
        assert text in page.inner_text(f"#kd-{mode}-caption")
        assert text in page.get_attribute(f"#kd-{mode}-accuracy", "aria-label")
        assert "loss" in page.get_attribute(f"#kd-{mode}-loss", "aria-label")
    assert "Done" in page.inner_text("#kd-status") and now["done"]
    # At Done, Train and Step are disabled (Step used to stay enabled and do nothing).
    assert page.is_disabled("#kd-play") and page.is_disabled("#kd-step")
    assert page.evaluate("document.activeElement.id") == "kd-reset"  # focus was on Train
    page.click("#kd-reset")
    assert page.is_enabled("#kd-play") and page.is_enabled("#kd-step")
    assert state(page)["step"] == 0


def test_at_done_step_and_train_are_off_and_the_focus_moves_to_reset(page):
    configure(page, 0, 0.5, 4)
    total = state(page)["steps"]
    page.evaluate(f"window.kernelLearning.digits.step({total - 1})")
    page.focus("#kd-step")
    page.keyboard.press("Enter")  # the last step
    assert state(page)["step"] == total
    assert page.is_disabled("#kd-step") and page.is_disabled("#kd-play")
    assert "Done" in page.inner_text("#kd-status")
    # The focus moved to Reset, which starts again and turns Step and Train back on.
    assert page.evaluate("document.activeElement.id") == "kd-reset"
    page.keyboard.press("Enter")
    assert state(page)["step"] == 0
    assert page.is_enabled("#kd-step") and page.is_enabled("#kd-play")
    assert "Done" not in page.inner_text("#kd-status")


def test_ten_seeds_match_the_snippets_ten_seeds(page, snippet):
    configure(page, snippet.seed, snippet.lr, snippet.n_kernels)
    page.click("#kd-ten")
    assert page.is_visible("#kd-progress")
    page.wait_for_function(f"{STATE}.ten !== null", timeout=300_000)
    ten = state(page)["ten"]
    assert not page.is_visible("#kd-progress")
    for mode, (_, accuracy) in snippet.runs.items():  # the snippet's seeds 0 … 9
        assert ten["accuracy"][mode] == accuracy.tolist(), mode  # the test digits are fixed
        assert math.isclose(ten["spread"][mode]["mean"], snippet.spread[mode]["mean"])
        assert math.isclose(ten["spread"][mode]["sd"], snippet.spread[mode]["sd"])
    for name, reference in snippet.comparison.items():
        got = ten["comparison"][name]
        for key in ("n", "wins", "losses", "verdict"):
            assert got[key] == reference[key], (name, key)
        assert math.isclose(got["mean"], reference["mean"], abs_tol=1e-12), name
        assert math.isclose(got["se"], reference["se"], abs_tol=1e-12), name
        assert f"{100 * reference['se']:.1f}" in page.inner_text("#kd-ten-paired")
    assert page.locator("#kd-ten-sentence a[href*='initialisation']").count() == 1
    print(f"digits, 10 seeds × {snippet.steps} steps of the three networks: {ten['ms']:.0f} ms")


def test_ten_seeds_can_be_cancelled(page):
    configure(page, 5, 0.5, 4)
    page.click("#kd-ten")
    assert state(page)["tenRunning"]
    page.click("#kd-ten")
    now = state(page)
    assert not now["tenRunning"] and now["ten"] is None
    assert "cancelled" in page.inner_text("#kd-ten-status")
    assert not page.is_visible("#kd-progress")


# -- bad settings, keyboard, small screens -----------------------------------------------------

BAD = [
    ("seed", "", "Seed is empty"),
    ("seed", "seven", "Seed “seven” is not a number"),
    ("seed", "-1", "Seed must be from 0"),
    ("seed", "2.5", "Seed must be a whole number"),
    ("seed", "1e9", "Seed must be from 0"),
    ("lr", "", "Learning rate is empty"),
    ("lr", "fast", "Learning rate “fast” is not a number"),
    ("lr", "0", "Learning rate must be more than 0"),
    ("lr", "-0.5", "Learning rate must be more than 0"),
    ("lr", "1e6", "Learning rate must be at most"),
    ("kernels", "", "Kernels is empty"),
    ("kernels", "four", "Kernels “four” is not a number"),
    ("kernels", "0", "Kernels must be from 1 to 8"),
    ("kernels", "-3", "Kernels must be from 1 to 8"),
    ("kernels", "9", "Kernels must be from 1 to 8"),
    ("kernels", "2.5", "Kernels must be a whole number"),
]


@pytest.mark.parametrize("name, text, message", BAD, ids=[f"{n}={t!r}" for n, t, _ in BAD])
def test_a_bad_setting_is_named_and_changes_nothing(page, name, text, message):
    configure(page, 2, 0.25, 3)
    before = page_steps(page, 3)
    page.fill(f"#kd-{name}", text)
    page.press(f"#kd-{name}", "Enter")
    assert page.is_visible("#kd-error")
    assert message in page.inner_text("#kd-error")
    assert page.get_attribute(f"#kd-{name}", "aria-invalid") == "true"
    after = state(page)
    for key in ("seed", "lr", "kernels", "step", "modes"):
        assert after[key] == before[key], key
    page.fill(f"#kd-{name}", {"seed": "2", "lr": "0.25", "kernels": "3"}[name])
    page.press(f"#kd-{name}", "Enter")  # the same good value again: the message goes, no reset
    assert not page.is_visible("#kd-error") and state(page)["step"] == 3


def test_a_new_setting_restarts_from_its_own_start(page, snippet):
    configure(page, 1, 0.5, 4)
    page_steps(page, 3)
    page.fill("#kd-kernels", "8")
    page.press("#kd-kernels", "Enter")
    now = state(page)
    assert now["step"] == 0 and now["kernels"] == 8
    assert (
        now["modes"]["learned"]["convW"] == snippet.draws(1, 8)[0]["conv.weight"].flatten().tolist()
    )
    assert page.locator("#kd-bank canvas").count() == 8
    label = page.get_attribute("#kd-bank canvas >> nth=7", "aria-label")
    assert "Box blur" in label


def test_every_control_is_labelled_and_works_from_the_keyboard(page):
    configure(page, 0, 0.5, 4)
    unnamed = page.evaluate("""() => [...document.querySelectorAll(
        '.kd input, .kd button')]
        .filter((c) => !c.labels?.length && !c.getAttribute('aria-label')
                       && !c.textContent.trim()).map((c) => c.id)""")
    assert unnamed == []
    page.focus("#kd-seed")
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Tab")  # leaving the field applies it
    assert state(page)["seed"] == 4
    page.focus("#kd-lr")
    page.keyboard.press("Control+A")
    page.keyboard.type("0.2")
    page.keyboard.press("Enter")
    assert state(page)["lr"] == 0.2
    page.focus("#kd-step")
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    assert state(page)["step"] == 2
    page.keyboard.press("Shift+Tab")  # Train
    page.keyboard.press("Enter")
    assert state(page)["step"] >= 2
    page.keyboard.press("Enter")  # Pause
    page.focus("#kd-ten")
    page.keyboard.press("Enter")
    assert state(page)["tenRunning"]
    page.keyboard.press("Enter")  # cancel
    assert not state(page)["tenRunning"]


@pytest.mark.parametrize("width", [390, 1280])
def test_layout_fits_the_screen_and_the_kernel_rows_line_up(chromium, width):
    page, errors = open_page(chromium, width)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        boxes = [
            page.locator(f"#kd-{m} .kd-kernels").bounding_box()
            for m in ("learned", "random", "bank")
        ]
        # Stacked on a phone, the three rows of kernels start at the same left edge; side by
        # side on a wide screen, at the same height.
        edge = "x" if width < 480 else "y"
        edges = [box[edge] for box in boxes]
        assert max(edges) - min(edges) <= 1, edges
        for selector in ("#digits-learner", "#kd-learned-loss", "#kd-bank-accuracy", "#kd-ten"):
            box = page.locator(selector).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, selector
        assert not errors, errors
    finally:
        page.close()
