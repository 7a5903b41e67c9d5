"""Why VGG stacks 3 × 3 kernels, and why large kernels came back as depthwise ones.

Two stacked 3 × 3 convolutions see the same 5 × 5 window of the input as one 5 × 5 convolution,
and three see 7 × 7, with fewer weights: 18 instead of 25 and 27 instead of 49 per pair of
channels (Simonyan & Zisserman 2015). The window is measured here by back-propagating from one
output pixel, the counts are read off `nn.Conv2d`. The second figure counts the weights of one
layer against its kernel size, for a full and for a depthwise convolution (ConvNeXt: 7 × 7,
RepLKNet: up to 31 × 31).

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scipy==1.17.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.signal import convolve2d
from torch import nn

torch.manual_seed(0)


def n_weights(module):
    return sum(p.numel() for p in module.parameters())


def window_seen(net, size=15):
    """|gradient| of the centre output pixel for each input pixel, and the size of the window
    where it is not zero."""
    x = torch.zeros(1, net[0].in_channels, size, size, dtype=torch.float64, requires_grad=True)
    y = net(x)
    y[0, 0, size // 2, size // 2].backward()
    influence = x.grad[0].abs().sum(dim=0)  # how strongly each input pixel acts on the output
    touched = influence > 0
    rows, cols = torch.nonzero(touched.any(dim=1)), torch.nonzero(touched.any(dim=0))
    height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
    return influence / influence.max(), height.item(), width.item()


def stack(kernel, depth, channels):
    """`depth` convolutions with `channels` in and out, 'same' padding, no bias, positive weights
    (so no two paths through the stack can cancel)."""
    convs = [
        nn.Conv2d(channels, channels, kernel, padding=kernel // 2, bias=False) for _ in range(depth)
    ]
    for conv in convs:
        nn.init.uniform_(conv.weight, 0.1, 1.0)
    return nn.Sequential(*convs).double()


# %% [markdown]
# ## One large kernel or a stack of 3 × 3 kernels: same window, fewer weights

# %%
C = 4  # channels in and out: the counts are per pair of channels times C * C
designs = {"two 3×3": (3, 2), "one 5×5": (5, 1), "three 3×3": (3, 3), "one 7×7": (7, 1)}
window, weights_per_pair, maps = {}, {}, {}
for name, (kernel, depth) in designs.items():
    net = stack(kernel, depth, C)
    maps[name], height, width = window_seen(net)
    window[name] = height
    assert height == width == depth * (kernel - 1) + 1
    weights_per_pair[name] = n_weights(net) // (C * C)
    assert n_weights(net) == depth * kernel * kernel * C * C

assert window["two 3×3"] == window["one 5×5"] == 5
assert window["three 3×3"] == window["one 7×7"] == 7
assert (weights_per_pair["two 3×3"], weights_per_pair["one 5×5"]) == (18, 25)
assert (weights_per_pair["three 3×3"], weights_per_pair["one 7×7"]) == (27, 49)
two_3x3, one_5x5, three_3x3, one_7x7 = (weights_per_pair[name] for name in designs)
saving_5 = 1 - weights_per_pair["two 3×3"] / weights_per_pair["one 5×5"]
saving_7 = 1 - weights_per_pair["three 3×3"] / weights_per_pair["one 7×7"]
for name in designs:
    print(
        f"{name:10s} sees {window[name]}×{window[name]}, "
        f"{weights_per_pair[name]} weights per pair of channels"
    )

# %% [markdown]
# Without a non-linearity in between, two 3 × 3 layers are exactly one 5 × 5 layer whose kernel
# is the convolution of the two 3 × 3 kernels. Such kernels are a special case: they have at
# most 18 free numbers, a general 5 × 5 kernel has 25.

# %%
two = stack(3, 2, 1)
delta = torch.zeros(1, 1, 9, 9, dtype=torch.float64)
delta[0, 0, 4, 4] = 1
with torch.no_grad():  # the response to a single bright pixel is the kernel, flipped
    combined = two(delta)[0, 0, 2:7, 2:7].flip(0, 1).numpy()
h1, h2 = (conv.weight[0, 0].detach().numpy() for conv in two)
assert np.allclose(combined, convolve2d(h1, h2))

# %% [markdown]
# ## Weights of one layer against kernel size, 128 channels in and out

# %%
channels, sizes = 128, [1, 3, 5, 7, 9, 13, 17, 21, 25, 31]
full = [n_weights(nn.Conv2d(channels, channels, k, bias=False)) for k in sizes]
depthwise = [
    n_weights(nn.Conv2d(channels, channels, k, groups=channels, bias=False)) for k in sizes
]
assert full == [k * k * channels * channels for k in sizes]
assert depthwise == [k * k * channels for k in sizes]
full_3x3, depthwise_7x7, depthwise_31x31 = full[1], depthwise[3], depthwise[-1]
# ConvNeXt's 7x7 and even RepLKNet's 31x31 depthwise kernels have fewer weights than a full 3x3
assert depthwise_7x7 < depthwise_31x31 < full_3x3
print(
    f"full 3×3: {full_3x3:,}; depthwise 7×7: {depthwise_7x7:,}; "
    f"depthwise 31×31: {depthwise_31x31:,}"
)

# %%
fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
for ax, name in zip(axes, designs, strict=True):
    ax.imshow(maps[name].numpy(), cmap="Blues", vmin=0, vmax=1)
    ax.set_title(
        f"{name}: {window[name]}×{window[name]}\n{weights_per_pair[name]} weights", fontsize=9
    )
    ax.set_xticks(np.arange(-0.5, 15, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, 15, 1), minor=True)
    ax.grid(which="minor", color="0.85", lw=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
fig.suptitle("How strongly each input pixel acts on one output pixel (|gradient|)", fontsize=10)
fig.tight_layout()

fig, ax = plt.subplots(figsize=(6, 3.4))
ax.semilogy(sizes, full, "o-", label="full convolution: k² × 128 × 128")
ax.semilogy(sizes, depthwise, "s-", label="depthwise: k² × 128")
ax.annotate(
    "ConvNeXt 7×7", (7, depthwise_7x7), textcoords="offset points", xytext=(5, -14), fontsize=8
)
ax.annotate(
    "RepLKNet 31×31", (31, depthwise_31x31), textcoords="offset points", xytext=(-60, 8), fontsize=8
)
ax.axhline(full_3x3, color="0.5", ls=":", lw=1)
ax.text(18, full_3x3 * 1.25, "full 3×3", color="0.4", fontsize=8)
ax.set_xlabel("kernel size k")
ax.set_ylabel("weights in one layer")
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()
plt.show()
