"""A `torch.nn.Conv2d` layer taken apart: its weight tensor, one filter, one kernel, the bias,
the feature maps it produces, and its number of parameters.

Needs: pip install torch==2.13.0
"""

# %%
import torch
from torch import nn

torch.manual_seed(0)

# A layer that reads an RGB image (3 input channels) and produces 8 feature maps.
layer = nn.Conv2d(in_channels=3, out_channels=8, kernel_size=5)

# %% [markdown]
# ## The weight tensor: (C_out, C_in, kH, kW)

# %%
weight_shape = tuple(layer.weight.shape)
bias_shape = tuple(layer.bias.shape)
print("weight:", weight_shape, " bias:", bias_shape)
assert weight_shape == (8, 3, 5, 5)  # one 5x5 kernel per (output channel, input channel) pair
assert bias_shape == (8,)  # one number per output channel

one_filter = layer.weight[0]  # everything that makes output channel 0: a stack of 3 kernels
one_kernel = layer.weight[0, 2]  # the 5x5 kernel that output channel 0 applies to the blue channel
assert one_filter.shape == (3, 5, 5) and one_kernel.shape == (5, 5)

# %% [markdown]
# ## Parameter count: C_out * C_in * kH * kW + C_out

# %%
parameter_count = sum(p.numel() for p in layer.parameters())
formula_count = 8 * 3 * 5 * 5 + 8
print("parameters:", parameter_count)
assert parameter_count == formula_count

# %% [markdown]
# ## Feature maps: one per filter
# A batch of 2 images of 32x32 pixels becomes 8 feature maps per image. Without padding, a
# 5x5 kernel fits in 28 x 28 positions.

# %%
images = torch.rand(2, 3, 32, 32)
feature_maps = layer(images)
feature_map_shape = tuple(feature_maps.shape)
print("feature maps:", feature_map_shape)
assert feature_map_shape == (2, 8, 28, 28)

# %% [markdown]
# ## Receptive field: which input pixels one output value depends on
# The gradient of one output value with respect to the input is non-zero exactly on its
# receptive field: a 5x5 square in each of the 3 input channels.

# %%
images.requires_grad_(True)
layer(images)[0, 0, 10, 20].backward()  # image 0, feature map 0, row 10, column 20
touched = images.grad[0].abs().sum(dim=0) > 0  # input pixels that influence this output
rows, cols = torch.nonzero(touched, as_tuple=True)
receptive_field = (rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item())
print("receptive field, rows and columns (first, last):", receptive_field)
assert receptive_field == (10, 14, 20, 24) and touched.sum() == 25
