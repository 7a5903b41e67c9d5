"""Claims of the chapter "Where the line between fixed and learned moves" beyond the snippets'
own asserts: the identities hold for other sizes than the ones shown, the Gabor layer finds
other orientations, and the ROCKET features behave as defined.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from conftest import snippet_module


@pytest.fixture(scope="module")
def kernel_sizes():
    return snippet_module("line/kernel_sizes.py")


@pytest.fixture(scope="module")
def learned_gabor():
    """The Gabor layer snippet (about 3 s): its `gabor` and `fit` functions."""
    torch.set_num_threads(1)
    return snippet_module("line/learned_gabor.py")


@pytest.fixture(scope="module")
def rocket():
    """The ROCKET snippet (about 2 s): its random kernels and feature transform."""
    torch.set_num_threads(1)
    return snippet_module("line/rocket.py")


# -- kernel sizes -----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_a_stack_of_3x3_layers_sees_the_window_of_one_large_kernel(kernel_sizes, depth):
    size = 2 * depth + 1
    _, height, width = kernel_sizes.window_seen(kernel_sizes.stack(3, depth, 2))
    _, big_height, big_width = kernel_sizes.window_seen(kernel_sizes.stack(size, 1, 2))
    assert height == width == big_height == big_width == size
    # 9 weights per layer and pair of channels, against size * size for the single kernel
    stack_weights = kernel_sizes.n_weights(kernel_sizes.stack(3, depth, 1))
    assert stack_weights == 9 * depth
    assert stack_weights <= size * size  # equal only for depth 1


# -- 1 x 1 and depthwise-separable convolutions -----------------------------------------------


@pytest.mark.parametrize(("c_in", "c_out"), [(1, 1), (3, 7), (16, 4)])
def test_a_1x1_convolution_is_a_linear_layer_at_every_pixel(c_in, c_out):
    torch.manual_seed(0)
    conv = nn.Conv2d(c_in, c_out, 1).double()
    x = torch.randn(3, c_in, 5, 6, dtype=torch.float64)
    per_pixel = F.linear(x.permute(0, 2, 3, 1), conv.weight[:, :, 0, 0], conv.bias)
    assert torch.allclose(conv(x), per_pixel.permute(0, 3, 1, 2))


@pytest.mark.parametrize(
    ("c_in", "c_out", "k", "stride"), [(3, 5, 3, 1), (8, 2, 5, 1), (4, 4, 3, 2), (1, 6, 7, 1)]
)
def test_depthwise_then_pointwise_is_a_full_conv_with_rank_one_slices(c_in, c_out, k, stride):
    torch.manual_seed(1)
    depthwise = torch.randn(c_in, 1, k, k, dtype=torch.float64)
    pointwise = torch.randn(c_out, c_in, 1, 1, dtype=torch.float64)
    x = torch.randn(2, c_in, 11, 11, dtype=torch.float64)
    factorised = F.conv2d(F.conv2d(x, depthwise, stride=stride, groups=c_in), pointwise)
    full_kernel = pointwise * depthwise.transpose(0, 1)  # W[o, c] = P[o, c] * D[c]
    assert torch.allclose(factorised, F.conv2d(x, full_kernel, stride=stride))
    for c in range(c_in):
        assert torch.linalg.matrix_rank(full_kernel[:, c].reshape(c_out, -1)) == 1
    weights = c_in * k * k + c_in * c_out
    assert weights <= c_in * c_out * k * k or c_out == 1


# -- a Gabor layer with a few learned numbers -------------------------------------------------


def test_gabor_kernel_is_unchanged_by_a_half_turn(learned_gabor):
    g = learned_gabor.gabor
    params = [torch.tensor([v]) for v in (2.0, 0.3, 5.0, 1.0)]
    turned = [params[0], params[1] + math.pi, params[2], params[3]]
    assert torch.allclose(g(*params), g(*turned), atol=1e-6)


@pytest.mark.parametrize("degrees", [15.0, 135.0])
def test_gabor_layer_finds_other_orientations(learned_gabor, degrees):
    g = learned_gabor.gabor
    theta = math.radians(degrees)
    hidden = g(*(torch.tensor([v]) for v in (2.0, theta, 5.0, 1.0)))
    image = torch.randn(1, 1, 16, 16, generator=torch.Generator().manual_seed(3))
    _, _, _, learned, train_error = learned_gabor.fit(hidden, image, 12)
    fitted = train_error < 0.01
    assert fitted.sum() >= 9  # most starts fit ...
    error = ((learned[1] - theta + math.pi / 2) % math.pi - math.pi / 2).abs()
    assert torch.rad2deg(error[fitted]).max() < 0.5  # ... and those that fit have the angle


# -- ROCKET -----------------------------------------------------------------------------------


def test_rocket_features_of_a_flat_series_are_the_biases(rocket):
    """A series of zeros gives every kernel the output `bias` at every position: its maximum is
    the bias and its proportion of positive values is 1 or 0."""
    zeros = np.zeros((1, rocket.LENGTH), dtype=np.float32)
    features = rocket.rocket_features(zeros, rocket.first_kernels)[0]
    biases = torch.tensor(rocket.biases, dtype=torch.float32)
    assert torch.allclose(features[:, 1], biases)
    assert torch.equal(features[:, 0], (biases > 0).float())


def test_rocket_kernels_follow_the_published_recipe(rocket):
    assert set(rocket.lengths) == {7, 9, 11}
    assert all(abs(w.mean()) < 1e-12 for w in rocket.weights)  # centred weights
    assert (np.abs(rocket.biases) <= 1).all()
    longest = (rocket.lengths - 1) * rocket.dilations + 1  # the span of each dilated kernel
    assert (longest <= rocket.LENGTH).all() and rocket.dilations.max() > 8
    assert set(np.unique(rocket.paddings == 0)) == {True, False}  # both choices occur


def test_rocket_features_do_not_depend_on_where_the_shape_is(rocket):
    """Max and PPV are pooled over all positions: moving a shape (away from the ends) leaves the
    maximum unchanged for kernels that use no padding-dependent region."""
    t = np.arange(rocket.LENGTH)
    bump = lambda centre: np.exp(-((t - centre) ** 2) / 18).astype(np.float32)[None]  # noqa: E731
    a, b = (rocket.rocket_features(bump(c), rocket.first_kernels) for c in (50, 70))
    short = (rocket.lengths - 1) * rocket.dilations <= 20  # kernels that see the bump whole
    assert torch.allclose(a[0, short, 1], b[0, short, 1], atol=1e-5)


# -- patch embedding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channels", "patch", "size", "dim"), [(3, 16, 32, 8), (1, 4, 8, 5), (2, 3, 9, 4)]
)
def test_patch_embedding_is_a_conv_with_kernel_size_equal_to_stride(channels, patch, size, dim):
    torch.manual_seed(2)
    conv = nn.Conv2d(channels, dim, patch, stride=patch).double()
    x = torch.randn(2, channels, size, size, dtype=torch.float64)
    n = size // patch
    patches = (
        x.view(2, channels, n, patch, n, patch).permute(0, 2, 4, 1, 3, 5).reshape(2, n * n, -1)
    )
    by_linear = F.linear(patches, conv.weight.flatten(1), conv.bias)
    assert torch.allclose(conv(x).flatten(2).transpose(1, 2), by_linear)
