"""Chapter 2 (convolution notation): the hand-written formulas of snippets/notation/conv_by_hand.py
and the chapter's claims, cross-checked against NumPy, SciPy and PyTorch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage, signal
from torch import nn

from conftest import snippet_module

by_hand = snippet_module("notation/conv_by_hand.py")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def as_batch(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a)[None, None]


# -- the definitions, written as loops ---------------------------------------------------------


@pytest.mark.parametrize("n_f, n_h", [(1, 1), (5, 3), (3, 5), (8, 8), (10, 1)])
def test_convolve1d_matches_numpy_convolve(n_f, n_h):
    f, h = rng(n_f).normal(size=n_f), rng(n_h + 10).normal(size=n_h)
    np.testing.assert_allclose(by_hand.convolve1d(f, h), np.convolve(f, h), atol=1e-12)


@pytest.mark.parametrize(
    "shape_f, shape_h", [((6, 6), (3, 3)), ((7, 5), (2, 4)), ((4, 4), (4, 4)), ((5, 9), (1, 3))]
)
def test_convolve2d_matches_scipy_full_convolution(shape_f, shape_h):
    f, h = rng(1).normal(size=shape_f), rng(2).normal(size=shape_h)
    np.testing.assert_allclose(
        by_hand.convolve2d(f, h), signal.convolve2d(f, h, mode="full"), atol=1e-12
    )


@pytest.mark.parametrize(
    "shape_f, shape_h", [((6, 6), (3, 3)), ((7, 5), (2, 4)), ((4, 4), (4, 4)), ((9, 5), (3, 1))]
)
def test_correlate2d_matches_scipy_and_torch(shape_f, shape_h):
    f, h = rng(3).normal(size=shape_f), rng(4).normal(size=shape_h)
    ours = by_hand.correlate2d(f, h)
    np.testing.assert_allclose(ours, signal.correlate2d(f, h, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(ours, F.conv2d(as_batch(f), as_batch(h))[0, 0].numpy(), atol=1e-12)


@pytest.mark.parametrize(
    "stride, padding, dilation, groups, bias",
    [
        (1, 0, 1, 1, True),
        (2, 1, 1, 1, True),
        (1, 2, 2, 1, False),
        (3, 1, 2, 1, True),
        (1, 1, 1, 2, True),
        (2, 0, 1, 4, False),  # depthwise: one group per input channel
    ],
)
def test_conv2d_layer_matches_torch_conv2d(stride, padding, dilation, groups, bias):
    generator = rng(5)
    x = generator.normal(size=(4, 11, 9))
    weight = generator.normal(size=(8, 4 // groups, 3, 2))
    b = generator.normal(size=8) if bias else None
    ours = by_hand.conv2d_layer(x, weight, b, stride, padding, dilation, groups)
    theirs = F.conv2d(
        torch.tensor(x)[None],
        torch.tensor(weight),
        None if b is None else torch.tensor(b),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )[0].numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, atol=1e-10)


def test_layer_formula_is_a_sum_of_per_channel_cross_correlations_plus_bias():
    """g_o = b_o + sum_c f_c * h_{o,c}, with scipy's correlate2d for each channel."""
    generator = rng(6)
    layer = nn.Conv2d(3, 5, 4).double()
    x = generator.normal(size=(3, 12, 10))
    with torch.no_grad():
        expected = layer(torch.tensor(x)[None])[0].numpy()
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    for o in range(5):
        g_o = bias[o] + sum(signal.correlate2d(x[c], weight[o, c], mode="valid") for c in range(3))
        np.testing.assert_allclose(g_o, expected[o], atol=1e-10)


# -- output sizes ------------------------------------------------------------------------------

CONV_CASES = [
    c
    for c in itertools.product((3, 8, 13), (1, 2, 4), (0, 1, 3), (1, 2, 4), (1, 3))
    if c[0] + 2 * c[2] >= c[4] * (c[1] - 1) + 1
]


