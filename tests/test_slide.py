"""The kernel sliding step by step (docs/playground.md, docs/assets/slide.js) in a real browser.

The step-through shows the playground's own numbers over an 8 × 8 crop: after all its steps the
output it has filled must be exactly the playground's output on that crop (and PyTorch's
``F.pad`` + ``F.conv2d`` in float64 to float32 rounding), for each padding mode, kernel size,
crop and with the flip; each step's products and sum must be those of the window at that pixel,
padding cells included. Stepping with the keyboard and play / pause are driven as a reader
would. Step times (performance.now() in the page) are printed, never asserted.

Needs the built site (``make build``); KERNELSITE_SITE=/some/folder checks a site built elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import browser as pages
from conftest import ROOT

NUMPY_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
STEP_MS: list[float] = []
AGREEMENT: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def report():
    """Step times and the agreement with PyTorch, printed once the module's tests have run."""
    yield
    if STEP_MS:
        ms = sorted(STEP_MS)
        print(f"\nslide: {len(ms)} steps, median {ms[len(ms) // 2]:.2f} ms, max {ms[-1]:.2f} ms")
        print("slide, largest |step-through - torch float64|:", AGREEMENT)


def open_playground(chromium, width=1280):
    page, errors = pages.open_page(
        chromium,
        "playground/",
        "window.playground && window.playground.version > 0 && window.kernelSlide"
        " && window.kernelSlide.steps > 0",
        width,
    )
    return page, errors


@pytest.fixture(scope="module")
def page(chromium):
    page, errors = open_playground(chromium)
    select = page.locator("#kp1-image")
    label = next(t for t in select.locator("option").all_inner_texts() if t.startswith("Astro"))
    version = page.evaluate("window.playground.version")
    select.select_option(label=label)
    page.wait_for_function(f"window.playground.version > {version}")
    yield page
    assert not errors, f"errors in the page: {errors}"
    page.close()


def state(page) -> dict:
    return page.evaluate("""(() => { const s = window.kernelSlide; return {crop: s.crop,
        step: s.step, steps: s.steps, playing: s.playing, filled: s.filled, current: s.current,
        stepMs: s.stepMs}; })()""")


def playground_crop(page, crop) -> np.ndarray:
    """The playground's own output (Float32Array) on the crop, as doubles."""
    return np.array(
        page.evaluate(
            """(c) => { const p = window.playground; const {width, height} = p.image;
            const out = []; for (let y = c.y0; y < c.y0 + c.h; y++) for (let x = c.x0;
            x < c.x0 + c.w; x++) out.push(p.lastOutput[c.channel * width * height + y * width + x]);
            return out; }""",
            crop,
        )
    ).reshape(crop["h"], crop["w"])


def torch_crop(eyes, kernel, padding, crop) -> np.ndarray:
    x = torch.from_numpy(eyes[..., crop["channel"]].astype(np.float64) / 255)[None, None]
    k = kernel.shape[0]
    r = k // 2
    mode = "constant" if padding == "zeros" else padding
    out = F.conv2d(F.pad(x, (r, r, r, r), mode=mode), torch.from_numpy(kernel)[None, None])[0, 0]
    return out[crop["y0"] : crop["y0"] + crop["h"], crop["x0"] : crop["x0"] + crop["w"]].numpy()


def applied_kernel(page) -> np.ndarray:
    values = np.array(page.evaluate("Array.from(window.playground.applied.kernel)"), float)
    k = int(round(len(values) ** 0.5))
    return values.reshape(k, k)


def set_playground(page, size: int, padding: str, flip: bool) -> None:
    page.select_option("#kp1-size", str(size))
    page.select_option("#kp1-padding", padding)
    page.set_checked("#kp1-flip", flip)
    applied = page.evaluate("window.playground.applied")
    assert (applied["size"], applied["padding"], applied["flip"]) == (size, padding, flip)


