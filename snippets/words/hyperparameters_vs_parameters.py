"""What you choose and what training chooses: a layer's hyperparameters (number and size of its
filters, stride, padding) are fixed when you build it; its parameters (kernel entries and biases)
are what gradient descent changes.

Needs: pip install torch==2.13.0
"""

# %%
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)

layer = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3, stride=1, padding=1)

# Hyperparameters: chosen by you, stored as plain attributes, never touched by the optimiser.
hyperparameters = {
    name: getattr(layer, name)
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding")
}
print("hyperparameters:", hyperparameters)

# Parameters: tensors the optimiser updates.
for name, tensor in layer.named_parameters():
    print(f"parameter {name}: shape {tuple(tensor.shape)}, requires_grad={tensor.requires_grad}")

# %% [markdown]
# ## One training step changes every parameter and no hyperparameter

# %%
before = {name: tensor.detach().clone() for name, tensor in layer.named_parameters()}
optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
images, targets = torch.rand(4, 3, 16, 16), torch.rand(4, 16, 16, 16)
loss = F.mse_loss(layer(images), targets)
loss.backward()
optimizer.step()

changed = {name: not torch.equal(tensor, before[name]) for name, tensor in layer.named_parameters()}
print("changed by the step:", changed)
assert all(changed.values())
assert all(getattr(layer, name) == value for name, value in hyperparameters.items())

# %% [markdown]
# ## The hyperparameters decide how many parameters there are

# %%
table = [
    "| filters (C_out) | kernels (C_out x C_in) | kernel size | parameters |",
    "|---:|---:|---:|---:|",
]
# The last row is the first layer of AlexNet: 96 filters of 11 x 11 x 3.
for out_channels, size in [(8, 3), (8, 5), (64, 3), (64, 7), (96, 11)]:
    conv = nn.Conv2d(3, out_channels, size)
    filters, kernels_per_filter = conv.weight.shape[:2]  # one 2-D kernel per input channel
    kernels = filters * kernels_per_filter
    count = sum(p.numel() for p in conv.parameters())
    assert count == out_channels * 3 * size * size + out_channels
    table.append(f"| {filters} | {kernels} | {size} x {size} | {count:,} |")
parameter_table = "\n".join(table)  # a Markdown table
alexnet_first_layer_parameters = count
alexnet_filters, alexnet_kernels, alexnet_kernel_size = filters, kernels, size
