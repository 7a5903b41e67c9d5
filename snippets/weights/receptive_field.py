"""Receptive field of a stack of convolution layers: the formula agrees with a measurement made
by back-propagating from one output pixel to the input. The *effective* receptive field, where
the gradient is concentrated, is much smaller and grows only like the square root of the depth
(Luo et al. 2016). Uses the helper module ``conv_matrix.py`` from the same folder.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from conv_matrix import receptive_field

torch.manual_seed(0)


def stack(layers, channels=1):
    """A plain stack of convolutions, one per (kernel, stride, dilation), without padding."""
    convs = [
        torch.nn.Conv2d(channels, channels, k, stride=s, dilation=d, bias=False)
        for k, s, d in layers
    ]
    return torch.nn.Sequential(*convs).double()


def measured_receptive_field(layers):
    """Width of the input region that one output pixel's gradient reaches."""
    net = stack(layers)
    for conv in net:  # positive weights: no chance of gradients cancelling to zero
        torch.nn.init.uniform_(conv.weight, 0.5, 1.0)
    n = 2 * receptive_field(layers) + 8  # any input larger than the field will do
    x = torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    y = net(x)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()  # one output pixel
    touched = torch.nonzero(x.grad[0, 0].sum(dim=0))  # input columns that influence it
    return (touched.max() - touched.min() + 1).item()


# %% [markdown]
# ## Formula vs measurement
# Each layer widens the field by (k - 1) * d input pixels times the product of the strides
# below it: r = 1 + sum_l (k_l - 1) d_l (s_1 ... s_{l-1}).

# %%
stacks = {
    "three 3x3": [(3, 1, 1)] * 3,
    "five 3x3": [(3, 1, 1)] * 5,
    "dilated 3x3, d = 1, 2, 4, 8": [(3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8)],
    "three 5x5, stride 2": [(5, 2, 1)] * 3,
    "7x7 stride 2, then three 3x3 stride 2": [(7, 2, 1)] + [(3, 2, 1)] * 3,
    "AlexNet's five conv layers (no pooling)": [
        (11, 4, 1),
        (5, 1, 1),
        (3, 1, 1),
        (3, 1, 1),
        (3, 1, 1),
    ],
}
receptive_field_table = "| stack (kernel, stride, dilation) | formula | measured |\n|---|--:|--:|\n"
for name, layers in stacks.items():
    formula, measured = receptive_field(layers), measured_receptive_field(layers)
    assert formula == measured, (name, formula, measured)
    receptive_field_table += f"| {name} | {formula} | {measured} |\n"
print(receptive_field_table)

# %% [markdown]
# ## The effective receptive field
# Random 3x3 ReLU networks of growing depth, 4 channels, "same" padding. We average |gradient|
# of the centre output pixel over 16 random inputs, and find the width of the centred square
# that holds 95 % of it.

# %%
depths = [2, 4, 8, 16, 32]
theoretical_width, effective_width, maps = [], [], {}
for depth in depths:
    r = receptive_field([(3, 1, 1)] * depth)
    n = r + 10
    layers = []
    for _ in range(depth):
        conv = torch.nn.Conv2d(4, 4, 3, padding=1, bias=False)
        torch.nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
        layers += [conv, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers)
    x = torch.randn(16, 4, n, n, requires_grad=True)
    net(x)[:, :, n // 2, n // 2].sum().backward()
    erf = x.grad.abs().mean(dim=(0, 1)).numpy()  # average over inputs and channels
    erf /= erf.sum()
    # width of the smallest centred square holding 95 % of the gradient
    c = n // 2
    mass = [erf[c - h : c + h + 1, c - h : c + h + 1].sum() for h in range(c + 1)]
    width = 2 * int(np.argmax(np.array(mass) >= 0.95)) + 1
    theoretical_width.append(r)
    effective_width.append(width)
    maps[depth] = erf
    assert np.count_nonzero(erf.sum(axis=0)) == r  # the gradient fills the theoretical field
erf_fraction = [e / t for e, t in zip(effective_width, theoretical_width, strict=True)]
# the effective field covers a shrinking share of the theoretical one
assert all(a >= b for a, b in zip(erf_fraction, erf_fraction[1:], strict=False))
assert erf_fraction[-1] < 0.5
print("depth               ", depths)
print("receptive field     ", theoretical_width)
print("95 % effective width", effective_width)

# %%
fig, axes = plt.subplots(1, 4, figsize=(10, 2.8), gridspec_kw={"width_ratios": [1, 1, 1, 1.3]})
for ax, depth in zip(axes, [4, 16, 32], strict=False):
    erf = maps[depth]
    ax.imshow(erf, cmap="magma")
    r, c = receptive_field([(3, 1, 1)] * depth), erf.shape[0] // 2
    ax.add_patch(plt.Rectangle((c - r / 2, c - r / 2), r, r, fill=False, ec="tab:cyan", lw=1.2))
    ax.set_title(f"{depth} layers, field {r}x{r}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
axes[3].plot(depths, theoretical_width, "o-", label="receptive field (formula)")
axes[3].plot(depths, effective_width, "s-", label="95 % of |gradient|")
axes[3].set_xlabel("number of 3x3 layers")
axes[3].set_ylabel("width (pixels)")
axes[3].legend(fontsize=8)
fig.tight_layout()
plt.show()
