"""Chapter 1 (kernels, filters and weights): the weight tensor's layout, the parameter count,
filters as stacks of kernels, receptive fields, and hyperparameters versus parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import signal
from torch import nn


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    "c_in, c_out, kernel_size, bias",
    [
        (1, 1, 1, True),
        (3, 8, 5, True),
        (3, 96, 11, True),
        (16, 32, (3, 5), False),
        (64, 1, 7, True),
    ],
)
def test_weight_shape_and_parameter_count_match_the_formula(c_in, c_out, kernel_size, bias):
    layer = nn.Conv2d(c_in, c_out, kernel_size, bias=bias)
    k_h, k_w = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    assert layer.weight.shape == (c_out, c_in, k_h, k_w)
    assert count(layer) == c_out * c_in * k_h * k_w + (c_out if bias else 0)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (4, 3)])
def test_parameter_count_does_not_depend_on_stride_padding_or_input_size(stride, padding):
    layer = nn.Conv2d(3, 8, 5, stride=stride, padding=padding)
    assert count(layer) == 8 * 3 * 5 * 5 + 8
    for size in (16, 33):  # the same parameters serve any input size
        assert layer(torch.zeros(1, 3, size, size)).shape[1] == 8


@pytest.mark.parametrize("o", [0, 3, 7])
def test_each_feature_map_is_one_filter_its_kernels_summed_over_channels_plus_bias(o):
    """Output channel o uses only filter o = weight[o]: one kernel per input channel."""
    torch.manual_seed(o)
    layer = nn.Conv2d(3, 8, 3).double()
    x = torch.randn(1, 3, 10, 12, dtype=torch.float64)
    with torch.no_grad():
        feature_map = layer(x)[0, o].numpy()
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    by_scipy = b[o] + sum(signal.correlate2d(x[0, c].numpy(), w[o, c], "valid") for c in range(3))
    np.testing.assert_allclose(feature_map, by_scipy, atol=1e-12)
    # Changing another filter leaves this feature map alone.
    with torch.no_grad():
        layer.weight[(o + 1) % 8] += 1.0
        np.testing.assert_array_equal(layer(x)[0, o].numpy(), feature_map)


@pytest.mark.parametrize("k, dilation", [(1, 1), (3, 1), (5, 1), (3, 2), (3, 3)])
def test_receptive_field_of_one_layer_is_its_dilated_kernel_window(k, dilation):
    torch.manual_seed(0)
    layer = nn.Conv2d(2, 4, k, dilation=dilation)
    nn.init.uniform_(layer.weight, 0.5, 1.0)  # no zero weights: every tap shows in the gradient
    x = torch.randn(1, 2, 20, 20, requires_grad=True)
    layer(x)[0, 1, 3, 4].backward()
    rows, cols = torch.nonzero(x.grad[0].abs().sum(0), as_tuple=True)
    span = dilation * (k - 1) + 1
    assert (rows.min().item(), rows.max().item()) == (3, 3 + span - 1)
    assert (cols.min().item(), cols.max().item()) == (4, 4 + span - 1)
    assert len(rows) == k * k  # only the k x k taps, not the holes between them


@pytest.mark.parametrize("optimizer", [torch.optim.SGD, torch.optim.Adam])
def test_training_changes_parameters_but_never_hyperparameters(optimizer):
    torch.manual_seed(0)
    layer = nn.Conv2d(3, 6, 3, stride=2, padding=1)
    names = ("in_channels", "out_channels", "kernel_size", "stride", "padding")
    settings = [getattr(layer, name) for name in names]
    weight = layer.weight.detach().clone()
    step = optimizer(layer.parameters(), lr=0.01)
    for _ in range(3):
        loss = F.mse_loss(layer(torch.randn(2, 3, 8, 8)), torch.randn(2, 6, 4, 4))
        step.zero_grad()
        loss.backward()
        step.step()
    assert not torch.equal(layer.weight, weight)
    assert layer.weight.shape == weight.shape
    assert [getattr(layer, name) for name in names] == settings
