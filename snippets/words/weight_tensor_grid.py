"""The weight tensor of a convolutional layer drawn as a grid of 2-D kernels: one row per filter
(output channel), one column per input channel, and next to each row the feature map that filter
produces from a photo.

The kernels here are set by hand so that each filter does something recognisable; in a trained
network the same tensor would hold learned numbers instead.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from skimage import data, transform
from torch import nn

# RGB photo, 96 x 96, as a batch of one image with 3 channels: (1, 3, 96, 96).
photo = transform.resize(data.astronaut(), (96, 96), anti_aliasing=True).astype(np.float32)
image = torch.from_numpy(photo).permute(2, 0, 1)[None]

layer = nn.Conv2d(in_channels=3, out_channels=4, kernel_size=3, padding=1, bias=False)
sobel_x = torch.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
centre = torch.zeros(3, 3)
centre[1, 1] = 1.0

# %% [markdown]
# ## Fill the weight tensor (4, 3, 3, 3) one kernel at a time

# %%
with torch.no_grad():
    layer.weight[0] = sobel_x / 3  # filter 0: vertical edges, same kernel on R, G and B
    layer.weight[1] = sobel_x.T / 3  # filter 1: horizontal edges
    layer.weight[2] = 0.0  # filter 2: "red minus green", only the centre taps are non-zero
    layer.weight[2, 0], layer.weight[2, 1] = centre, -centre
    layer.weight[3] = 1 / 27  # filter 3: 3x3 average of all three channels (a blur)
    feature_maps = layer(image)[0].numpy()

assert layer.weight.shape == (4, 3, 3, 3)
assert feature_maps.shape == (4, 96, 96)
# Filter 2 reads only the centre pixel of the R and G channels: it is R - G, pixel by pixel.
assert np.allclose(feature_maps[2], photo[..., 0] - photo[..., 1], atol=1e-6)

# %% [markdown]
# ## Draw it

# %%
names = ["vertical edges", "horizontal edges", "red minus green", "blur"]
channels = ["R", "G", "B"]
fig, axes = plt.subplots(
    5, 4, figsize=(4.95, 6.6), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 1, 1.6]}
)
for c in range(3):
    axes[0, c].imshow(photo[..., c], cmap="gray", vmin=0, vmax=1)
    axes[0, c].set_title(f"channel {c} ({channels[c]})", fontsize=9)
axes[0, 3].imshow(photo)
axes[0, 3].set_title("input image", fontsize=9)
for o in range(4):
    for c in range(3):
        kernel = layer.weight[o, c].detach().numpy()
        shown = axes[o + 1, c].imshow(kernel, cmap="RdBu_r", vmin=-0.7, vmax=0.7)
        axes[o + 1, c].set_title(f"kernel [{o}, {c}]", fontsize=9)
    axes[o + 1, 0].set_ylabel(f"filter {o}\n{names[o]}", fontsize=9)
    axes[o + 1, 3].imshow(feature_maps[o], cmap="gray")
    axes[o + 1, 3].set_title(f"feature map {o}", fontsize=9)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(shown, ax=axes[1:, :3], orientation="horizontal", shrink=0.8, label="kernel weight")
plt.show()
