"""Stride, dilation, groups and transposed convolution, each reduced to something simpler:
a strided convolution is a subsampled one, a dilated kernel is a larger kernel with holes,
a grouped convolution is several small convolutions side by side, and a transposed convolution
is the adjoint (the matrix transpose) of a convolution.

Needs: pip install torch==2.13.0
"""

# %%
import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
torch.manual_seed(0)
x = torch.randn(1, 4, 20, 20)  # 4 input channels
w = torch.randn(6, 4, 3, 3)  # 6 filters of 4 kernels of 3x3

# %% [markdown]
# ## Stride: compute every position, keep every s-th

# %%
strided = F.conv2d(x, w, stride=2)
assert torch.allclose(strided, F.conv2d(x, w)[..., ::2, ::2], atol=1e-5)

# %% [markdown]
# ## Dilation: spread the kernel taps apart, with zeros in between

# %%
holes = torch.zeros(6, 4, 5, 5)
holes[..., ::2, ::2] = w  # a 3x3 kernel with dilation 2 covers 5x5 pixels
assert torch.allclose(F.conv2d(x, w, dilation=2), F.conv2d(x, holes), atol=1e-5)

# %% [markdown]
# ## Groups: split the channels, convolve each group separately

# %%
grouped = nn.Conv2d(4, 6, 3, groups=2, bias=False)  # weight: (6, 4 / 2, 3, 3)
first_half = F.conv2d(x[:, :2], grouped.weight[:3])  # channels 0-1 -> outputs 0-2
second_half = F.conv2d(x[:, 2:], grouped.weight[3:])  # channels 2-3 -> outputs 3-5
assert torch.allclose(grouped(x), torch.cat([first_half, second_half], dim=1), atol=1e-5)


def parameters(module):
    return sum(p.numel() for p in module.parameters())


# Parameter counts for 64 -> 128 channels, 3x3 kernels:
c_in, c_out, k = 64, 128, 3
standard = nn.Conv2d(c_in, c_out, k)
depthwise = nn.Conv2d(c_in, c_in, k, groups=c_in)  # one 3x3 kernel per input channel
pointwise = nn.Conv2d(c_in, c_out, 1)  # then 1x1 kernels mix the channels
standard_parameters = parameters(standard)
separable_parameters = parameters(depthwise) + parameters(pointwise)
assert standard_parameters == c_out * c_in * k * k + c_out
assert separable_parameters == (c_in * k * k + c_in) + (c_out * c_in + c_out)
for groups in (1, 2, 4, 64):
    count = parameters(nn.Conv2d(c_in, c_out, k, groups=groups))
    assert count == c_out * (c_in // groups) * k * k + c_out
print(
    f"standard 3x3: {standard_parameters:,} parameters; "
    f"depthwise + pointwise: {separable_parameters:,}"
)

# %% [markdown]
# ## Transposed convolution: the adjoint of a convolution
# For every x and y, <conv(x), y> = <x, conv_transpose(y)> with the same weights, stride and
# padding: the transposed convolution multiplies by the transpose of the convolution's matrix.

# %%
y = torch.randn_like(F.conv2d(x, w, stride=2, padding=1))
forward = (F.conv2d(x, w, stride=2, padding=1) * y).sum()
backward = (x * F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=1)).sum()
adjoint_error = (forward - backward).abs().item() / forward.abs().item()
print(f"<conv(x), y> = {forward:.4f},  <x, conv_transpose(y)> = {backward:.4f}")
assert adjoint_error < 1e-5
# That is also why it is the gradient of a convolution with respect to its input.
x.requires_grad_(True)
F.conv2d(x, w, stride=2, padding=1).backward(y)
assert torch.allclose(
    x.grad, F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=1), atol=1e-4
)
