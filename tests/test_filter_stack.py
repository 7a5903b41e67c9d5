"""Chapter 1's live filter (docs/words.md, docs/assets/filterstack.js) in a real browser.

The page's numbers are compared with those of snippets/words/filter_stack.py, run here: its
``nn.Conv2d(3, k, 3, padding=1)`` in float64 and the per-channel maps it takes apart. For every
filter on offer the page must use the snippet's weights and bias exactly and read the snippet's
photo exactly, and its three channel maps, its output and the products, sums and total shown for
a pixel must agree with PyTorch to 1e-9 of the largest value. Typed weights are checked the same
way; bad input must give a message and keep the last valid filter. Update times are printed
(measured with performance.now() in the page), never asserted.

Needs the built site (``make build``); KERNELSITE_SITE=/some/folder checks a site built elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import browser as pages
from conftest import ROOT, SITE, snippet_module

FILES = SITE / "snippets" / "words" / "filter_stack" / "files"
RELATIVE = 1e-9
AGREEMENT: dict[str, float] = {}  # largest |page - torch| / largest |torch|, over all checks


@pytest.fixture(scope="module")
def snippet(tmp_path_factory):
    """The snippet, run in an empty folder (it writes its photo and its JSON there)."""
    folder = tmp_path_factory.mktemp("filter_stack")
    module = snippet_module("words/filter_stack.py", folder)
    module.folder = folder
    return module


@pytest.fixture(scope="module", autouse=True)
def report():
    """The agreement with PyTorch, printed once the module's tests have run."""
    yield
    if AGREEMENT:
        print("\nfilter stack, largest relative difference from torch:", AGREEMENT)


def open_words(chromium, width=1280):
    return pages.open_page(
        chromium,
        "words/",
        "window.filterStack && window.filterStack.version > 0",
        width,
        near="#filter-stack",
    )


@pytest.fixture(scope="module")
def page(chromium):
    page, errors = open_words(chromium)
    yield page
    assert not errors, f"errors in the page: {errors}"
    page.close()


def js(page, expression):
    return page.evaluate(expression)


def agree(name: str, page_values, torch_values) -> None:
    ours = np.asarray(page_values, dtype=np.float64)
    theirs = np.asarray(torch_values, dtype=np.float64)
    assert ours.shape == theirs.shape, name
    scale = max(np.abs(theirs).max(), 1e-300)
    relative = float(np.abs(ours - theirs).max() / scale)
    AGREEMENT[name] = max(AGREEMENT.get(name, 0.0), relative)
    assert relative <= RELATIVE, f"{name}: {relative:.2e}"


def choose(page, index: int) -> None:
    version = js(page, "window.filterStack.version")
    page.select_option("#fs-filter", str(index))
    page.wait_for_function(f"window.filterStack.version > {version}")


def pixel_reference(image: torch.Tensor, weights: torch.Tensor, bias: float, x: int, y: int):
    """Products (3 × 9), per-channel sums and the total at (x, y), zero padding of 1, float64."""
    padded = F.pad(image, (1, 1, 1, 1))
    window = padded[:, y : y + 3, x : x + 3]
    products = (window * weights).reshape(3, 9)
    sums = products.sum(1)
    return products, sums, sums.sum() + bias


def test_page_reads_the_snippets_photo_and_files_exactly(page, snippet):
    with Image.open(FILES / "astronaut_64.png") as image:
        assert np.array_equal(np.asarray(image), snippet.photo)
    size = js(page, "window.filterStack.image")
    assert (size["height"], size["width"]) == snippet.photo.shape[:2]
    planes = np.array(js(page, "window.filterStack.input")).reshape(snippet.image.shape)
    assert np.array_equal(planes, snippet.image.numpy())  # the same doubles, pixel / 255
    assert js(page, "window.filterStack.filters") == list(snippet.filters)


def test_every_filter_is_the_snippets_nn_conv2d(page, snippet):
    conv = snippet.conv
    image = snippet.image
    times = []
    for index in range(len(snippet.filters)):
        choose(page, index)
        state = js(
            page,
            """(() => { const s = window.filterStack; return {weights: s.weights,
            bias: s.bias, responses: s.responses, output: s.output, timings: s.timings}; })()""",
        )
        times.append(state["timings"]["totalMs"])
        weights = conv.weight[index].detach()
        assert np.array_equal(np.array(state["weights"]).reshape(3, 3, 3), weights.numpy())
        assert state["bias"] == conv.bias[index].item()
        shape = snippet.outputs.shape[1:]
        responses = np.array(state["responses"]).reshape(3, *shape)
        agree("channel maps", responses, snippet.responses[index].numpy())
        agree("output", np.array(state["output"]).reshape(shape), snippet.outputs[index].numpy())
        summed = np.array(js(page, "window.filterStack.summed")).reshape(shape)
        agree("sum of the maps", summed, snippet.responses[index].sum(0).numpy())
        # One pixel inside, one on the border (padding), one in a corner.
        for x, y in [(20, 30), (0, 17), (shape[1] - 1, shape[0] - 1)]:
            check_pixel(page, image, weights, conv.bias[index].item(), x, y)
    print(f"\nfilter stack: update after choosing a filter, ms: {[round(t, 2) for t in times]}")


