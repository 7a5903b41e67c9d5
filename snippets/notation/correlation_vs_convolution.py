"""Convolution flips the kernel, cross-correlation does not, and `torch.nn.functional.conv2d`
computes cross-correlation.

Filtering a single bright pixel (an impulse) makes the difference visible: convolution stamps
a copy of the kernel, cross-correlation stamps the kernel rotated by 180 degrees.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scipy==1.17.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from scipy import signal

rng = np.random.default_rng(0)

# %% [markdown]
# ## On a random image: F.conv2d is cross-correlation

# %%
image = rng.normal(size=(64, 64))
kernel = rng.normal(size=(5, 5))  # not symmetric, so flipping it matters

by_torch = F.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None])[0, 0].numpy()
by_correlation = signal.correlate2d(image, kernel, mode="valid")
by_convolution = signal.convolve2d(image, kernel, mode="valid")
by_convolution_of_flipped = signal.convolve2d(image, kernel[::-1, ::-1], mode="valid")

torch_vs_correlation = np.abs(by_torch - by_correlation).max()
torch_vs_flipped_convolution = np.abs(by_torch - by_convolution_of_flipped).max()
torch_vs_convolution = np.abs(by_torch - by_convolution).max()
print(f"F.conv2d - correlate2d:               {torch_vs_correlation:.1e}")
print(f"F.conv2d - convolve2d(flipped kernel): {torch_vs_flipped_convolution:.1e}")
print(f"F.conv2d - convolve2d(kernel):         {torch_vs_convolution:.1f}")
assert torch_vs_correlation < 1e-12 and torch_vs_flipped_convolution < 1e-12
assert torch_vs_convolution > 1  # the same kernel, unflipped, gives a different result

# %% [markdown]
# ## On an impulse: the output is the kernel itself, or its flip

# %%
impulse = np.zeros((7, 7))
impulse[3, 3] = 1.0
arrow = np.array([[0.0, 1, 0], [0, 2, 3], [0, 0, 0]])  # an "L": easy to see which way it points
convolved = signal.convolve2d(impulse, arrow, mode="same")
correlated = signal.correlate2d(impulse, arrow, mode="same")
assert np.array_equal(convolved[2:5, 2:5], arrow)
assert np.array_equal(correlated[2:5, 2:5], arrow[::-1, ::-1])

fig, axes = plt.subplots(1, 4, figsize=(10, 3.2), layout="constrained")
panels = [
    ("input: one bright pixel", impulse),
    ("kernel h", arrow),
    ("convolution: h", convolved),
    ("cross-correlation (F.conv2d):\nh rotated by 180°", correlated),
]
for ax, (title, values) in zip(axes, panels, strict=True):
    # zeros masked: drawn as the page's background (white, or dark in the dark palette)
    ax.imshow(np.ma.masked_equal(values, 0), cmap="Blues", vmin=0, vmax=4)
    for (i, j), v in np.ndenumerate(values):
        if v:
            ax.text(j, i, f"{v:g}", ha="center", va="center", color="white" if v > 2 else "black")
    ax.set_title(title, fontsize=10)
    ax.set_xticks(np.arange(-0.5, values.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, values.shape[0]), minor=True)
    ax.grid(which="minor", color="0.8", linewidth=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
plt.show()
