"""The kernel playground (docs/playground.md, docs/assets/playground.js) in a real browser.

The page is driven through its controls as a reader would (presets, sliders, typed weights,
the flip, the padding), its raw output values are read back from ``window.playground`` and
compared with ``F.pad`` + ``F.conv2d`` in float64 on the same pixels. Bad input must produce a
clear message and keep the last valid output. The update time for a 512 × 512 image and a
7 × 7 kernel is measured and written, with the comparison results, to
build/playground-report.txt.

Needs the built site (``make build``); KERNELSITE_SITE=/some/folder checks a site built elsewhere.
"""

from __future__ import annotations

import base64
import io
import math
import os
import statistics
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data
from skimage.filters import gabor_kernel

import browser as pages
from browser import browser, serve
from conftest import ROOT

SITE = Path(os.environ.get("KERNELSITE_SITE", ROOT / "site"))
FILES = SITE / "snippets" / "playground" / "playground_images" / "files"
REPORT = ROOT / "build" / "playground-report.txt"
TOLERANCE = 1 / 255
FRAME_MS = 1000 / 60
PADDINGS = ["zeros", "reflect", "replicate", "circular"]

RESULTS: dict[str, float] = {}
# The raw output (a Float32Array) as base64: much faster to carry out of the page than a list.
BASE64_OUTPUT = """(() => { const out = window.playground.lastOutput;
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    let text = ""; for (let i = 0; i < bytes.length; i += 8192)
        text += String.fromCharCode(...bytes.subarray(i, i + 8192));
    return btoa(text); })()"""
TIMINGS: dict[str, dict] = {}


# -- the kernels, computed here independently of the page ---------------------------------------


def grid(k: int) -> tuple[np.ndarray, np.ndarray]:
    r = k // 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1].astype(float)  # x to the right, y down
    return x, y


def centred(kernel3: list[list[float]], k: int) -> np.ndarray:
    out = np.zeros((k, k))
    r = (k - 3) // 2
    out[r : r + 3, r : r + 3] = kernel3
    return out


def gaussian(k: int, sigma: float) -> np.ndarray:
    x, y = grid(k)
    g = np.exp(-(x**2 + y**2) / (2 * sigma**2))
    return g / g.sum()


def laplacian_of_gaussian(k: int, sigma: float) -> np.ndarray:
    x, y = grid(k)
    r2, s2 = x**2 + y**2, sigma**2
    w = (r2 - 2 * s2) / (2 * np.pi * s2**3) * np.exp(-r2 / (2 * s2))
    return w - w.mean()


def gabor(k: int, sigma: float, theta_degrees: float, frequency: float) -> np.ndarray:
    x, y = grid(k)
    t = np.radians(theta_degrees)
    along = x * np.cos(t) - y * np.sin(t)  # counter-clockwise on screen, where y points down
    envelope = np.exp(-(x**2 + y**2) / (2 * sigma**2)) / (2 * np.pi * sigma**2)
    return envelope * np.cos(2 * np.pi * frequency * along)


SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
CUSTOM = [  # typed into the 5 × 5 grid cell by cell: not symmetric, with fractions and signs
    ["0.5", "-1", "0", "2", "1/4"],
    ["1", "3", "-0.75", "0", "0"],
    ["-2", "1/8", "4", "1", "-1"],
    ["0", "0.25", "-3", "2", "0.125"],
    ["1", "0", "0", "-0.5", "3/2"],
]

# name: (how to set it through the UI, expected weights, normalise)
KERNELS = {
    "box 5x5": (dict(preset="box", size=5), np.full((5, 5), 1 / 25), False),
    "gaussian 7x7 sigma 1.5": (
        dict(preset="gaussian", size=7, sigma="1.5"),
        gaussian(7, 1.5),
        False,
    ),
    "sharpen 3x3": (dict(preset="sharpen", size=3), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]], False),
    "sobel x 3x3": (dict(preset="sobel_x", size=3), SOBEL_X, False),
    "sobel y in 5x5": (dict(preset="sobel_y", size=5), centred(np.transpose(SOBEL_X), 5), False),
    "laplacian 3x3": (
        dict(preset="laplacian", size=3),
        [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        False,
    ),
    "emboss 3x3": (dict(preset="emboss", size=3), [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], False),
    "LoG 7x7 sigma 1": (dict(preset="log", size=7, sigma="1"), laplacian_of_gaussian(7, 1), False),
    "gabor 7x7 30deg": (
        dict(preset="gabor", size=7, sigma="2", theta="30", frequency="0.15"),
        gabor(7, 2, 30, 0.15),
        False,
    ),
    "custom 5x5 normalised": (
        dict(size=5, cells=CUSTOM),
        np.array([[float(Fraction(c)) for c in row] for row in CUSTOM]),
        True,
    ),
}