def point(page, x, y):
    """Move the mouse over output pixel (x, y)."""
    canvas = page.locator("#fs-output")
    canvas.evaluate("c => c.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    size = js(page, "window.filterStack.image")
    page.mouse.move(
        box["x"] + (x + 0.5) * box["width"] / size["width"],
        box["y"] + (y + 0.5) * box["height"] / size["height"],
    )


def check_pixel(page, image, weights, bias, x, y):
    point(page, x, y)
    size = js(page, "window.filterStack.image")
    shown = js(page, "window.filterStack.inspected")
    assert (shown["x"], shown["y"]) == (x, y)
    products, sums, total = pixel_reference(image, weights, bias, x, y)
    agree("products", shown["products"], products.numpy())
    agree("channel sums", shown["sums"], sums.numpy())
    agree("total", [shown["total"]], [total.item()])
    assert shown["total"] == pytest.approx(shown["output"], rel=1e-12, abs=1e-12)
    padded = np.array(shown["padded"]).reshape(3, 3, 3)
    outside = np.ones((3, 3), bool)
    outside[
        max(0, 1 - y) : 3 - max(0, y + 2 - size["height"]),
        max(0, 1 - x) : 3 - max(0, x + 2 - size["width"]),
    ] = False
    assert np.array_equal(padded, np.stack([outside] * 3)), (x, y)
    text = page.locator("#fs-total").inner_text()
    assert f"x {x}, y {y}" in text


def test_arrow_keys_move_the_pixel(page, snippet):
    choose(page, 1)
    point(page, 10, 12)
    page.locator("#fs-output").focus()
    start = js(page, "window.filterStack.inspected")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    moved = js(page, "window.filterStack.inspected")
    assert (moved["x"], moved["y"]) == (start["x"] + 1, start["y"] + 2)
    page.keyboard.press("Shift+ArrowLeft")
    assert js(page, "window.filterStack.inspected.x") == start["x"] + 1 - 8
    assert js(page, "document.activeElement.id") == "fs-output"
    products, sums, total = pixel_reference(
        snippet.image, snippet.conv.weight[1].detach(), 0.0, moved["x"], moved["y"]
    )
    agree("total", [moved["total"]], [total.item()])


@pytest.mark.parametrize("index", [0, 6])
def test_typed_weights_and_bias_are_computed_like_conv2d(page, snippet, index):
    """Cells left as shown (rounded to 4 digits) keep the filter's exact weights."""
    choose(page, index)
    typed = {0: "1/8", 4: "-2", 13: "0.5", 22: "3e-1", 26: "−1"}  # cell index -> text
    cells = page.locator(".fs-kernel input")
    for n, text in typed.items():
        cells.nth(n).fill(text)
    page.fill("#fs-bias", "0.25")
    assert js(page, "window.filterStack.error") == ""
    weights = snippet.conv.weight[index].detach().clone().reshape(27)
    for n, value in {0: 0.125, 4: -2, 13: 0.5, 22: 0.3, 26: -1}.items():
        weights[n] = value
    weights = weights.reshape(1, 3, 3, 3)
    expected = F.conv2d(
        snippet.image[None], weights, torch.tensor([0.25], dtype=torch.float64), padding=1
    )
    output = np.array(js(page, "window.filterStack.output")).reshape(expected.shape[2:])
    agree("typed filter", output, expected[0, 0].numpy())


@pytest.mark.parametrize(
    "where, text, words",
    [
        ("cell", "", "is empty"),
        ("cell", "two", "is not a number"),
        ("cell", "1 2", "space inside"),
        ("cell", "1e9", "too large"),
        ("bias", "bias", "is not a number"),
        ("bias", "1e400", "is not a number"),
    ],
)
def test_bad_input_says_what_is_wrong_and_keeps_the_last_filter(page, where, text, words):
    choose(page, 2)
    before = js(page, "window.filterStack.output")
    target = (
        page.locator(".fs-kernel input").nth(5) if where == "cell" else page.locator("#fs-bias")
    )
    target.fill(text)
    message = js(page, "window.filterStack.error")
    assert words in message and page.locator("#fs-error").is_visible()
    assert target.get_attribute("aria-invalid") == "true"
    assert js(page, "window.filterStack.output") == before
    choose(page, 3)  # choosing a filter clears the message
    assert js(page, "window.filterStack.error") == ""


def test_update_time_is_measured(page):
    """Times of updates after typing a weight (printed, not asserted)."""
    choose(page, 4)
    cell = page.locator(".fs-kernel input").nth(0)
    times = []
    for text in ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"]:
        cell.fill(text)
        times.append(js(page, "window.filterStack.timings.totalMs"))
    print(f"\nfilter stack: update after typing a weight, ms: {[round(t, 2) for t in times]}")
    assert all(t >= 0 for t in times)


def test_fits_a_phone_in_light_and_dark(chromium):
    page, errors = open_words(chromium, 390)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        widths = js(
            page,
            """(() => { const box = document.querySelector('.fs');
            return [box.scrollWidth, box.clientWidth, document.documentElement.scrollWidth,
                    document.documentElement.clientWidth]; })()""",
        )
        assert widths[0] <= widths[1] + 1 and widths[2] <= widths[3] + 1, widths
        page.locator(".fs").screenshot(path=str(ROOT / "build" / f"filter-stack-390-{scheme}.png"))
    assert not errors, errors
    page.close()