@pytest.mark.parametrize("n, k, p, s, d", CONV_CASES)
def test_output_size_matches_conv2d_on_non_square_inputs(n, k, p, s, d):
    # Height uses (n, k), width (n + 5, k + 1): the formula applies to each axis separately.
    k_w = k + 1
    layer = nn.Conv2d(1, 1, (k, k_w), stride=s, padding=p, dilation=d)
    if n + 5 + 2 * p < d * (k_w - 1) + 1:
        pytest.skip("kernel wider than the padded input")
    out = layer(torch.zeros(1, 1, n, n + 5))
    assert out.shape[-2:] == (
        by_hand.output_size(n, k, p, s, d),
        by_hand.output_size(n + 5, k_w, p, s, d),
    )


@pytest.mark.parametrize(
    "n, k, p, s, d, extra",
    [
        c
        for c in itertools.product((1, 4, 7), (1, 3, 4), (0, 1), (1, 2, 3), (1, 2), (0, 1))
        if c[5] < max(c[3], c[4]) and (c[0] - 1) * c[3] - 2 * c[2] + c[4] * (c[1] - 1) + c[5] >= 0
    ],
)
def test_transposed_output_size_matches_conv_transpose2d(n, k, p, s, d, extra):
    layer = nn.ConvTranspose2d(2, 3, k, stride=s, padding=p, dilation=d, output_padding=extra)
    out = layer(torch.zeros(1, 2, n, n))
    assert out.shape[-1] == by_hand.transposed_output_size(n, k, p, s, d, extra)


@pytest.mark.parametrize("n, k, p, s", [(9, 3, 1, 2), (10, 4, 1, 2), (7, 5, 2, 3)])
def test_transposed_convolution_restores_the_input_size(n, k, p, s):
    out = by_hand.output_size(n, k, p, s)
    extra = n - by_hand.transposed_output_size(out, k, p, s)  # what output_padding must pick
    assert 0 <= extra < s
    assert by_hand.transposed_output_size(out, k, p, s, output_padding=extra) == n


# -- bad input fails loudly --------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: by_hand.output_size(3, 5), "does not fit"),
        (lambda: by_hand.output_size(8, 3, dilation=4), "does not fit"),
        (lambda: by_hand.output_size(0, 3), "n must be a positive integer"),
        (lambda: by_hand.output_size(8, 3, stride=0), "stride must be a positive integer"),
        (lambda: by_hand.output_size(8, 2.5), "k must be a positive integer"),
        (lambda: by_hand.output_size(8, 3, padding=-1), "padding must be >= 0"),
        (lambda: by_hand.transposed_output_size(4, 3, 1, 2, 1, 2), "output_padding"),
        (lambda: by_hand.transposed_output_size(1, 1, padding=1), "removes the whole output"),
        (lambda: by_hand.correlate2d(np.ones((2, 2)), np.ones((3, 3))), "larger than the input"),
        (lambda: by_hand.correlate2d(np.ones(4), np.ones((1, 1))), "2-D array"),
        (lambda: by_hand.convolve2d(np.ones((2, 2)), np.ones((0, 3))), "non-empty 2-D"),
        (lambda: by_hand.convolve1d(np.ones((2, 2)), [1.0]), "1-D arrays"),
        (lambda: by_hand.convolve1d([], [1.0]), "non-empty"),
        (
            lambda: by_hand.conv2d_layer(np.ones((3, 5, 5)), np.ones((4, 1, 3, 3)), groups=2),
            "groups",
        ),
        (lambda: by_hand.conv2d_layer(np.ones((5, 5)), np.ones((1, 1, 3, 3))), "must be"),
    ],
)
def test_helpers_reject_impossible_input_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- flip: convolution versus cross-correlation ------------------------------------------------