def reference(image: np.ndarray, kernel, padding: str, flip: bool, normalise: bool) -> np.ndarray:
    """What the page should compute, by PyTorch in float64: (C, H, W) from (H, W[, C]) uint8."""
    w = torch.as_tensor(np.asarray(kernel, dtype=np.float64))
    if flip:
        w = w.flip(0, 1)
    if normalise:
        w = w / w.sum()
    x = torch.from_numpy(np.array(image, dtype=np.float64)) / 255
    x = x[None] if x.ndim == 2 else x.permute(2, 0, 1)
    p = w.shape[0] // 2
    mode = "constant" if padding == "zeros" else padding
    padded = F.pad(x[:, None], (p, p, p, p), mode=mode)  # each channel on its own
    return F.conv2d(padded, w[None, None])[:, 0].numpy()


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


# -- driving the page ---------------------------------------------------------------------------


class Playground:
    """The page, with helpers that change it only through its controls."""

    def __init__(self, page):
        self.page = page
        self.kernel = None

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def version(self) -> int:
        return self.js("window.playground.version")

    def wait_newer(self, version: int) -> None:
        self.page.wait_for_function(f"window.playground.version > {version}", timeout=10_000)

    def applied_kernel(self) -> np.ndarray:
        values = np.array(self.js("Array.from(window.playground.applied.kernel)"))
        return values.reshape(round(math.sqrt(values.size)), -1)

    def output(self) -> np.ndarray:
        info = self.js("window.playground.image")
        values = np.frombuffer(base64.b64decode(self.js(BASE64_OUTPUT)), dtype="<f4")
        return values.astype(np.float64).reshape(info["channels"], info["height"], info["width"])

    def choose_image(self, label_start: str) -> None:
        select = self.page.locator("#kp1-image")
        labels = select.locator("option").all_inner_texts()
        label = next(text for text in labels if text.startswith(label_start))
        version = self.version()
        select.select_option(label=label)
        self.wait_newer(version)
        self.kernel = None

    def load_file(self, name: str, mime: str, content: bytes) -> None:
        self.page.set_input_files(
            "#kp1-file", files=[{"name": name, "mimeType": mime, "buffer": content}]
        )

    def set_kernel(self, name: str) -> None:
        if self.kernel == name:
            return
        ui = KERNELS[name][0]
        page = self.page
        if "preset" in ui:
            page.select_option("#kp1-preset", ui["preset"])
        page.select_option("#kp1-size", str(ui["size"]))
        if "preset" in ui:
            for slider in ("sigma", "theta", "frequency"):
                if slider in ui:
                    page.fill(f"#kp1-{slider}", ui[slider])
        else:
            for i, row in enumerate(ui["cells"]):
                for j, text in enumerate(row):
                    page.fill(f"#kp1-cell-{i}-{j}", text)
        page.set_checked("#kp1-normalise", KERNELS[name][2])
        assert self.js("window.playground.error") == "", self.js("window.playground.error")
        self.kernel = name

    def set_options(self, padding: str, flip: bool) -> None:
        self.page.select_option("#kp1-padding", padding)
        self.page.set_checked("#kp1-flip", flip)
        applied = self.js("window.playground.applied")
        assert (applied["padding"], applied["flip"]) == (padding, flip)


@pytest.fixture(scope="module")
def chromium():
    if not (SITE / "playground" / "index.html").is_file():
        pytest.fail(f"no built playground page in {SITE}: run `make build` first", pytrace=False)
    with serve(SITE) as base, browser() as instance:
        yield base, instance
    write_report()


def open_page(chromium, width: int = 1280):
    return pages.open_page(
        chromium,
        "playground/",
        "window.playground && window.playground.version > 0",
        width,
        timeout=15_000,
    )


@pytest.fixture(scope="module")
def playground(chromium):
    page, errors = open_page(chromium)
    ui = Playground(page)
    ui.choose_image("Astronaut")
    yield ui
    assert not errors, f"errors in the page: {errors}"
    page.close()


@pytest.fixture(scope="module")
def eyes() -> np.ndarray:
    with Image.open(FILES / "astronaut_eyes.png") as image:
        return np.asarray(image)


# -- the output equals PyTorch's ----------------------------------------------------------------


