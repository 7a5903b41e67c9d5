"""The output-size formulas of convolution and transposed convolution, checked against PyTorch's
layers over a grid of input sizes n, kernel sizes k, paddings p, strides s and dilations d.
Where the formula gives no valid size, PyTorch must refuse the combination as well.

Needs: pip install numpy==2.4.6 scipy==1.17.1 torch==2.13.0
"""

# %%
import itertools

import torch
from conv_by_hand import output_size, transposed_output_size  # the two formulas
from torch import nn


def size_or_none(formula, *args):
    try:
        return formula(*args)
    except ValueError:  # the formula says: no output
        return None


def shape_or_none(layer, n):
    try:
        return layer(torch.zeros(1, 1, n, n)).shape[-1]
    except RuntimeError:  # PyTorch says: invalid combination
        return None


# %% [markdown]
# ## Convolution: floor((n + 2p - d(k - 1) - 1) / s) + 1

# %%
conv_combinations = list(
    itertools.product(range(1, 13), (1, 2, 3, 5), (0, 1, 2), (1, 2, 3), (1, 2, 3))
)
for n, k, p, s, d in conv_combinations:
    layer = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
    assert shape_or_none(layer, n) == size_or_none(output_size, n, k, p, s, d), (n, k, p, s, d)
conv_combinations_checked = len(conv_combinations)
conv_combinations_rejected = sum(size_or_none(output_size, *c) is None for c in conv_combinations)
print(
    f"nn.Conv2d agrees with the formula on {conv_combinations_checked} combinations "
    f"({conv_combinations_rejected} of them invalid for both)"
)

# %% [markdown]
# ## Transposed convolution: (n - 1)s - 2p + d(k - 1) + output_padding + 1

# %%
transposed_combinations = list(
    itertools.product(range(1, 7), (1, 2, 3, 5), (0, 1, 2), (1, 2, 3), (1, 2), (0, 1, 2))
)
for n, k, p, s, d, extra in transposed_combinations:
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, dilation=d, output_padding=extra)
    expected = size_or_none(transposed_output_size, n, k, p, s, d, extra)
    assert shape_or_none(layer, n) == expected, (n, k, p, s, d, extra)
transposed_combinations_checked = len(transposed_combinations)
transposed_combinations_rejected = sum(
    size_or_none(transposed_output_size, *c) is None for c in transposed_combinations
)
print(
    f"nn.ConvTranspose2d agrees with the formula on {transposed_combinations_checked} combinations "
    f"({transposed_combinations_rejected} of them invalid for both)"
)

# %% [markdown]
# ## Common cases

# %%
same_size = output_size(32, 3, padding=1)  # 3x3, padding 1: size kept
halved = output_size(32, 3, padding=1, stride=2)  # stride 2: size halved (rounded up)
doubled = transposed_output_size(16, 4, padding=1, stride=2)  # the usual 2x upsampling layer
alexnet_first_layer = output_size(227, 11, stride=4)  # AlexNet's first layer, 227 x 227 input
print(same_size, halved, doubled, alexnet_first_layer)
assert (same_size, halved, doubled, alexnet_first_layer) == (32, 16, 32, 55)
