"""The "Learn a kernel yourself" page (docs/learn.md, docs/assets/learn.js) in a real browser.

The page is driven through its controls (start, optimiser, learning rate, target, the flip,
Step, Train/Pause, Reset); its kernel and loss are read back from the documented read-only
``window.kernelLearning.state()`` and compared with the same steps of ``torch.optim.SGD`` in
float64, from the start the snippet exported and on the photo the playground exported. The page
computes with JavaScript numbers (float64), so the two agree to rounding: the tolerance is 1e-9.
Bad learning rates must produce a message and change nothing; a diverging one must be reported
with a reset, and no value that is not a number may reach the page.

Needs the built site (``make build``); KERNELSITE_SITE=/some/folder checks a site built elsewhere.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import browser as pages
from conftest import SITE

PHOTO = SITE / "snippets" / "playground" / "playground_images" / "files" / "camera.png"
START = SITE / "snippets" / "learn" / "learn_kernel_in_pytorch" / "files" / "learn_start.json"
TOLERANCE = 1e-9  # float64 on both sides; only the order of the sums differs
STEPS = 50
SOBEL_X = [-1.0, 0, 1, -2, 0, 2, -1, 0, 1]


# -- the reference, computed here from the published files -------------------------------------


def photo(source=PHOTO) -> torch.Tensor:
    """The page's input from an image file, (1, 1, 128, 128): grey (ITU-R BT.601 weights, not
    rounded), its centre square whose side is the largest multiple of 128 that fits, averaged
    over blocks to 128 × 128, standardised. For camera.png (256 × 256, grey): 2 × 2 blocks."""
    with Image.open(source) as image:
        rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    grey = (rgb @ np.array([299.0, 587.0, 114.0])) / 1000 / 255
    height, width = grey.shape
    block = min(height, width) // 128
    side = 128 * block
    top, left = (height - side) // 2, (width - side) // 2
    square = grey[top : top + side, left : left + side]
    pixels = square.reshape(128, block, 128, block).mean(axis=(1, 3))
    x = torch.from_numpy(pixels)
    return ((x - x.mean()) / x.std(correction=0))[None, None]


def exported_start() -> list[float]:
    return json.loads(START.read_text())["kernel"]


def torch_run(start, target, flip: bool, lr: float, momentum: float, steps: int, source=PHOTO):
    """``steps`` steps of torch.optim.SGD in float64 on the photo in file ``source``; returns the
    kernel and its loss."""
    x = photo(source)
    t = torch.tensor(target, dtype=torch.float64).reshape(1, 1, 3, 3)
    wanted = F.conv2d(x, t.flip(2, 3) if flip else t)
    weight = torch.tensor(start, dtype=torch.float64).reshape(1, 1, 3, 3).requires_grad_(True)
    optimizer = torch.optim.SGD([weight], lr=lr, momentum=momentum)
    for _ in range(steps):
        loss = F.mse_loss(F.conv2d(x, weight), wanted)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        loss = F.mse_loss(F.conv2d(x, weight), wanted).item()
    return weight.detach().flatten().numpy(), loss


# -- driving the page ---------------------------------------------------------------------------


def open_page(chromium, width: int = 1280):
    return pages.open_page(
        chromium,
        "learn/",
        "window.kernelLearning && window.kernelLearning.ready",
        width,
        timeout=30_000,
    )


@pytest.fixture(scope="module")
def learner(chromium):
    page, errors = open_page(chromium)
    yield page
    assert not errors, f"errors in the page: {errors}"
    page.close()


def state(page) -> dict:
    return page.evaluate("window.kernelLearning.state()")


def configure(
    page, *, target="sobel_x", flip=False, start="snippet", optimiser="momentum", lr="0.1"
):
    """Set the controls as a reader would; every change of these restarts from step 0."""
    page.select_option("#kl-target", target)
    page.set_checked("#kl-flip", flip)
    page.select_option("#kl-start", start)
    page.select_option("#kl-optimiser", optimiser)
    page.fill("#kl-lr", lr)
    page.click("#kl-reset")
    now = state(page)
    assert now["step"] == 0 and not now["diverged"] and now["error"] == "", now


def steps(page, n: int) -> dict:
    """n steps: the first five by clicking Step, the rest through kernelLearning.step (the same
    method the button calls)."""
    clicks = min(n, 5)
    for _ in range(clicks):
        page.click("#kl-step")
    if n > clicks:
        page.evaluate(f"window.kernelLearning.step({n - clicks})")
    now = state(page)
    assert now["step"] == n
    return now


# -- exactness ----------------------------------------------------------------------------------


def test_exported_start_is_pytorch_default_init_for_seed_0():
    """The snippet's start is what nn.Conv2d(1, 1, 3) draws after torch.manual_seed(0)."""
    saved = json.loads(START.read_text())
    torch.manual_seed(saved["seed"])
    weight = torch.nn.Conv2d(1, 1, kernel_size=3, bias=False).weight.detach().double()
    assert saved["kernel"] == weight.flatten().tolist()
    assert max(abs(v) for v in saved["kernel"]) <= 1 / 3