def test_page_reads_the_exported_pixels_exactly(playground, eyes):
    info = playground.js("window.playground.image")
    assert (info["name"], info["channels"], info["height"], info["width"]) == (
        "astronaut_eyes.png",
        3,
        64,
        64,
    )
    planes = np.array(playground.js("Array.from(window.playground.input)")).reshape(3, 64, 64)
    assert np.array_equal(np.round(planes * 255), eyes.transpose(2, 0, 1))


@pytest.mark.parametrize("flip", [False, True], ids=["correlation", "convolution"])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("kernel", list(KERNELS))
def test_output_matches_torch_conv2d(playground, eyes, kernel, padding, flip):
    playground.set_kernel(kernel)
    playground.set_options(padding, flip)
    _, weights, normalise = KERNELS[kernel]
    expected = reference(eyes, weights, padding, flip, normalise)
    got = playground.output()
    error = float(np.abs(got - expected).max())
    RESULTS[f"{kernel}, {padding}, {'convolution' if flip else 'cross-correlation'}"] = error
    assert error <= TOLERANCE, f"max |page - torch| = {error:.2e} > 1/255"


def test_flip_matters_for_sobel_and_not_for_gaussian(playground, eyes):
    """Guards the comparison above against a page that ignores the flip."""
    outputs = {}
    for kernel in ["sobel x 3x3", "gaussian 7x7 sigma 1.5"]:
        playground.set_kernel(kernel)
        for flip in (False, True):
            playground.set_options("reflect", flip)
            outputs[kernel, flip] = playground.output()
    assert np.allclose(outputs["sobel x 3x3", True], -outputs["sobel x 3x3", False], atol=1e-6)
    assert np.abs(outputs["sobel x 3x3", True]).max() > 0.5
    gaussian_flipped, gaussian_not = (
        outputs["gaussian 7x7 sigma 1.5", True],
        outputs["gaussian 7x7 sigma 1.5", False],
    )
    assert np.allclose(gaussian_flipped, gaussian_not, atol=1e-6)


def test_preset_formulas_match_references(playground):
    """The page's Gabor equals scikit-image's (whose angle runs the other way, y pointing down)."""
    playground.set_kernel("gabor 7x7 30deg")
    playground.set_options("reflect", False)
    page_gabor = playground.applied_kernel()
    for sigma, theta, frequency in [(2, 30, 0.15), (1, 90, 0.3), (1.5, 135, 0.1)]:
        playground.page.fill("#kp1-sigma", str(sigma))
        playground.page.fill("#kp1-theta", str(theta))
        playground.page.fill("#kp1-frequency", str(frequency))
        applied = playground.applied_kernel()
        theirs = gabor_kernel(
            frequency, theta=-math.radians(theta), sigma_x=sigma, sigma_y=sigma, n_stds=3 / sigma
        ).real
        assert theirs.shape == (7, 7)
        np.testing.assert_allclose(applied, theirs, atol=1e-12)
    np.testing.assert_allclose(page_gabor, gabor(7, 2, 30, 0.15), atol=1e-12)
    playground.kernel = None


def test_grey_photo_is_one_channel_and_matches_torch(playground):
    with Image.open(FILES / "camera.png") as image:
        camera = np.asarray(image)
    playground.choose_image("Cameraman")
    try:
        playground.set_kernel("sobel x 3x3")
        playground.set_options("replicate", True)
        info = playground.js("window.playground.image")
        assert info["channels"] == 1 and camera.ndim == 2
        expected = reference(camera, SOBEL_X, "replicate", True, False)
        assert np.abs(playground.output() - expected).max() <= TOLERANCE
    finally:
        playground.choose_image("Astronaut")


