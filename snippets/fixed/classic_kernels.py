"""The classic hand-designed kernels, each applied to a photo as a frozen convolution layer.

Every kernel is a small tensor written down (or computed from a formula) before any image is
seen; `frozen_conv` copies it into an `nn.Conv2d` whose weights never change. Uses the helper
module `kernels.py` that sits next to this file.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from kernels import (
    box,
    difference_of_gaussians,
    emboss,
    frozen_conv,
    gaussian,
    laplacian,
    laplacian_of_gaussian,
    photo,
    prewitt,
    scharr,
    sharpen,
    sobel,
    unsharp_mask,
)

# %% [markdown]
# Eleven kernels: five that keep the mean grey level (their weights sum to 1) and six that
# respond only to change (their weights sum to 0, or almost, for the truncated LoG).

# %%
kernels = {
    "box 5x5": box(5),
    "Gaussian σ=1.5": gaussian(1.5),
    "sharpen": sharpen(),
    "unsharp σ=2": unsharp_mask(2.0, amount=1.5),
    "emboss": emboss(),
    "Prewitt d/dx": prewitt()[0],
    "Sobel d/dx": sobel()[0],
    "Scharr d/dx": scharr()[0],
    "Laplacian": laplacian(),
    "LoG σ=2": laplacian_of_gaussian(2.0),
    "DoG σ=2, 3.2": difference_of_gaussians(2.0, ratio=1.6),
}
kernel_sums = {name: round(k.sum().item(), 6) + 0.0 for name, k in kernels.items()}  # no -0.0
for name, k in kernels.items():
    print(f"{name:15s} {tuple(k.shape)!s:9s} sum of weights = {kernel_sums[name]:+.6f}")

# %%
image = photo(256)  # (1, 1, 256, 256) float32, grey levels in [0, 1]
flat = torch.full_like(image, 0.5)
outputs = {}
for name, k in kernels.items():
    layer = frozen_conv(k)  # nn.Conv2d(1, 1, k.shape, padding="same"-like, bias=False)
    assert not layer.weight.requires_grad  # fixed: no optimiser can ever change it
    outputs[name] = layer(image)[0, 0]
    assert outputs[name].shape == image.shape[-2:]  # half-kernel padding keeps the size
    # On a flat grey image a kernel outputs grey level x (sum of its weights).
    assert torch.allclose(layer(flat), 0.5 * k.sum().float(), atol=1e-6)

# The unsharp mask is one kernel for "image + amount * (image - blurred image)".
blurred = frozen_conv(gaussian(2.0))(image)
assert torch.allclose(outputs["unsharp σ=2"], (image + 1.5 * (image - blurred))[0, 0], atol=1e-5)

# The DoG is a LoG in disguise. With widths s and 1.6 s its zero crossings sit where those of a
# LoG of width s_log = s * sqrt(2 k^2 ln k / (k^2 - 1)), k = 1.6, do: compare the two shapes.
ratio = 1.6
dog_log_sigma = 2.0 * math.sqrt(2 * ratio**2 * math.log(ratio) / (ratio**2 - 1))
log_k = laplacian_of_gaussian(dog_log_sigma, radius=13)
dog_k = difference_of_gaussians(2.0, ratio, radius=13)
dog_log_similarity = torch.nn.functional.cosine_similarity(log_k.flatten(), dog_k.flatten(), 0)
assert dog_log_similarity > 0.99
print(f"DoG(2, 3.2) vs LoG({dog_log_sigma:.2f}): cosine similarity {dog_log_similarity:.4f}")

# %%
# Figure 1: the kernels (white = 0, red > 0, blue < 0; a strong centre may saturate).
fig, axes = plt.subplots(2, 6, figsize=(7, 2.7))
axes[1, 5].set_axis_off()  # 11 kernels, 12 places
for ax, (name, k) in zip(axes.flat, kernels.items(), strict=False):
    surround = k.clone()
    surround[k.shape[0] // 2, k.shape[1] // 2] = 0
    limit = surround.abs().max().item()  # colour scale set by the off-centre weights
    ax.imshow(k.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
    if k.shape == (3, 3):  # small kernels: print the weights
        for (i, j), w in np.ndenumerate(k.numpy()):
            colour = "white" if abs(w) > 0.6 * limit else "black"
            ax.text(j, i, f"{w:g}", ha="center", va="center", fontsize=7, color=colour)
    ax.set_title(name, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

# Figure 2: seven of the outputs on a 112 x 112 crop of the photo (the others look much like
# one of these: sharpen like unsharp, Prewitt and Scharr like Sobel, DoG like LoG).
crop = (slice(40, 152), slice(100, 212))
grey = plt.get_cmap("gray", 16)  # 16 grey levels, drawn pixel for pixel: a light PNG
shown = ["box 5x5", "Gaussian σ=1.5", "unsharp σ=2", "emboss", "Sobel d/dx", "Laplacian", "LoG σ=2"]
panels = {"photo": image[0, 0], **{name: outputs[name] for name in shown}}
fig, axes = plt.subplots(2, 4, figsize=(4.9, 2.85))
for ax, (name, out) in zip(axes.flat, panels.items(), strict=True):
    out = out[crop].numpy()
    if name == "photo" or kernel_sums[name] > 0.5:  # brightness kept: the photo's grey scale
        ax.imshow(out, cmap=grey, vmin=0, vmax=1, interpolation="nearest")
    else:  # change detectors: mid-grey = 0, scale set by the strongest 1 % of responses
        limit = np.quantile(np.abs(out), 0.99)
        ax.imshow(out, cmap=grey, vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_title(name, fontsize=8)
    ax.set_axis_off()
fig.tight_layout()
plt.show()
