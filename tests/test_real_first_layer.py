"""Claims of the "A real first layer: VGG16" section (chapter 5) beyond the snippet's asserts.

The snippet's measures are checked against reference computations (least squares with numpy,
convolutions with torch, the one-sample t-test with scipy), their chance values on many random
kernels, its random draws against PyTorch's own initialisers, its orientation convention on
Sobel kernels, and the numbers the page quotes.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy import stats  # noqa: E402

from conftest import snippet_module  # noqa: E402

plt.close("all")
layer = snippet_module("real/vgg_first_layer.py")
FIGURES = [plt.figure(n) for n in plt.get_fignums()]


def random_filters(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 3, 3, 3))


# -- the measures, against reference computations -------------------------------------------


def test_the_brightness_part_is_what_a_grey_image_sees():
    filters = layer.learned[:8]
    grey = torch.rand(1, 1, 12, 12, dtype=torch.float64)
    full = F.conv2d(grey.expand(1, 3, 12, 12), torch.from_numpy(filters))
    part = torch.from_numpy(layer.brightness(filters).reshape(8, 1, 3, 3))
    assert torch.allclose(full, F.conv2d(grey, part))


@pytest.mark.parametrize("which", ["learned", "random"])
def test_basis_shares_sum_to_the_r2_of_a_least_squares_fit(which):
    filters = layer.learned if which == "learned" else random_filters(64)
    target = layer.brightness(filters)  # (n, 9)
    design = layer.basis.T  # (9, 4), the basis kernels as they are, not normalised
    coefficients = np.linalg.lstsq(design, target.T, rcond=None)[0]
    residual = ((target.T - design @ coefficients) ** 2).sum(0)
    r2 = 1 - residual / (target**2).sum(1)  # uncentred: the box kernel fits the mean
    assert np.allclose(layer.basis_shares(filters).sum(1), r2)
    assert np.allclose(layer.measures(filters)["hand"], r2)


def test_a_hand_made_kernel_is_explained_fully_and_an_orthogonal_one_not_at_all():
    sobel = np.broadcast_to(layer.sobel_x, (1, 3, 3, 3)).astype(float)
    assert layer.basis_shares(sobel)[0] == pytest.approx([0, 1, 0, 0])
    saddle = np.array([[1, 0, -1], [0, 0, 0], [-1, 0, 1]], dtype=float)  # ⊥ all four
    assert layer.basis_shares(np.broadcast_to(saddle, (1, 3, 3, 3)))[0].sum() < 1e-12


def test_opponent_share_is_one_minus_the_projection_on_grey():
    filters = np.concatenate([layer.learned, random_filters(16)])
    grey = np.ones(3) / np.sqrt(3)
    along = np.einsum("nchw,c->nhw", filters, grey)
    expected = 1 - (along**2).sum((1, 2)) / (filters**2).sum((1, 2, 3))
    assert np.allclose(layer.opponent_share(filters), expected)
    grey_filter = np.broadcast_to(layer.laplacian, (1, 3, 3, 3)).astype(float)
    red_minus_green = np.stack([np.ones((3, 3)), -np.ones((3, 3)), np.zeros((3, 3))])[None]
    assert layer.opponent_share(grey_filter)[0] == pytest.approx(0)
    assert layer.opponent_share(red_minus_green)[0] == pytest.approx(1)


def test_chance_values_are_what_random_gaussian_kernels_get():
    found = layer.measures(random_filters(20_000, seed=1))
    assert found["hand"].mean() == pytest.approx(layer.hand_chance, abs=0.01)
    assert layer.hand_chance == pytest.approx(4 / 9)
    assert found["opponent"].mean() == pytest.approx(layer.opponent_chance, abs=0.01)


def test_the_measures_ignore_scale_and_the_colour_order():
    filters = layer.learned
    for name, values in layer.measures(filters).items():
        assert np.allclose(layer.measures(7.5 * filters)[name], values)
        assert np.allclose(layer.measures(filters[:, ::-1])[name], values)  # BGR or RGB


# -- the random draws are PyTorch's initialisers ---------------------------------------------


def test_default_draws_are_a_fresh_conv2d_after_manual_seed():
    torch.manual_seed(3)
    conv = nn.Conv2d(3, 64, 3)
    assert np.array_equal(layer.pytorch_default(3), conv.weight.detach().double().numpy())
    bound = 1 / math.sqrt(27)  # kaiming_uniform_ with a = √5: U(-1/√fan_in, 1/√fan_in)
    assert np.abs(layer.pytorch_default(3)).max() <= bound


def test_he_draws_have_the_he_standard_deviation_and_differ_by_seed():
    weights = np.stack([layer.he_normal(s) for s in range(20)])
    assert weights.std() == pytest.approx(math.sqrt(2 / 27), rel=0.02)
    assert not np.array_equal(layer.he_normal(0), layer.he_normal(1))
    assert np.array_equal(layer.he_normal(5), layer.he_normal(5))


def test_each_draw_is_its_own_and_the_seeds_are_the_runs():
    assert len(layer.SEEDS) == layer.n_draws >= 10
    for scheme in ("default", "he"):
        first = [d[0, 0, 0, 0] for d in layer.draws[scheme]]
        assert len(set(first)) == layer.n_draws


# -- the comparison is a one-sample t-test over draws ----------------------------------------


@pytest.mark.parametrize("name", ["hand_default", "hand_he", "opponent_default", "opponent_he"])
def test_the_paired_comparison_is_the_one_sample_t_test(name):
    measure, scheme = name.split("_")
    randoms = layer.random_medians[scheme][measure]
    result = layer.comparison[name]
    reference = stats.ttest_1samp(randoms, layer.learned_median[measure])
    assert result["mean"] == pytest.approx(layer.learned_median[measure] - randoms.mean())
    assert result["se"] == pytest.approx(randoms.std(ddof=1) / math.sqrt(len(randoms)))
    assert result["p"] == pytest.approx(reference.pvalue, rel=1e-6, abs=1e-300)
    assert result["n"] == layer.n_draws


# -- orientation --------------------------------------------------------------------------


def test_sobel_x_answers_brighter_to_the_right_and_sobel_y_brighter_downwards():
    ramp = torch.arange(5, dtype=torch.float64).expand(5, 5)  # brighter to the right
    for image, kernel in [(ramp, layer.sobel_x), (ramp.T, layer.sobel_x.T)]:
        k = torch.tensor(kernel, dtype=torch.float64)[None, None]
        assert (F.conv2d(image[None, None], k) > 0).all()  # conv2d is cross-correlation


@pytest.mark.parametrize("degrees", [0, 30, 90, 135, 170])
def test_the_angle_of_a_steered_sobel_kernel_is_its_direction(degrees):
    t = np.radians(degrees)
    kernel = np.cos(t) * layer.sobel_x + np.sin(t) * layer.sobel_x.T
    coefficients = kernel.reshape(9) @ layer.unit_basis.T
    angle = np.degrees(np.arctan2(coefficients[2], coefficients[1])) % 180
    assert angle == pytest.approx(degrees % 180, abs=1e-9)


# -- the figures ----------------------------------------------------------------------------


def test_figure_one_shows_all_64_filters_in_rgb_order():
    grid = FIGURES[0]
    assert len(FIGURES) == 2 and grid.axes[0].images[0].get_array().shape == (31, 31, 4)
    assert grid.get_size_inches()[0] <= 6.4 and FIGURES[1].get_size_inches()[0] <= 6.4
    shown = grid.axes[0].images[0].get_array()
    for tile, k in [(0, layer.order[0]), (63, layer.order[63])]:
        row, col = divmod(tile, 8)
        rgb = np.stack([layer.learned[k, 2], layer.learned[k, 1], layer.learned[k, 0]], -1)
        cell = shown[4 * row : 4 * row + 3, 4 * col : 4 * col + 3]
        assert np.allclose(cell[..., :3], (rgb - rgb.min()) / (rgb.max() - rgb.min()))
        assert (cell[..., 3] == 1).all()
    assert (shown[3::4, :, 3] == 0).all() and (shown[:, 3::4, 3] == 0).all()  # the gaps
    opponent = layer.learned_measures["opponent"][layer.order]
    assert (np.diff(opponent) >= 0).all()  # from grey to colour


# -- the numbers the page quotes -------------------------------------------------------------


def test_the_quoted_numbers():
    assert layer.n_kernels == 64 and layer.n_basis == 4 and layer.n_draws == 20
    assert layer.learned_median["hand"] > 0.8 > 0.5 > layer.random_median["he"]["hand"]
    assert layer.learned_median["opponent"] < 0.1 < 0.6 < layer.random_median["default"]["opponent"]
    for scheme in ("default", "he"):
        assert layer.comparison[f"hand_{scheme}"]["verdict"] == "higher"
        assert layer.comparison[f"opponent_{scheme}"]["verdict"] == "lower"
        assert layer.random_edge[scheme] < 0.15 and layer.random_colour[scheme] > 0.7
    assert layer.n_edge == 44 and layer.n_colour == 19
    assert layer.n_both == (layer.is_edge & layer.is_colour).sum() == 1  # the kinds barely overlap
    assert layer.colour_flat_median > 0.9 and layer.colour_flat_min > 0.7 > 6 * layer.flat_chance
    assert layer.kind_threshold == 0.5 and min(layer.orientation_counts) >= 5
    assert sum(layer.orientation_counts) == layer.n_edge
    assert layer.mean_edge_share == pytest.approx(layer.edge_share.mean())
    edge = layer.mean_share["sobel_x"] + layer.mean_share["sobel_y"]
    assert edge > 0.5 > 2 * layer.mean_share["laplacian"] > 2 * layer.mean_share["box"]