def test_display_clips_or_rescales_the_raw_output(playground):
    playground.set_kernel("sobel x 3x3")
    playground.set_options("reflect", False)
    raw = playground.output()
    read_canvas = """() => { const c = document.getElementById('kp1-out');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""
    for mode, absolute in [("clip", False), ("rescale", True), ("rescale", False)]:
        playground.page.select_option("#kp1-range", mode)
        playground.page.set_checked("#kp1-abs", absolute)
        shown = np.array(playground.page.evaluate(read_canvas)).reshape(64, 64, 4)[..., :3]
        values = np.abs(raw) if absolute else raw
        lo, hi = (0.0, 1.0) if mode == "clip" else (values.min(), values.max())
        expected = np.clip((values - lo) / (hi - lo), 0, 1) * 255
        assert np.abs(shown - expected.transpose(1, 2, 0)).max() <= 1, (mode, absolute)
    assert np.array_equal(playground.output(), raw), "the display changed the raw output"


# -- bad input: a clear message, and the last valid output stays --------------------------------


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({(1, 1): "abc"}, "Row 2, column 2: “abc” is not a number"),
        ({(0, 2): "1e300"}, "Row 1, column 3: “1e300” is too large"),
        ({(2, 0): "1/0"}, "Row 3, column 1: “1/0” is not a finite number"),
        ({(i, j): "" for i in range(3) for j in range(3)}, "The kernel is empty"),
        ({(0, 0): ""}, "Row 1, column 1 is empty"),
    ],
    ids=["word", "huge", "division-by-zero", "empty-grid", "empty-cell"],
)
def test_bad_weights_show_a_message_and_keep_the_output(playground, cells, message):
    playground.set_kernel("sobel x 3x3")
    playground.set_options("reflect", False)
    before, version = playground.output(), playground.version()
    for (i, j), text in cells.items():
        playground.page.fill(f"#kp1-cell-{i}-{j}", text)
    alert = playground.page.locator("#kp1-error")
    assert alert.is_visible() and alert.get_attribute("role") == "alert"
    assert message in alert.inner_text(), alert.inner_text()
    assert "last valid result" in alert.inner_text()
    assert playground.page.locator("[aria-invalid=true]").count() >= 1
    # Other changes keep working on the last valid kernel while the grid is wrong.
    playground.page.select_option("#kp1-padding", "zeros")
    playground.page.select_option("#kp1-padding", "reflect")
    assert np.array_equal(playground.output(), before)
    assert np.array_equal(playground.applied_kernel(), SOBEL_X)
    # Fixing the cells clears the message and updates the output.
    for i, j in cells:
        playground.page.fill(f"#kp1-cell-{i}-{j}", str(SOBEL_X[i][j]))
    assert not alert.is_visible()
    assert playground.version() > version
    assert np.array_equal(playground.output(), before)
    playground.kernel = None


def test_normalising_a_kernel_that_sums_to_zero_says_so_and_leaves_it(playground):
    playground.set_kernel("sobel x 3x3")
    playground.set_options("reflect", False)
    before = playground.output()
    playground.page.set_checked("#kp1-normalise", True)
    try:
        assert "sums to 0, so it cannot be normalised" in playground.page.inner_text("#kp1-note")
        assert np.array_equal(playground.output(), before)
    finally:
        playground.page.set_checked("#kp1-normalise", False)
    assert playground.page.inner_text("#kp1-note") == ""


def test_a_file_that_is_not_an_image_keeps_the_last_image(playground):
    playground.set_kernel("box 5x5")
    playground.set_options("reflect", False)
    before = playground.output()
    playground.load_file("notes.txt", "text/plain", b"not an image at all")
    alert = playground.page.locator("#kp1-error")
    alert.wait_for(state="visible", timeout=5_000)
    assert "“notes.txt” could not be read as an image" in alert.inner_text()
    assert playground.js("window.playground.image.name") == "astronaut_eyes.png"
    assert np.array_equal(playground.output(), before)
    # A real image afterwards loads and clears the message.
    version = playground.version()
    playground.load_file("tiny.png", "image/png", png_bytes(np.full((5, 7), 200, np.uint8)))
    playground.wait_newer(version)
    assert not alert.is_visible()
    info = playground.js("window.playground.image")
    assert (info["width"], info["height"]) == (7, 5)
    playground.choose_image("Astronaut")


def test_a_large_image_is_scaled_down_to_512_pixels(playground):
    ramp = np.tile(np.linspace(0, 255, 1000).astype(np.uint8), (600, 1))
    version = playground.version()
    playground.load_file("wide.png", "image/png", png_bytes(ramp))
    playground.wait_newer(version)
    info = playground.js("window.playground.image")
    assert (info["width"], info["height"], info["channels"]) == (512, 307, 1)
    assert "scaled down to 512 × 307" in playground.page.inner_text("#kp1-in-caption")
    assert (
        playground.page.locator("#kp1-image option:checked").inner_text() == "Your image: wide.png"
    )
    playground.choose_image("Astronaut")


# -- keyboard, small screens, speed ---------------------------------------------------------------


def test_sliders_work_from_the_keyboard_and_announce_their_value(playground):
    page = playground.page
    page.select_option("#kp1-preset", "gaussian")
    page.fill("#kp1-sigma", "1")
    version = playground.version()
    page.focus("#kp1-sigma")
    page.keyboard.press("ArrowRight")
    assert playground.version() > version
    assert page.locator("#kp1-sigma").get_attribute("aria-valuetext") == "1.1 px"
    assert page.locator("#kp1-sigma-value").inner_text() == "1.1 px"
    assert page.locator("#kp1-sigma-value").get_attribute("aria-live") == "polite"
    # Every control of the widget has a label a screen reader can announce.
    unnamed = page.evaluate("""() => [...document.querySelectorAll('.kp input, .kp select')]
        .filter((c) => !c.labels?.length && !c.getAttribute('aria-label')).map((c) => c.id)""")
    assert unnamed == []
    playground.kernel = None


@pytest.mark.parametrize("width", [390, 1280])
def test_layout_fits_the_screen_with_images_side_by_side(chromium, width):
    page, errors = open_page(chromium, width)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        widget = page.locator("#kernel-playground").bounding_box()
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= width
        left, right = (page.locator(f"#kp1-{n}").bounding_box() for n in ("in", "out"))
        assert abs(left["y"] - right["y"]) < 1 and left["x"] + left["width"] <= right["x"]
        assert right["width"] >= 0.3 * widget["width"]
        page.select_option("#kp1-size", "7")  # the widest grid still fits
        grid = page.locator("#kp1-grid").bounding_box()
        assert grid["x"] + grid["width"] <= width
        assert not errors, errors
    finally:
        page.close()


def measure(ui: Playground, name: str, repeats: int = 9) -> None:
    """Record the page's own timing of ``repeats`` updates (changing the padding each time)."""
    times = []
    for i in range(repeats):
        ui.page.select_option("#kp1-padding", PADDINGS[i % 2])
        times.append(ui.js("window.playground.lastUpdateMs"))
    TIMINGS[name] = {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "method": ui.js("window.playground.passes"),
    }


