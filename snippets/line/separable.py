"""1 × 1 convolutions and depthwise-separable convolutions, taken apart.

A 1 × 1 convolution is one linear layer over the channels, applied at every pixel. A depthwise
convolution (one k × k kernel per input channel, `groups=C_in`) followed by a 1 × 1 (pointwise)
convolution does the work of a full k × k convolution with far fewer weights and multiplications,
and it *is* a full convolution, whose kernel is restricted: W[o, c] = P[o, c] · D[c].

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

torch.manual_seed(0)
x = torch.randn(2, 16, 12, 12, dtype=torch.float64)  # batch of 2, 16 channels, 12 x 12

# %% [markdown]
# ## A 1 × 1 convolution is a linear layer applied at every pixel

# %%
one_by_one = nn.Conv2d(16, 24, kernel_size=1).double()
linear = nn.Linear(16, 24).double()
with torch.no_grad():
    linear.weight.copy_(one_by_one.weight[:, :, 0, 0])  # (24, 16, 1, 1) -> (24, 16)
    linear.bias.copy_(one_by_one.bias)
by_conv = one_by_one(x)
by_linear = linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # channels last, then back
by_einsum = torch.einsum("oc,bchw->bohw", linear.weight, x) + linear.bias.view(1, -1, 1, 1)
assert torch.allclose(by_conv, by_linear) and torch.allclose(by_conv, by_einsum)

# %% [markdown]
# ## Depthwise + pointwise against a full convolution

# %%
c_in, c_out, k = 16, 24, 3
full = nn.Conv2d(c_in, c_out, k, padding=1, bias=False).double()
depthwise = nn.Conv2d(c_in, c_in, k, padding=1, groups=c_in, bias=False).double()  # D: (16,1,3,3)
pointwise = nn.Conv2d(c_in, c_out, 1, bias=False).double()  # P: (24, 16, 1, 1)


def n_weights(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


def multiplications(fn):
    """Multiply-adds per image, from PyTorch's FLOP counter (which counts 2 per multiply-add)."""
    with FlopCounterMode(display=False) as counter:
        fn(x[:1])
    return counter.get_total_flops() // 2


weights_full, weights_separable = n_weights(full), n_weights(depthwise, pointwise)
mults_full = multiplications(full)
mults_separable = multiplications(lambda t: pointwise(depthwise(t)))
pixels = 12 * 12
assert weights_full == k * k * c_in * c_out
assert weights_separable == k * k * c_in + c_in * c_out
assert mults_full == pixels * k * k * c_in * c_out
assert mults_separable == pixels * (k * k * c_in + c_in * c_out)
ratio = mults_separable / mults_full
assert np.isclose(ratio, 1 / c_out + 1 / k**2)  # the cost ratio given by Howard et al. (2017)
print(f"full {k}×{k}: {weights_full} weights, {mults_full:,} multiply-adds per image")
print(f"depthwise + pointwise: {weights_separable} weights, {mults_separable:,} ({ratio:.0%})")

# %% [markdown]
# ## The factorised layer is a full convolution with a constrained kernel

# %%
D = depthwise.weight[:, 0]  # (c_in, k, k): one spatial kernel per input channel
P = pointwise.weight[:, :, 0, 0]  # (c_out, c_in): how output o mixes input channel c
W = P[:, :, None, None] * D[None]  # W[o, c] = P[o, c] * D[c], shape (c_out, c_in, k, k)
with torch.no_grad():
    assert torch.allclose(pointwise(depthwise(x)), F.conv2d(x, W, padding=1))


# For each input channel c, the c_out kernels W[:, c] are copies of one kernel D[c], each scaled
# by its own number: as a (c_out x k*k) matrix the slice has rank 1. A full layer's slice has
# rank min(c_out, k*k) = 9.
def slice_ranks(w):
    return [torch.linalg.matrix_rank(w[:, c].reshape(c_out, -1)).item() for c in range(c_in)]


ranks_separable, ranks_full = slice_ranks(W.detach()), slice_ranks(full.weight.detach())
assert set(ranks_separable) == {1} and set(ranks_full) == {min(c_out, k * k)}

# %% [markdown]
# ## Savings at the sizes of a MobileNet

# %%
layer_sizes = [(32, 64), (64, 128), (128, 256), (256, 512), (512, 1024)]
saving = [1 - (9 * ci + ci * co) / (9 * ci * co) for ci, co in layer_sizes]
assert all(0.85 < s < 0.9 for s in saving)  # about 8 to 9 times fewer, for 3 x 3 kernels

# %%
fig, axes = plt.subplots(2, 6, figsize=(7.5, 2.9))
for row, (name, weight) in enumerate([("full", full.weight), ("separable", W)]):
    for o in range(6):
        kernel = weight[o, 0].detach().numpy()  # output channel o, input channel 0
        lim = np.abs(kernel).max()  # each kernel on its own scale: only its shape matters
        axes[row, o].imshow(kernel, cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[row, o].set_xticks([])
        axes[row, o].set_yticks([])
        axes[1, o].set_xlabel(f"W[{o}, 0]", fontsize=8)
    axes[row, 0].set_ylabel(name, fontsize=9)
fig.suptitle(
    "Kernels from input channel 0 to six output channels, each on its own scale", fontsize=10
)
fig.tight_layout()
plt.show()