@pytest.mark.parametrize(
    "size, padding, flip, crop, channel",
    [
        (3, "zeros", False, "corner", "0"),
        (5, "reflect", False, "corner", "1"),
        (7, "replicate", True, "corner", "2"),
        (7, "circular", False, "corner", "0"),
        (5, "zeros", True, "centre", "0"),
        (3, "reflect", False, "inspected", "2"),
    ],
)
def test_all_steps_give_the_playgrounds_output(page, eyes, size, padding, flip, crop, channel):
    page.select_option("#kp1-preset", "sobel_x" if size == 3 else "gaussian")
    set_playground(page, size, padding, flip)
    page.select_option("#ks-crop", crop)
    page.select_option("#ks-channel", channel)
    page.click("#ks-all")
    s = state(page)
    assert s["step"] == s["steps"] == 64 and not s["playing"]
    c = s["crop"]
    assert c["channel"] == int(channel) and (c["w"], c["h"]) == (8, 8)
    if crop == "corner":
        assert (c["x0"], c["y0"]) == (0, 0)
    if crop == "inspected":  # the crop is centred on the inspector's pixel
        pixel = page.evaluate("window.playground.inspected")
        assert (c["x0"], c["y0"]) == (pixel["x"] - 4, pixel["y"] - 4)
    filled = np.array(s["filled"]).reshape(8, 8)
    assert np.array_equal(filled, playground_crop(page, c))  # the very same numbers
    kernel = applied_kernel(page)
    reference = torch_crop(eyes, kernel, padding, c)
    error = float(np.abs(filled - reference).max())
    AGREEMENT[f"{padding} {size}x{size}"] = error
    assert error < 1e-6, error
    # Every step: the window's inputs (padding included), its products and their sum.
    r = size // 2
    plane = np.pad(eyes[..., int(channel)].astype(np.float64) / 255, r, mode=NUMPY_MODE[padding])
    for step in [1, 2, 9, 37, 64]:
        page.evaluate("document.getElementById('ks-stage').focus()")
        page.click("#ks-reset")
        for _ in range(step):
            page.click("#ks-step")
        s = state(page)
        STEP_MS.append(s["stepMs"])
        cur = s["current"]
        y, x = c["y0"] + (step - 1) // 8, c["x0"] + (step - 1) % 8
        assert (cur["x"], cur["y"], cur["size"], cur["mode"]) == (x, y, size, padding)
        window = plane[y : y + size, x : x + size]
        inputs = np.array(cur["inputs"]).reshape(size, size)
        assert np.abs(inputs - window).max() < 1e-7  # float32 pixels
        assert np.allclose(np.array(cur["products"]).reshape(size, size), inputs * kernel, 0, 1e-15)
        assert abs(cur["sum"] - s["filled"][step - 1]) < 1e-6
        yy, xx = np.mgrid[y - r : y + r + 1, x - r : x + r + 1]
        outside = (yy < 0) | (xx < 0) | (yy >= eyes.shape[0]) | (xx >= eyes.shape[1])
        assert np.array_equal(np.array(cur["padded"]).reshape(size, size), outside)
        if step < 64:
            assert step == len(s["filled"])
        if outside.any():
            assert padding in page.locator("#ks-note").inner_text()


def test_keyboard_steps(page):
    page.click("#ks-reset")
    page.locator("#ks-stage").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert state(page)["step"] == 3
    page.keyboard.press("ArrowLeft")
    assert state(page)["step"] == 2
    page.keyboard.press("End")
    assert state(page)["step"] == 64
    page.keyboard.press("Home")
    assert state(page)["step"] == 0
    # The buttons are reachable and pressed with the keyboard too.
    page.locator("#ks-step").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Space")
    assert state(page)["step"] == 2
    page.locator("#ks-back").focus()
    page.keyboard.press("Enter")
    assert state(page)["step"] == 1


def test_play_and_pause(page):
    page.click("#ks-reset")
    page.click("#ks-play")
    s = state(page)
    assert s["playing"] and page.locator("#ks-play").get_attribute("aria-pressed") == "true"
    page.wait_for_function("window.kernelSlide.step >= 3", timeout=30_000)
    page.click("#ks-play")  # now "Pause"
    paused = state(page)
    assert not paused["playing"] and page.locator("#ks-play").inner_text() == "Play"
    page.wait_for_timeout(1_000)
    assert state(page)["step"] == paused["step"]
    # Space on the crop plays and pauses as well; playing stops by itself at the end.
    page.locator("#ks-stage").focus()
    page.keyboard.press("End")
    page.keyboard.press("Space")  # at the end: starts again from the first step
    page.wait_for_function("window.kernelSlide.step >= 1 && window.kernelSlide.playing")
    page.keyboard.press("Space")
    assert not state(page)["playing"]


def test_a_playground_change_keeps_the_step_and_the_new_numbers(page):
    page.select_option("#kp1-preset", "box")
    page.select_option("#ks-crop", "corner")
    for _ in range(5):
        page.click("#ks-step")
    page.select_option("#kp1-padding", "zeros")
    s = state(page)
    assert s["step"] == 5 and s["current"]["mode"] == "zeros"
    assert s["filled"] == playground_crop(page, s["crop"]).reshape(-1)[:5].tolist()


def test_fits_a_phone_in_light_and_dark(chromium):
    page, errors = open_playground(chromium, 390)
    page.click("#ks-all")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        widths = page.evaluate("""(() => { const box = document.querySelector('.ks');
            return [box.scrollWidth, box.clientWidth, document.documentElement.scrollWidth,
                    document.documentElement.clientWidth]; })()""")
        assert widths[0] <= widths[1] + 1 and widths[2] <= widths[3] + 1, widths
        page.locator(".ks").screenshot(path=str(ROOT / "build" / f"slide-390-{scheme}.png"))
    assert not errors, errors
    page.close()
