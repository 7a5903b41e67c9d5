"""VGG16's learned kernels as playground presets (snippets/real/playground_presets.py).

The snippet's choice is recomputed here from the weights file itself (read with h5py, in Keras'
layout, without the snippet's helper), the reduction to one kernel is checked against a full
colour convolution (torch) and scipy's correlation, the labels against the response to step
edges, the page's kinds against numpy's FFT, and the numbers the page quotes are asserted.
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy import ndimage  # noqa: E402

from conftest import snippet_module  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The snippet, run in an empty folder; returns (module, the JSON file it wrote)."""
    folder = tmp_path_factory.mktemp("presets")
    plt.close("all")
    module = snippet_module("real/playground_presets.py", folder)
    plt.close("all")
    return module, json.loads((folder / "vgg16_conv1_1_presets.json").read_text())


@pytest.fixture(scope="module")
def keras_conv1_1(run):
    """conv1_1 as stored: (height, width, in BGR, out), read straight from the weights file."""
    module, _ = run
    hed = module.load_hed.__globals__  # the helper the snippet imported, for the file's path
    with h5py.File(hed["weights_file"](), "r") as f:
        return f["block1/layers/conv2d/vars/0"][()].astype(np.float64)


def test_the_choice_follows_the_stated_rule(run, keras_conv1_1):
    module, file = run
    summed = keras_conv1_1.sum(axis=2).transpose(2, 0, 1) * 255  # (64, 3, 3)
    strength = np.sqrt((summed**2).sum((1, 2)))
    strongest = list(np.argsort(-strength)[:4])
    by_gain = [u for u in np.argsort(-np.abs(summed.sum((1, 2)))) if u not in strongest]
    expected = strongest + by_gain[:2]
    assert module.chosen == expected
    assert [k["unit"] for k in file["kernels"]] == expected
    assert file["scale"] == module.SCALE == 255 and file["kernels_in_layer"] == 64
    for kernel in file["kernels"]:
        np.testing.assert_allclose(kernel["weights"], summed[kernel["unit"]], rtol=1e-12)
        assert kernel["id"] == f"vgg16_{kernel['unit']}"
        assert kernel["label"].startswith(f"VGG16 kernel {kernel['unit']}: ")


def test_the_summed_kernel_is_the_response_to_a_grey_image(run):
    module, _ = run
    grey = torch.rand(1, 1, 20, 20, dtype=torch.float64)
    full = F.conv2d(grey.expand(1, 3, 20, 20) * 255, module.colour[module.chosen])
    summed = F.conv2d(grey, module.grey[module.chosen, None])
    assert torch.allclose(full, summed)
    # scipy's correlation (the playground's operation) agrees away from the border.
    kernel = module.grey[module.chosen[0]].numpy()
    reference = ndimage.correlate(grey[0, 0].numpy(), kernel, mode="constant")
    np.testing.assert_allclose(reference[1:-1, 1:-1], summed[0, 0].numpy(), rtol=1e-12)


def test_the_brightness_share_is_one_minus_the_colour_difference_share(run):
    module, _ = run
    colour = module.colour.numpy()
    brightness = colour.mean(1, keepdims=True)
    differences = colour - brightness  # the part that sums to 0 over the channels
    share = (3 * brightness**2).sum((1, 2, 3)) / (colour**2).sum((1, 2, 3))
    np.testing.assert_allclose(module.brightness_share.numpy(), share)
    np.testing.assert_allclose(
        1 - share, (differences**2).sum((1, 2, 3)) / (colour**2).sum((1, 2, 3))
    )


def edge_patch(side: str) -> np.ndarray:
    """A 3 × 3 step edge, 1 on the named side of the centre line, 0 on the other, ½ on it."""
    dx, dy = {
        "right": (1, 0),
        "top right": (1, 1),
        "top": (0, 1),
        "top left": (-1, 1),
        "left": (-1, 0),
        "bottom left": (-1, -1),
        "bottom": (0, -1),
        "bottom right": (1, -1),
    }[side]
    y, x = np.mgrid[1:-2:-1, -1:2]  # y up
    return np.sign(x * dx + y * dy) / 2 + 1 / 2


def test_each_edge_label_names_the_step_edge_it_answers_most(run):
    module, _ = run
    sides = ["right", "top right", "top", "top left", "left", "bottom left", "bottom"]
    sides.append("bottom right")
    for key in ("k1", "k2", "k3", "k4"):
        kernel = module.grey[module.units[key]].numpy()
        best = max(sides, key=lambda side: (kernel * edge_patch(side)).sum())
        assert module.labels[key] == f"edge, brighter at {best}"


def page_kind(kernel: np.ndarray) -> str:
    """The playground's classification (docs/assets/playground.js, classifyKernel) with numpy."""
    gain = np.abs(np.fft.fft2(kernel, (64, 64)))
    dc, peak = kernel.sum(), gain.max()
    if abs(dc) <= 1e-2 * peak:
        return "edge"
    if dc > 0 and peak <= dc * (1 + 1e-9):
        return "smoothing"
    return "other"


def test_the_page_calls_four_edges_one_smoothing_and_one_negative(run):
    module, _ = run
    kinds = [page_kind(module.grey[u].numpy()) for u in module.chosen]
    assert kinds == ["edge"] * 4 + ["smoothing", "other"]
    assert module.grey[module.units["k6"]].sum() < 0  # "other" because it inverts brightness


def test_the_numbers_the_page_quotes(run):
    module, _ = run
    assert module.SCALE == 255
    assert module.layer["kernels_in_layer"] == 64
    assert module.smallest_brightness_share > 0.9
    assert 0 < module.colour_kernels < 64
    assert module.colour_kernels == int((module.brightness_share.numpy() < 0.5).sum())
    assert module.edge_sum_ratio < 0.01
    assert module.labels["k5"] == "bright spot" and module.labels["k6"] == "dark spot"
    assert len(set(module.labels[k] for k in ("k1", "k2", "k3", "k4"))) == 4  # four orientations
    assert set(module.units) == {f"k{i}" for i in range(1, 7)}