@pytest.mark.parametrize("mode", ["constant", "reflect", "nearest", "wrap"])
def test_ndimage_correlate_equals_convolve_with_the_flipped_kernel(mode):
    f, h = rng(7).normal(size=(16, 16)), rng(8).normal(size=(3, 3))
    np.testing.assert_allclose(
        ndimage.correlate(f, h, mode=mode), ndimage.convolve(f, h[::-1, ::-1], mode=mode)
    )


@pytest.mark.parametrize(
    "kernel, symmetric",
    [
        (np.array([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]), True),  # Gaussian-like
        (np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]), True),  # Laplacian
        (np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]), False),  # Sobel: flip = negation
        (np.array([[0.0, 1, 0], [0, 2, 3], [0, 0, 0]]), False),
    ],
)
def test_flip_matters_only_for_kernels_without_180_degree_symmetry(kernel, symmetric):
    f = rng(9).normal(size=(12, 12))
    same = np.allclose(
        signal.correlate2d(f, kernel, mode="valid"), signal.convolve2d(f, kernel, mode="valid")
    )
    assert same == symmetric


# -- algebra -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma1, sigma2", [(1.0, 1.0), (1.0, 2.0), (2.5, 1.5)])
def test_two_gaussian_blurs_equal_one_wider_blur_in_scipy(sigma1, sigma2):
    image = rng(10).normal(size=(96, 96))
    twice = ndimage.gaussian_filter(ndimage.gaussian_filter(image, sigma1), sigma2)
    once = ndimage.gaussian_filter(image, np.hypot(sigma1, sigma2))
    inner = (slice(24, -24), slice(24, -24))  # away from the borders, where modes differ
    assert np.abs(twice[inner] - once[inner]).max() < 2e-3
    assert np.abs(twice[inner] - image[inner]).max() > 0.5  # the blur did something


@pytest.mark.parametrize(
    "column, row",
    [([1.0, 2, 1], [1.0, 0, -1]), ([1.0, 4, 6, 4, 1], [1.0, 4, 6, 4, 1]), ([1.0], [1.0, -1])],
)
def test_separable_kernel_equals_two_1d_passes_in_scipy(column, row):
    image = rng(11).normal(size=(40, 30))
    kernel = np.outer(column, row)
    two_passes = ndimage.correlate1d(ndimage.correlate1d(image, column, axis=0), row, axis=1)
    np.testing.assert_allclose(two_passes, ndimage.correlate(image, kernel), atol=1e-12)
    assert np.linalg.matrix_rank(kernel) == 1


@pytest.mark.parametrize("shape_f, shape_h", [((32, 32), (5, 5)), ((20, 31), (7, 3))])
def test_convolution_theorem_with_zero_padding(shape_f, shape_h):
    f, h = rng(12).normal(size=shape_f), rng(13).normal(size=shape_h)
    full = (shape_f[0] + shape_h[0] - 1, shape_f[1] + shape_h[1] - 1)
    by_fft = np.fft.irfft2(np.fft.rfft2(f, full) * np.fft.rfft2(h, full), full)
    np.testing.assert_allclose(by_fft, signal.convolve2d(f, h), atol=1e-10)
    np.testing.assert_allclose(signal.fftconvolve(f, h), signal.convolve2d(f, h), atol=1e-10)


def test_convolution_is_linear_commutative_and_associative_in_torch_too():
    # torch only cross-correlates; flipping the kernel turns F.conv2d into true convolution.
    def conv(a, b):  # full convolution of two 2-D tensors
        k_h, k_w = b.shape
        return F.conv2d(a[None, None], b.flip(0, 1)[None, None], padding=(k_h - 1, k_w - 1))[0, 0]

    generator = torch.Generator().manual_seed(0)
    f = torch.randn(10, 10, generator=generator, dtype=torch.float64)
    h = torch.randn(3, 3, generator=generator, dtype=torch.float64)
    h2 = torch.randn(4, 2, generator=generator, dtype=torch.float64)
    np.testing.assert_allclose(conv(f, h), signal.convolve2d(f.numpy(), h.numpy()), atol=1e-12)
    assert torch.allclose(conv(f, h), conv(h, f))
    assert torch.allclose(conv(conv(f, h), h2), conv(f, conv(h, h2)))
    assert torch.allclose(conv(3 * f + h2.sum() * f.T, h), 3 * conv(f, h) + h2.sum() * conv(f.T, h))


