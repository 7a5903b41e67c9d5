"""Home page figure (snippets/home/sobel_vs_learned.py): the hand-made kernels, the similarity
measure, the statistics over seeds and the filtering behave as the page says, checked against
scipy.ndimage and against a plain re-computation."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from scipy import ndimage  # noqa: E402

from conftest import snippet_module  # noqa: E402


@pytest.fixture(scope="module")
def home():
    torch.set_num_threads(1)  # as in the build; many threads only fight over the CPU here
    module = snippet_module("home/sobel_vs_learned.py")  # trains the 20 small CNNs (seconds)
    plt.close("all")
    return module


def test_compass_holds_eight_distinct_zero_sum_rotations_of_sobel(home):
    kernels = np.array(home.compass)
    assert kernels.shape == (8, 3, 3)
    assert len({k.tobytes() for k in kernels}) == 8
    np.testing.assert_array_equal(kernels.sum(axis=(1, 2)), 0)
    # Turning by 180 degrees negates a Sobel kernel: the compass holds each kernel and its negative.
    for k in kernels:
        assert any(np.array_equal(-k, other) for other in kernels)


@pytest.mark.parametrize("scale, offset", [(1.0, 0.0), (3.0, 0.0), (0.5, 2.0), (10.0, -7.0)])
def test_similarity_ignores_scale_and_brightness_offset(home, scale, offset):
    kernel = np.random.default_rng(0).normal(size=(3, 3))
    assert home.similarity(kernel, scale * kernel + offset) == pytest.approx(1.0)
    assert home.similarity(kernel, -scale * kernel + offset) == pytest.approx(-1.0)


def test_similarity_is_the_correlation_of_the_weights(home):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    assert home.similarity(a, b) == pytest.approx(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_reported_statistics_are_consistent(home):
    assert home.learned_best.shape == home.initial_best.shape == (home.n_seeds,)
    assert home.n_seeds >= 10
    assert home.learned_mean == pytest.approx(home.learned_best.mean())
    assert home.initial_sd == pytest.approx(home.initial_best.std(ddof=1))
    for kernels, best in zip(home.learned_kernels, home.learned_best, strict=True):
        assert best == pytest.approx(home.best_match(kernels))
    assert np.all((home.random_best >= -1) & (home.random_best <= 1))
    assert home.chance_of_learned_mean == pytest.approx(
        np.mean(home.random_best >= home.learned_mean)
    )
    # the page's "seed by seed": the paired difference after minus before training
    differences = home.learned_best - home.initial_best
    assert home.training["mean"] == pytest.approx(differences.mean())
    assert home.training["se"] == pytest.approx(differences.std(ddof=1) / np.sqrt(home.n_seeds))
    assert home.training["wins"] == (differences > 0).sum()


def test_each_network_sees_its_own_mini_batch_order(home):
    orders = home.orders  # the last epoch's order of the training images, one row per network
    assert orders.shape == (home.n_seeds, len(home.train))
    for order in orders:  # every network sees every training image once per epoch ...
        assert torch.equal(order.sort().values, home.train.sort().values)
    assert len({tuple(order.tolist()) for order in orders}) == home.n_seeds  # ... in its own order


def test_the_figure_shows_the_median_seed(home):
    assert home.learned_similarity == pytest.approx(
        home.similarity(home.learned, home.matching_sobel)
    )
    # the middle one of the sorted seeds (of two middle ones, the upper)
    assert home.learned_similarity == pytest.approx(np.sort(home.learned_best)[home.n_seeds // 2])
    assert home.learned_similarity == pytest.approx(home.learned_best[home.shown_seed])


def test_the_random_baseline_is_the_best_of_eight_fresh_kernels(home):
    """The vectorised baseline equals best_match() on the same kernels."""
    torch.manual_seed(123)
    kernels = torch.nn.Conv2d(1, 8 * 5, 3).weight.detach().view(5, 8, 3, 3).double().numpy()
    flat = kernels.reshape(5, 8, 9) - kernels.reshape(5, 8, 9).mean(axis=2, keepdims=True)
    flat /= np.linalg.norm(flat, axis=2, keepdims=True)
    vectorised = (flat @ home.unit_compass.T).max(axis=(1, 2))
    np.testing.assert_allclose(vectorised, [home.best_match(k) for k in kernels])


def test_filtering_is_scipy_correlation_with_zero_padding(home):
    for kernel in (home.matching_sobel, home.learned):
        expected = ndimage.correlate(home.photo, kernel.astype(np.float32), mode="constant")
        np.testing.assert_allclose(home.filtered(kernel), expected, atol=1e-5)


def test_sobel_kernel_is_scipy_sobel_along_the_columns_up_to_sign(home):
    # scipy.ndimage.sobel(axis=1) correlates with [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]].
    ours = home.filtered(home.sobel)
    np.testing.assert_allclose(
        ours[1:-1, 1:-1], -ndimage.sobel(home.photo, axis=1)[1:-1, 1:-1], atol=1e-5
    )
