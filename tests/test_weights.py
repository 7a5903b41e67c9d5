"""Chapter "In a CNN, kernels are the weights": the claims, cross-checked beyond the snippets."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F

from conftest import ROOT, built_site, snippet_functions, snippet_module

cm = snippet_module("weights/conv_matrix.py")
TIMED = snippet_functions("weights/convolution_timing.py")  # its methods, not its timing run


# -- the layer's matrix ---------------------------------------------------------------------------

CASES = [
    # c_in, c_out, (h, w), (kh, kw), padding, stride, dilation
    (1, 1, (5, 5), (3, 3), 0, 1, 1),
    (3, 2, (6, 5), (3, 3), 1, 2, 1),
    (2, 4, (7, 7), (5, 5), 2, 1, 1),
    (2, 3, (9, 8), (3, 2), 1, 3, 1),
    (1, 2, (9, 9), (3, 3), 2, 1, 2),
    (4, 1, (4, 4), (4, 4), 0, 1, 1),  # kernel as large as the input: one output pixel
]


@pytest.mark.parametrize("c_in, c_out, hw, k, padding, stride, dilation", CASES)
def test_conv_matrix_times_input_equals_conv2d(c_in, c_out, hw, k, padding, stride, dilation):
    gen = torch.Generator().manual_seed(1)
    weight = torch.randn(c_out, c_in, *k, generator=gen, dtype=torch.float64)
    x = torch.randn(1, c_in, *hw, generator=gen, dtype=torch.float64)
    W = cm.conv_matrix(weight, hw, padding, stride, dilation)
    expected = F.conv2d(x, weight, padding=padding, stride=stride, dilation=dilation)
    assert W.shape == (expected.numel(), x.numel())
    torch.testing.assert_close(W @ x.flatten(), expected.flatten(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("c_in, c_out, hw, k, padding, stride, dilation", CASES)
def test_conv_matrix_is_the_jacobian_of_the_layer(c_in, c_out, hw, k, padding, stride, dilation):
    gen = torch.Generator().manual_seed(2)
    weight = torch.randn(c_out, c_in, *k, generator=gen, dtype=torch.float64)
    x = torch.randn(1, c_in, *hw, generator=gen, dtype=torch.float64)

    def layer(flat):
        out = F.conv2d(
            flat.reshape(x.shape), weight, padding=padding, stride=stride, dilation=dilation
        )
        return out.flatten()

    jacobian = torch.autograd.functional.jacobian(layer, x.flatten())
    torch.testing.assert_close(cm.conv_matrix(weight, hw, padding, stride, dilation), jacobian)


def test_single_channel_matrix_is_doubly_block_toeplitz():
    # 1 channel, stride 1, no padding: (h_out x h) blocks of size (w_out x w); block (r, c)
    # depends only on c - r, and each block is constant along its diagonals.
    h, w, k = 6, 7, 3
    index = cm.conv_matrix_indices((1, 1, k, k), (h, w))
    h_out, w_out = h - k + 1, w - k + 1
    blocks = index.reshape(h_out, w_out, h, w).permute(0, 2, 1, 3)  # (r, c, row, col)
    for r in range(h_out):
        for c in range(h):
            torch.testing.assert_close(
                blocks[r, c], blocks[0, c - r] if c >= r else blocks[r - c, 0]
            )
            block = blocks[r, c]
            assert torch.equal(block[1:, 1:], block[:-1, :-1])
    # the non-zero blocks are the k kernel rows, on k block diagonals
    assert sorted({int(v) // k for v in index[index >= 0]}) == list(range(k))


def test_every_kernel_entry_appears_once_per_output_pixel_it_reaches():
    index = cm.conv_matrix_indices((2, 3, 3, 3), (5, 5), padding=0)
    counts = torch.bincount(index[index >= 0], minlength=2 * 3 * 9)
    assert torch.all(counts == 3 * 3)  # no padding: each entry is used at all 3x3 output pixels
    row_nonzeros = (index >= 0).sum(dim=1)
    assert torch.all(row_nonzeros == 3 * 9)  # a row = one filter's 3 x 3x3 entries


@pytest.mark.parametrize("n", [1, 4, 7, 10])
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("dilation", [1, 2])
def test_output_size_matches_conv2d_or_both_reject(n, k, padding, stride, dilation):
    conv = torch.nn.Conv2d(1, 1, k, stride=stride, padding=padding, dilation=dilation)
    x = torch.zeros(1, 1, n, n)
    try:
        expected = conv(x).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError, match="larger than the padded input"):
            cm.conv_output_size(n, k, padding, stride, dilation)
        return
    assert cm.conv_output_size(n, k, padding, stride, dilation) == expected


# -- bad arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": -1}, "padding must be >= 0, got -1"),
        ({"stride": 0}, "stride must be >= 1, got 0"),
        ({"dilation": 0}, "dilation must be >= 1, got 0"),
        ({"stride": 1.5}, "stride must be an integer"),
        ({"padding": True}, "padding must be an integer"),
    ],
)
def test_conv_matrix_rejects_impossible_arguments(kwargs, message):
    weight = torch.ones(1, 1, 3, 3)
    with pytest.raises(ValueError, match=message):
        cm.conv_matrix(weight, (5, 5), **kwargs)


def test_conv_matrix_rejects_wrong_shapes_and_empty_inputs():
    with pytest.raises(ValueError, match=r"weight shape \(C_out, C_in, kH, kW\)"):
        cm.conv_matrix(torch.ones(3, 3), (5, 5))
    with pytest.raises(ValueError, match="input size"):
        cm.conv_matrix(torch.ones(1, 1, 3, 3), (5, 5, 1))
    with pytest.raises(ValueError, match="input size must be >= 1, got 0"):
        cm.conv_matrix(torch.ones(1, 1, 1, 1), (0, 5))


def test_conv_matrix_rejects_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=r"larger than the padded input \(size 4 \+ 2\*1 = 6\)"):
        cm.conv_matrix(torch.ones(1, 1, 7, 7), (4, 4), padding=1)
    with pytest.raises(ValueError, match="dilation 3, span 7"):
        cm.conv_matrix(torch.ones(1, 1, 3, 3), (5, 5), dilation=3)
    cm.conv_matrix(torch.ones(1, 1, 7, 7), (5, 5), padding=1)  # 5 + 2 = 7: just fits


@pytest.mark.parametrize(
    "layers, message",
    [
        ([], "at least one"),
        ([(3, 0, 1)], "stride must be >= 1, got 0"),
        ([(0, 1, 1)], "kernel size must be >= 1, got 0"),
        ([(3, 1, 0)], "dilation must be >= 1, got 0"),
        ([(3, 1, 1), (3, -2, 1)], "stride must be >= 1, got -2"),
        ([(3.0, 1, 1)], "kernel size must be an integer"),
    ],
)
def test_receptive_field_rejects_impossible_layers(layers, message):
    with pytest.raises(ValueError, match=message):
        cm.receptive_field(layers)


# -- receptive field ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layers, expected",
    [
        ([(3, 1, 1)] * 2, 5),  # two 3x3 layers see 5x5 (Simonyan & Zisserman's argument)
        ([(3, 1, 1)] * 3, 7),
        ([(2, 2, 1)] * 4, 16),  # non-overlapping 2x2 stride-2 windows tile the input
        ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 15),  # dilations 1, 2, 4: 2^(L+1) - 1
        ([(1, 1, 1)], 1),
    ],
)
def test_receptive_field_known_values(layers, expected):
    assert cm.receptive_field(layers) == expected


@pytest.mark.parametrize("seed", range(6))
def test_receptive_field_matches_gradient_support_of_random_stacks(seed):
    rng = np.random.default_rng(seed)
    layers = [
        (int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 3)))
        for _ in range(int(rng.integers(1, 5)))
    ]
    r = cm.receptive_field(layers)
    net = torch.nn.Sequential(
        *[torch.nn.Conv2d(1, 1, k, stride=s, dilation=d, bias=False) for k, s, d in layers]
    ).double()
    for conv in net:
        torch.nn.init.constant_(conv.weight, 1.0)
    x = torch.zeros(1, 1, r + 20, r + 20, dtype=torch.float64, requires_grad=True)
    y = net(x)
    y[0, 0, -1, -1].backward()
    rows = torch.nonzero(x.grad[0, 0].sum(dim=1))
    assert (rows.max() - rows.min() + 1).item() == r, layers


# -- im2col, gradients, equivariance --------------------------------------------------------------


def test_im2col_columns_are_the_patches_correlate2d_sees():
    rng = np.random.default_rng(0)
    image, kernel = rng.standard_normal((9, 11)), rng.standard_normal((4, 3))
    columns = F.unfold(torch.tensor(image)[None, None], kernel.shape)[0]  # (12, 6*9)
    ours = (torch.tensor(kernel).flatten() @ columns).reshape(6, 9).numpy()
    np.testing.assert_allclose(ours, scipy.signal.correlate2d(image, kernel, "valid"), atol=1e-12)
    # column 0 is the top-left patch, read row by row
    np.testing.assert_array_equal(columns[:, 0].numpy(), image[:4, :3].flatten())


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", [0, 2])
def test_kernel_gradient_is_correlation_of_input_with_upstream_gradient(stride, padding):
    # Single channel, against scipy: dL/dw = correlate2d(padded input, delta with stride-1
    # zeros between its entries, "valid"), cropped to the kernel size.
    rng = np.random.default_rng(stride + 10 * padding)
    image, kernel = rng.standard_normal((11, 10)), rng.standard_normal((3, 4))
    x = torch.tensor(image)[None, None]
    w = torch.tensor(kernel)[None, None].requires_grad_(True)
    y = F.conv2d(x, w, stride=stride, padding=padding)
    delta = torch.tensor(rng.standard_normal(y.shape))
    (y * delta).sum().backward()  # a loss whose upstream gradient is exactly delta

    dilated = np.zeros(((y.shape[2] - 1) * stride + 1, (y.shape[3] - 1) * stride + 1))
    dilated[::stride, ::stride] = delta[0, 0].numpy()
    padded = np.pad(image, padding)
    expected = scipy.signal.correlate2d(padded, dilated, "valid")[
        : kernel.shape[0], : kernel.shape[1]
    ]
    np.testing.assert_allclose(w.grad[0, 0].numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("shift", [(1, 0), (0, 3), (4, 7), (-2, 5)])
@pytest.mark.parametrize("stride", [1, 2])
def test_circular_padding_is_exactly_equivariant_for_shifts_by_the_stride(shift, stride):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(2, 3, 5, padding=2, padding_mode="circular", stride=stride).double()
    x = torch.randn(1, 2, 16, 16, dtype=torch.float64)
    big = (shift[0] * stride, shift[1] * stride)  # input shift that moves the output by `shift`
    with torch.no_grad():
        torch.testing.assert_close(
            conv(torch.roll(x, big, dims=(2, 3))), torch.roll(conv(x), shift, dims=(2, 3))
        )


def test_stride_two_is_not_equivariant_to_a_one_pixel_shift():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 4, 3, padding=1, padding_mode="circular", stride=2).double()
    x = torch.randn(1, 1, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        y, y1 = conv(x), conv(torch.roll(x, 1, dims=3))
        for t in range(y.shape[3]):  # no whole-pixel shift of the output matches
            assert not torch.allclose(y1, torch.roll(y, t, dims=3), atol=1e-3)


def test_zero_padding_changes_only_border_pixels_under_a_shift():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 2, 3, padding=1).double()
    x = torch.zeros(1, 1, 20, 20, dtype=torch.float64)
    x[..., 5:15, 5:15] = torch.randn(10, 10, dtype=torch.float64)  # content away from borders
    with torch.no_grad():
        # content surrounded by zeros: a shift that keeps it inside is exactly equivariant
        torch.testing.assert_close(
            conv(torch.roll(x, (3, -2), dims=(2, 3))), torch.roll(conv(x), (3, -2), dims=(2, 3))
        )


# -- parameter counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("c_in, c_out, n, k", [(1, 8, 8, 3), (3, 4, 10, 5), (4, 6, 6, 3)])
def test_dense_layer_needs_far_more_parameters_than_conv(c_in, c_out, n, k):
    conv = torch.nn.Conv2d(c_in, c_out, k, padding=k // 2)
    dense = torch.nn.Linear(c_in * n * n, c_out * n * n, device="meta")
    conv_count = sum(p.numel() for p in conv.parameters())
    dense_count = sum(p.numel() for p in dense.parameters())
    assert conv_count == c_out * (c_in * k * k + 1)
    # the dense layer's matrix holds the conv matrix's entries as separate parameters
    W = cm.conv_matrix(conv.weight.detach().double(), (n, n), padding=k // 2)
    assert dense_count == W.numel() + c_out * n * n
    assert dense_count > 20 * conv_count


# -- the timed methods compute the same layer -----------------------------------------------------


@pytest.mark.parametrize("k", [3, 7, 11, 15])
def test_the_timed_methods_compute_the_same_layer(k):
    # The timing snippet compares these (its own functions, oneDNN on and off among them):
    # whichever implementation a call reaches, the numbers agree (up to float32 rounding).
    # Only the time differs.
    gen = torch.Generator().manual_seed(k)
    x = torch.rand(1, 1, 40, 40, generator=gen)
    w = torch.randn(4, 1, k, k, generator=gen) / k
    reference = F.conv2d(x.double(), w.double(), padding=k // 2)
    methods = ("direct", "im2col", "fft", "conv2d", "conv2d_without_onednn")
    for name in methods:
        out = getattr(TIMED, name)(x, w)
        torch.testing.assert_close(out.double(), reference, rtol=0, atol=1e-5, msg=name)


# -- ratios quoted in prose keep their significant digits -----------------------------------------

# "{{ value folder/snippet.py name .0f }} times as long as": a ratio of 0.25 would print as "0".
RATIO_QUOTE = re.compile(r"\{\{ value \S+ (\S+) ([^}]*?) ?\}\}\s+times\s+as\b")
ROUNDED_RATIO = re.compile(r"(?<![\d.,])[01] times as\b|(?<![\d.,])[01]-fold\b")


def test_ratios_quoted_as_times_as_keep_their_significant_digits():
    whole_numbers = [
        f"{page.name}: {name} {spec or '(no format)'}"
        for page in sorted((ROOT / "docs").glob("*.md"))
        for name, spec in RATIO_QUOTE.findall(page.read_text(encoding="utf-8"))
        if not spec.endswith("g") and not re.fullmatch(r",?\.[1-9]\d*f", spec)
    ]
    assert not whole_numbers, f"ratios printed as whole numbers: {whole_numbers}"


def test_no_built_page_quotes_a_ratio_rounded_to_zero_or_one():
    site = built_site()
    rounded = [
        f"{page.relative_to(site)}: …{text[max(0, m.start() - 40) : m.end()]}"
        for page in sorted(site.rglob("*.html"))
        for text in [re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))]
        for m in ROUNDED_RATIO.finditer(text)
    ]
    assert not rounded, f"a ratio rounded to 0 or 1: {rounded}"
