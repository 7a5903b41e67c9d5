"""Padding modes: what a convolution sees beyond the border of the image. Zeros darken the
border of a blurred photo, reflect and replicate keep its brightness, circular brings in the
opposite edge. Away from the border all four give the same result.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from skimage import data, transform
from torch import nn

# PyTorch's padding modes and their names in numpy.pad
modes = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}

# %% [markdown]
# ## The padded values, on a small 4x4 example

# %%
small = torch.arange(1.0, 17.0).reshape(1, 1, 4, 4)
padded = {}
for mode, numpy_name in modes.items():
    torch_mode = "constant" if mode == "zeros" else mode
    padded[mode] = F.pad(small, (2, 2, 2, 2), mode=torch_mode)[0, 0].numpy()
    assert np.array_equal(padded[mode], np.pad(small[0, 0].numpy(), 2, mode=numpy_name))

# %% [markdown]
# ## A 15x15 box blur of a photo with each padding mode

# %%
photo = transform.resize(data.camera(), (128, 128), anti_aliasing=True).astype(np.float32)
image = torch.from_numpy(photo)[None, None]
blurred = {}
for mode in modes:
    layer = nn.Conv2d(1, 1, 15, padding=7, padding_mode=mode, bias=False)
    nn.init.constant_(layer.weight, 1 / 15**2)
    with torch.no_grad():
        blurred[mode] = layer(image)[0, 0].numpy()
        # padding_mode is the same as padding the input first, then convolving without padding
        torch_mode = "constant" if mode == "zeros" else mode
        by_hand = F.conv2d(F.pad(image, (7, 7, 7, 7), mode=torch_mode), layer.weight)[0, 0]
        assert torch.allclose(by_hand, torch.from_numpy(blurred[mode]), atol=1e-6)

# Only the outer 7 pixels (half the kernel) depend on the padding mode.
inner = (slice(7, -7), slice(7, -7))
for mode in modes:
    assert np.abs(blurred[mode][inner] - blurred["zeros"][inner]).max() < 1e-6
corner_brightness = {mode: float(b[0, 0]) for mode, b in blurred.items()}  # top-left pixel
print(
    "top-left pixel of the blurred photo:", {m: round(v, 3) for m, v in corner_brightness.items()}
)
assert corner_brightness["zeros"] < 0.5 * corner_brightness["replicate"]

# %%
fig, axes = plt.subplots(2, 4, figsize=(10, 5.4), layout="constrained")
for col, mode in enumerate(modes):
    ax = axes[0, col]
    ax.imshow(padded[mode], cmap="viridis", vmin=0, vmax=16)
    ax.add_patch(plt.Rectangle((1.5, 1.5), 4, 4, fill=False, edgecolor="white", linewidth=2))
    for (i, j), v in np.ndenumerate(padded[mode]):
        ax.text(
            j,
            i,
            f"{v:g}",
            ha="center",
            va="center",
            fontsize=7,
            color="black" if v > 8 else "white",
        )
    ax.set_title(f'padding_mode="{mode}"', fontsize=10)
    axes[1, col].imshow(blurred[mode], cmap="gray", vmin=0, vmax=1)
    axes[1, col].set_title(f"15x15 blur, {mode}", fontsize=10)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()