def test_update_time_for_512_by_512_and_7_by_7(playground):
    """Filter + draw time of one update, as the page measures it, for grey and colour photos.

    The 7 × 7 Laplacian of Gaussian needs the direct 2-D pass (it is not separable enough), the
    Gaussian two 1-D passes. The claim (one frame at 60 Hz) is checked on the fastest of the
    updates, so that a machine busy with other work does not fail it; medians are reported.
    """
    grey, colour = png_bytes(data.camera()), png_bytes(data.astronaut())

    def load(name: str, content: bytes) -> None:
        version = playground.version()
        playground.load_file(name, "image/png", content)
        playground.wait_newer(version)
        assert playground.js("window.playground.image.width") == 512

    playground.page.select_option("#kp1-preset", "log")
    playground.page.select_option("#kp1-size", "7")
    load("grey.png", grey)
    measure(playground, "512 x 512 grey, 7 x 7 LoG")
    playground.page.select_option("#kp1-preset", "gaussian")
    playground.page.select_option("#kp1-size", "7")
    measure(playground, "512 x 512 grey, 7 x 7 Gaussian")
    load("colour.png", colour)
    measure(playground, "512 x 512 colour, 7 x 7 Gaussian")
    playground.page.select_option("#kp1-preset", "log")
    measure(playground, "512 x 512 colour, 7 x 7 LoG")
    playground.kernel = None
    playground.choose_image("Astronaut")
    assert "direct" in TIMINGS["512 x 512 grey, 7 x 7 LoG"]["method"]
    assert "separable" in TIMINGS["512 x 512 grey, 7 x 7 Gaussian"]["method"]
    for name in ["512 x 512 grey, 7 x 7 LoG", "512 x 512 grey, 7 x 7 Gaussian"]:
        fastest = TIMINGS[name]["min_ms"]
        assert fastest <= FRAME_MS, f"{name}: {fastest:.1f} ms > one frame ({FRAME_MS:.1f} ms)"
    slowest = max(t["median_ms"] for t in TIMINGS.values())
    assert slowest < 500, f"an update took {slowest:.0f} ms"


def write_report() -> None:
    if not RESULTS and not TIMINGS:
        return
    REPORT.parent.mkdir(exist_ok=True)
    lines = [
        f"Playground vs F.pad + F.conv2d (float64), {len(RESULTS)} combinations, "
        f"tolerance 1/255 = {TOLERANCE:.2e}"
    ]
    if RESULTS:
        worst = max(RESULTS, key=RESULTS.get)
        lines.append(f"largest max |difference|: {RESULTS[worst]:.2e} ({worst})")
        lines += [f"  {error:.2e}  {name}" for name, error in RESULTS.items()]
    lines.append("Update time (filter + draw), median of 9 updates:")
    lines += [
        f"  {name}: {t['median_ms']:.1f} ms (min {t['min_ms']:.1f}; {t['method']})"
        for name, t in TIMINGS.items()
    ]
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines[:2] + lines[-len(TIMINGS) - 1 :]))