# -- padding, stride, dilation, groups, transposed ---------------------------------------------

# PyTorch padding_mode -> (numpy.pad mode, scipy.ndimage mode)
PADDING = {
    "zeros": ("constant", "constant"),
    "reflect": ("reflect", "mirror"),
    "replicate": ("edge", "nearest"),
    "circular": ("wrap", "wrap"),
}


@pytest.mark.parametrize("mode", PADDING)
def test_padding_mode_matches_numpy_pad_and_scipy_ndimage(mode):
    image = rng(14).normal(size=(12, 15))
    kernel = rng(15).normal(size=(5, 5))
    layer = nn.Conv2d(1, 1, 5, padding=2, padding_mode=mode, bias=False).double()
    with torch.no_grad():
        layer.weight.copy_(as_batch(kernel))
        ours = layer(as_batch(image))[0, 0].numpy()
    numpy_mode, ndimage_mode = PADDING[mode]
    padded = np.pad(image, 2, mode=numpy_mode)
    np.testing.assert_allclose(ours, signal.correlate2d(padded, kernel, mode="valid"), atol=1e-12)
    by_ndimage = ndimage.correlate(image, kernel, mode=ndimage_mode)
    np.testing.assert_allclose(ours, by_ndimage, atol=1e-12)


@pytest.mark.parametrize("stride", [2, 3])
def test_stride_keeps_every_sth_output_of_the_stride_1_convolution(stride):
    x, w = torch.randn(1, 2, 17, 13, dtype=torch.float64), torch.randn(3, 2, 3, 3).double()
    assert torch.allclose(F.conv2d(x, w, stride=stride), F.conv2d(x, w)[..., ::stride, ::stride])


@pytest.mark.parametrize("dilation", [2, 3])
def test_dilation_equals_a_kernel_with_zeros_inserted(dilation):
    x, w = torch.randn(1, 2, 17, 17, dtype=torch.float64), torch.randn(3, 2, 3, 3).double()
    span = dilation * 2 + 1
    holes = torch.zeros(3, 2, span, span, dtype=torch.float64)
    holes[..., ::dilation, ::dilation] = w
    assert torch.allclose(F.conv2d(x, w, dilation=dilation), F.conv2d(x, holes))


@pytest.mark.parametrize("c_in, c_out, k, groups", [(4, 8, 3, 2), (6, 6, 5, 6), (8, 4, 1, 4)])
def test_grouped_parameter_count(c_in, c_out, k, groups):
    layer = nn.Conv2d(c_in, c_out, k, groups=groups)
    assert layer.weight.shape == (c_out, c_in // groups, k, k)
    assert sum(p.numel() for p in layer.parameters()) == c_out * (c_in // groups) * k * k + c_out


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (3, 2)])
def test_transposed_convolution_is_the_adjoint_of_convolution(stride, padding):
    x = torch.randn(1, 3, 14, 14, dtype=torch.float64)
    w = torch.randn(5, 3, 3, 3, dtype=torch.float64)
    y = torch.randn_like(F.conv2d(x, w, stride=stride, padding=padding))
    extra = 14 - by_hand.transposed_output_size(y.shape[-1], 3, padding, stride)
    back = F.conv_transpose2d(y, w, stride=stride, padding=padding, output_padding=extra)
    assert back.shape == x.shape
    lhs = (F.conv2d(x, w, stride=stride, padding=padding) * y).sum()
    assert torch.isclose(lhs, (x * back).sum(), rtol=1e-10)