def test_page_starts_from_the_exported_kernel_and_photo(learner):
    configure(learner)
    now = state(learner)
    assert now["kernel"] == exported_start()
    kernel, loss = torch_run(exported_start(), SOBEL_X, False, 0.1, 0.9, 0)
    assert math.isclose(now["loss"], loss, rel_tol=1e-12)


CASES = {
    "SGD, Sobel x": dict(optimiser="sgd", lr="0.1", target="sobel_x", flip=False),
    "momentum, Sobel x": dict(optimiser="momentum", lr="0.1", target="sobel_x", flip=False),
    "momentum, Laplacian, convolved": dict(
        optimiser="momentum", lr="0.05", target="laplacian", flip=True
    ),
    "SGD, Gabor, convolved": dict(optimiser="sgd", lr="0.1", target="gabor", flip=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_n_steps_match_torch_optim_sgd(learner, case):
    ui = CASES[case]
    configure(learner, **ui)
    target_from_page = state(learner)["target"]  # the goal: flipped already when ticked
    target = target_from_page[::-1] if ui["flip"] else target_from_page
    if ui["target"] == "sobel_x":
        assert target == SOBEL_X
    now = steps(learner, STEPS)
    momentum = 0.9 if ui["optimiser"] == "momentum" else 0.0
    kernel, loss = torch_run(exported_start(), target, ui["flip"], float(ui["lr"]), momentum, STEPS)
    error = float(np.abs(np.array(now["kernel"]) - kernel).max())
    print(f"{case}: max |page - torch| after {STEPS} steps = {error:.1e}, loss {loss:.3e}")
    assert error <= TOLERANCE, f"max |page - torch| = {error:.2e}"
    assert math.isclose(now["loss"], loss, rel_tol=TOLERANCE), (now["loss"], loss)
    assert now["loss"] < torch_run(exported_start(), target, ui["flip"], 0.1, 0, 0)[1]


def test_the_flipped_target_is_learned_when_made_by_convolution(learner):
    configure(learner, flip=True)
    now = steps(learner, 1000)
    flipped = SOBEL_X[::-1]
    assert now["target"] == flipped
    assert np.abs(np.array(now["kernel"]) - flipped).max() < 1e-6
    assert now["distance"] < 1e-6
    assert "flipped" in learner.inner_text("#kl-goal-caption")


# Installed before the page's scripts: when the goal kernel is first drawn (its caption says
# "Goal: ..."), whether the learner says it is ready is kept, and the start is changed to He's
# rule, all before the next task.
CHANGE_WHEN_THE_GOAL_IS_DRAWN = """
window.whenGoalDrawn = new Promise((resolve) => {
    new MutationObserver((records, observer) => {
        const caption = document.getElementById("kl-goal-caption");
        if (!caption || !caption.textContent.startsWith("Goal:")) return;
        observer.disconnect();
        const ready = window.kernelLearning.ready;
        const start = document.getElementById("kl-start");
        start.value = "he";
        start.dispatchEvent(new Event("change"));
        resolve(ready);
    }).observe(document, { childList: true, characterData: true, subtree: true });
});
"""


def test_the_first_start_is_drawn_in_parts_and_a_change_in_between_overtakes_the_rest(chromium):
    """The first start runs one part per task, so that none is long on a slow phone: when the
    goal is drawn the learner is not ready yet. A reader's change made then is a whole restart,
    and the parts still to come are dropped: one drawing, from the start the reader chose."""
    base, instance = chromium
    page = instance.new_page()
    try:
        page.add_init_script(CHANGE_WHEN_THE_GOAL_IS_DRAWN)
        page.goto(base + "learn/")
        assert page.evaluate("window.whenGoalDrawn") is False
        page.wait_for_function("window.kernelLearning.ready", timeout=30_000)
        page.evaluate("() => new Promise((r) => setTimeout(() => setTimeout(r)))")
        assert page.evaluate("window.kernelLearning.version") == 1
        now = state(page)
        assert now["step"] == 0 and now["start"] == "he"
        page.click("#kl-reset")  # He's start drawn again, by a whole restart
        assert state(page)["kernel"] == now["kernel"]
        page.select_option("#kl-start", "snippet")
        assert state(page)["kernel"] != now["kernel"]
    finally:
        page.close()


def test_reset_returns_to_the_start(learner):
    configure(learner)
    steps(learner, 10)
    learner.click("#kl-reset")
    now = state(learner)
    assert now["step"] == 0 and now["kernel"] == exported_start()


def test_train_runs_and_pause_stops(learner):
    configure(learner)
    learner.select_option("#kl-speed", "1")
    learner.click("#kl-play")
    assert learner.get_attribute("#kl-play", "aria-pressed") == "true"
    learner.wait_for_function("window.kernelLearning.state().step >= 10", timeout=30_000)
    learner.click("#kl-play")  # now labelled Pause
    assert learner.inner_text("#kl-play") == "Train"
    paused = state(learner)["step"]
    learner.wait_for_timeout(200)
    assert state(learner)["step"] == paused
    assert "Step" in learner.inner_text("#kl-status")


def test_other_starts_are_seeded(learner):
    kernels = {}
    for start in ["default", "he", "noise"]:
        configure(learner, start=start)
        learner.fill("#kl-seed", "1")
        learner.dispatch_event("#kl-seed", "change")
        first = state(learner)["kernel"]
        learner.fill("#kl-seed", "7")
        learner.dispatch_event("#kl-seed", "change")
        kernels[start] = state(learner)["kernel"]
        assert kernels[start] != first
        learner.click("#kl-reset")
        assert state(learner)["kernel"] == kernels[start]  # same seed, same numbers
    assert max(abs(v) for v in kernels["default"]) <= 1 / 3
    assert max(abs(v) for v in kernels["noise"]) <= 0.01
    learner.fill("#kl-seed", "1")
    learner.dispatch_event("#kl-seed", "change")


def test_a_target_typed_into_the_grid_is_learned(learner):
    configure(learner)
    typed = [["1", "2", "0"], ["0", "-1/2", "0"], ["0", "0", "3"]]
    for i, row in enumerate(typed):
        for j, text in enumerate(row):
            learner.fill(f"#kl-cell-{i}-{j}", text)
    assert learner.eval_on_selector("#kl-target", "s => s.value") == "custom"
    expected = [1, 2, 0, 0, -0.5, 0, 0, 0, 3]
    assert state(learner)["target"] == expected
    now = steps(learner, 20)
    kernel, loss = torch_run(exported_start(), expected, False, 0.1, 0.9, 20)
    assert np.abs(np.array(now["kernel"]) - kernel).max() <= TOLERANCE
    # A cell that is not a number: a message, and the last valid target is kept.
    learner.fill("#kl-cell-1-1", "abc")
    alert = learner.locator("#kl-error")
    assert alert.is_visible() and alert.get_attribute("role") == "alert"
    assert "row 2, column 2" in alert.inner_text().lower()
    assert state(learner)["target"] == expected
    learner.fill("#kl-cell-1-1", "-1/2")
    assert not alert.is_visible()


# -- the reader's own photo ---------------------------------------------------------------------


def photo_file(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A colour PNG with edges and texture (smooth ramps, a disc, noise), written by the test."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    disc = ((xx - width / 3) ** 2 + (yy - height / 2) ** 2 < (height / 4) ** 2) * 120.0
    rgb = np.stack([xx * 200 / width, yy * 200 / height, 255 - xx * 150 / width], axis=-1)
    rgb = rgb * 0.5 + disc[..., None] + rng.normal(0, 20, (height, width, 3))
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(path)
    return path


def drop_file(page, selector: str, path: Path, mime: str = "image/png") -> None:
    """Drag a file from the desktop and drop it on an element, as a reader would; while it is
    over the widget, the widget is outlined."""
    assert page.evaluate(
        """async ([selector, name, mime, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            const zone = document.querySelector(selector);
            const send = (type) => zone.dispatchEvent(new DragEvent(type, {
                dataTransfer: transfer, bubbles: true, cancelable: true }));
            const widget = zone.closest(".dropping, [data-ready]");
            send("dragenter");
            send("dragover");
            const outlined = widget.classList.contains("dropping");
            send("drop");
            return outlined && !widget.classList.contains("dropping");
        }""",
        [selector, path.name, mime, base64.b64encode(path.read_bytes()).decode()],
    )


def page_input(page) -> dict:
    return page.evaluate("window.kernelLearning.input()")


def test_the_readers_photo_is_prepared_as_in_python_and_learned_as_by_torch(learner, tmp_path):
    # 500 × 420: its centre 384 × 384 square, averaged over 3 × 3 blocks.
    own = photo_file(tmp_path / "my photo.png", 500, 420)
    configure(learner)
    try:
        learner.set_input_files("#kl-file", str(own))
        learner.wait_for_function("window.kernelLearning.input().name === 'my photo.png'")
        got = page_input(learner)
        assert got["own"] and got["crop"] == dict(
            left=58, top=18, side=384, block=3, width=500, height=420
        )
        expected = photo(own).flatten().numpy()
        error = float(np.abs(np.array(got["pixels"]) - expected).max())
        print(f"own photo: max |page - python| over the 128 × 128 input = {error:.1e}")
        assert error <= 1e-12
        caption = learner.inner_text("#kl-in-caption")
        assert caption == "my photo.png: centre 384 × 384 of 500 × 420, 3 × 3 blocks, standardised"
        described = learner.get_attribute("#kl-in", "aria-label")
        assert "the centre 384 × 384 of 500 × 420 (from x 58, y 18)" in described, described
        assert "averaged over 3 × 3 blocks to 128 × 128" in described, described
        assert learner.eval_on_selector("#kl-photo", "s => s.value") == "own"
        # A few SGD steps on it, with momentum, as torch.optim.SGD takes them.
        now = steps(learner, 20)
        kernel, loss = torch_run(exported_start(), SOBEL_X, False, 0.1, 0.9, 20, source=own)
        assert np.abs(np.array(now["kernel"]) - kernel).max() <= TOLERANCE
        assert math.isclose(now["loss"], loss, rel_tol=TOLERANCE)
        # The page's claim: on a photo with texture the same nine weights are learned.
        learned = learner.evaluate("window.kernelLearning.step(1000)")
        assert learned["distance"] < 1e-6, learned["distance"]
        learner.click("#kl-reset")
        now = steps(learner, 20)
        # A file that is not an image, or too small a photo: a message, and nothing changes.
        notes = tmp_path / "notes.txt"
        notes.write_text("not an image at all")
        small = photo_file(tmp_path / "small.png", 200, 100)
        alert = learner.locator("#kl-error")
        for bad, words in [
            (notes, "“notes.txt” could not be read as an image"),
            (small, "it is 200 × 100 pixels, and the layer needs at least 128"),
        ]:
            learner.set_input_files("#kl-file", str(bad))
            alert.wait_for(state="visible", timeout=30_000)
            assert words in alert.inner_text(), alert.inner_text()
            assert "the photo in use is kept" in alert.inner_text()
            assert page_input(learner)["pixels"] == got["pixels"]
            assert state(learner)["kernel"] == now["kernel"] and state(learner)["step"] == 20
        # Dropped on the widget: the same function reads it (here a 256 × 300 photo, 2 × 2).
        dropped = photo_file(tmp_path / "dropped.png", 256, 300, seed=1)
        drop_file(learner, "#kl-in", dropped)
        learner.wait_for_function("window.kernelLearning.input().name === 'dropped.png'")
        assert not alert.is_visible()
        got = page_input(learner)
        assert np.abs(np.array(got["pixels"]) - photo(dropped).flatten().numpy()).max() <= 1e-12
        assert state(learner)["step"] == 0  # a new photo starts the run again
        # A dropped file that is not an image: the message again.
        drop_file(learner, "#kl-in", notes, "text/plain")
        alert.wait_for(state="visible", timeout=30_000)
        assert "“notes.txt” could not be read as an image" in alert.inner_text()
        assert page_input(learner)["name"] == "dropped.png"
    finally:
        learner.select_option("#kl-photo", "camera")
    assert not learner.locator("#kl-error").is_visible()  # the message was about the last file
    back = np.array(page_input(learner)["pixels"]) - photo().flatten().numpy()
    assert np.abs(back).max() <= 1e-12


# -- bad input ----------------------------------------------------------------------------------


def test_a_target_whose_loss_is_not_finite_is_refused_naming_the_cell(learner):
    configure(learner)
    alert = learner.locator("#kl-error")
    learner.fill("#kl-cell-2-1", "1e300")
    assert alert.is_visible()
    text = alert.inner_text()
    assert "row 3, column 2" in text.lower() and "“1e300” is too large" in text, text
    assert "last valid target is kept" in text and "learning rate" not in text, text
    assert learner.get_attribute("#kl-cell-2-1", "aria-invalid") == "true"
    now = state(learner)
    assert now["target"] == SOBEL_X and math.isfinite(now["loss"]) and now["step"] == 0
    assert "∞" not in learner.inner_text("#kl-status")
    # A large target whose loss is still a finite number is accepted.
    learner.fill("#kl-cell-2-1", "1e100")
    assert not alert.is_visible()
    assert state(learner)["target"][7] == 1e100 and math.isfinite(state(learner)["loss"])
    learner.fill("#kl-cell-2-1", "0")
    assert state(learner)["target"] == SOBEL_X


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("0", "must be greater than 0"),
        ("-0.1", "must be greater than 0"),
        ("abc", "is not a number"),
        ("", "is empty"),
        ("1/0", "is not a finite number"),
    ],
    ids=["zero", "negative", "word", "empty", "infinite"],
)
def test_a_bad_learning_rate_is_reported_and_training_keeps_the_last_valid_one(
    learner, rate, message
):
    """The message says Train and Step keep using the last valid rate, and they do."""
    configure(learner)
    steps(learner, 3)
    learner.fill("#kl-lr", rate)
    learner.focus("#kl-step")  # leaving the field reads it
    learner.keyboard.press("Enter")
    alert = learner.locator("#kl-error")
    assert alert.is_visible() and alert.get_attribute("role") == "alert"
    assert message in alert.inner_text(), alert.inner_text()
    assert "keep using the last valid rate, 0.1" in alert.inner_text(), alert.inner_text()
    assert learner.get_attribute("#kl-lr", "aria-invalid") == "true"
    assert not learner.is_disabled("#kl-step") and not learner.is_disabled("#kl-play")
    now = state(learner)
    assert now["step"] == 4 and now["lr"] == 0.1 and now["error"] == alert.inner_text()
    kernel, loss = torch_run(exported_start(), SOBEL_X, False, 0.1, 0.9, 4)
    assert np.abs(np.array(now["kernel"]) - kernel).max() <= TOLERANCE
    # Train (from the keyboard) too, then Pause: every step used 0.1.
    learner.select_option("#kl-speed", "1")
    learner.focus("#kl-play")
    learner.keyboard.press("Enter")
    learner.wait_for_function("window.kernelLearning.state().step >= 8", timeout=30_000)
    learner.keyboard.press("Enter")
    now = state(learner)
    kernel, loss = torch_run(exported_start(), SOBEL_X, False, 0.1, 0.9, now["step"])
    assert np.abs(np.array(now["kernel"]) - kernel).max() <= TOLERANCE
    assert alert.is_visible()
    learner.select_option("#kl-speed", "5")
    learner.fill("#kl-lr", "0.1")
    learner.click("#kl-step")
    assert not alert.is_visible()
    assert learner.get_attribute("#kl-lr", "aria-invalid") is None


@pytest.mark.parametrize("rate", ["1e9", "1e300"])
def test_a_diverging_rate_is_reported_with_a_reset_and_no_nan_is_drawn(learner, rate):
    configure(learner)
    steps(learner, 2)
    learner.fill("#kl-lr", rate)
    learner.click("#kl-step")
    learner.evaluate("window.kernelLearning.step(5)")  # like Step: nothing after a divergence
    now = state(learner)
    assert now["diverged"] and now["step"] == 3
    box = learner.locator("#kl-diverged")
    assert box.is_visible() and box.get_attribute("role") == "alert"
    assert "diverged" in box.inner_text() and "too large" in box.inner_text()
    assert learner.is_disabled("#kl-step") and learner.is_disabled("#kl-play")
    shown = learner.inner_text("#kl-numbers") + learner.inner_text("#kl-status")
    assert "NaN" not in shown and "undefined" not in shown
    pixels = learner.evaluate("""() => [...document.querySelectorAll('.kl canvas')].map((c) =>
        Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)
        .every(Number.isFinite))""")
    assert all(pixels)
    # The output image is redrawn: the diverged kernel's output where it is finite, otherwise
    # the last finite one (step 2's), on the target output's grey scale.
    kernel = np.array(now["kernel"])
    x = photo()
    out = F.conv2d(x, torch.from_numpy(kernel).reshape(1, 1, 3, 3))[0, 0].numpy()
    label = learner.get_attribute("#kl-out", "aria-label")
    if not np.isfinite(out).all():
        step2 = torch_run(exported_start(), SOBEL_X, False, 0.1, 0.9, 2)[0]
        out = F.conv2d(x, torch.from_numpy(step2).reshape(1, 1, 3, 3))[0, 0].numpy()
        assert "at step 2, the last one that is finite" in label, label
    else:
        assert label.startswith("Layer output at step 3,"), label
    wanted = F.conv2d(x, torch.tensor(SOBEL_X, dtype=torch.float64).reshape(1, 1, 3, 3))[0, 0]
    lo, hi = wanted.min().item(), wanted.max().item()
    expected = np.clip(np.round((out - lo) * (255 / (hi - lo))), 0, 255)
    drawn = np.array(
        learner.evaluate("""() => { const c = document.getElementById('kl-out');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return Array.from(d.filter((v, i) => i % 4 === 0)); }""")
    ).reshape(126, 126)
    assert np.abs(drawn - expected).max() <= 1
    # Reset from the message starts again (with the learning rate still to be lowered).
    learner.click("#kl-diverged-reset")
    now = state(learner)
    assert now["step"] == 0 and not now["diverged"] and now["kernel"] == exported_start()
    assert not box.is_visible()
    learner.fill("#kl-lr", "0.1")


# -- keyboard and small screens -----------------------------------------------------------------


def test_every_control_is_labelled_and_works_from_the_keyboard(learner):
    configure(learner)
    unnamed = learner.evaluate("""() => [...document.querySelectorAll(
        '.kl input, .kl select, .kl button')]
        .filter((c) => !c.labels?.length && !c.getAttribute('aria-label')
                       && !c.textContent.trim()).map((c) => c.id)""")
    assert unnamed == []
    learner.focus("#kl-step")
    learner.keyboard.press("Enter")
    learner.keyboard.press("Space")
    assert state(learner)["step"] == 2
    learner.focus("#kl-optimiser")
    learner.keyboard.press("ArrowDown")  # momentum -> SGD, which restarts
    assert state(learner)["optimiser"] == "sgd" and state(learner)["step"] == 0


@pytest.mark.parametrize("width", [390, 1280])
def test_layout_fits_the_screen(chromium, width):
    page, errors = open_page(chromium, width)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        widget = page.locator("#kernel-learner").bounding_box()
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= width
        for name in ("grid", "numbers", "loss", "out"):
            box = page.locator(f"#kl-{name}").bounding_box()
            assert box["x"] + box["width"] <= width, name
        assert not errors, errors
    finally:
        page.close()
