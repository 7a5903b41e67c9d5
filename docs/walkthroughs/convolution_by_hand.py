# %% [markdown]
# # Walkthrough, 2-D convolution by hand
#
# Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 scipy==1.17.1 \
#     torch==2.13.0
#
# A convolutional layer slides a small grid of weights, the kernel $h$, over an image $f$ and
# at every position multiplies the overlapping numbers and adds them up. This walkthrough does
# exactly that with two Python loops, then checks the result against PyTorch and SciPy.
#
# Like every deep-learning library, we compute the version without the kernel flip
# (cross-correlation), which is what `torch.nn.functional.conv2d` calls convolution:
#
# $$ g[i, j] = \sum_{m=0}^{k_H - 1} \sum_{n=0}^{k_W - 1} f[i + m, j + n] \, h[m, n] $$
#
# for every position $(i, j)$ where the $k_H \times k_W$ kernel fits inside the image.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from scipy import signal
from skimage import data, transform

# The camera man photo from scikit-image, 128 x 128 pixels, values between 0 and 1.
f = transform.resize(data.camera(), (128, 128), anti_aliasing=True)
# Sobel's kernel: large where the image gets darker from left to right.
h = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
print("image", f.shape, " kernel", h.shape)

# %% [markdown]
# ## One output value
#
# The output at position $(i, j)$ only looks at the $3 \times 3$ patch whose top-left corner is
# $(i, j)$: multiply it by the kernel, element by element, and sum.

# %% alt="Four panels: the camera man photo with a small red square where his head meets the sky; the 3 by 3 patch of pixel values under that square; the Sobel kernel with columns 1, 2, 1 / 0 / -1, -2, -1; and their element-wise products, whose sum is the output value."
i, j = 42, 41  # where the man's head meets the bright sky
patch = f[i : i + 3, j : j + 3]
products = patch * h
value = products.sum()
print(f"g[{i}, {j}] = {value:.4f}")

fig, axes = plt.subplots(1, 4, figsize=(8.4, 2.3), layout="constrained")
axes[0].imshow(f, cmap="gray")
axes[0].add_patch(plt.Rectangle((j - 0.5, i - 0.5), 3, 3, fill=False, edgecolor="red", lw=2))
axes[0].set_title("image f and the patch")
for ax, title, grid in [
    (axes[1], "patch", patch),
    (axes[2], "kernel h", h),
    (axes[3], f"patch × h, sum = {value:.3f}", products),
]:
    ax.imshow(grid, cmap="RdBu_r", vmin=-2, vmax=2)
    for (a, b), v in np.ndenumerate(grid):
        ax.text(b, a, f"{v:.2f}", ha="center", va="center", fontsize=9)
    ax.set_title(title)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %% [markdown]
# ## Every output value: two loops
#
# Without padding the kernel fits in $128 - 3 + 1 = 126$ positions along each axis.


# %%
def cross_correlate(f, h):
    rows = f.shape[0] - h.shape[0] + 1
    cols = f.shape[1] - h.shape[1] + 1
    g = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            g[i, j] = np.sum(f[i : i + h.shape[0], j : j + h.shape[1]] * h)
    return g


start = time.perf_counter()
g = cross_correlate(f, h)
seconds = time.perf_counter() - start
print(f"output {g.shape}, computed in {seconds * 1000:.0f} ms by the Python loops")
assert g[i, j] == value

# %% [markdown]
# ## The same numbers from PyTorch and SciPy
#
# `F.conv2d` wants a batch of images with channels, `(N, C, H, W)`, and weights shaped
# `(C_out, C_in, kH, kW)`; here all of those extra sizes are 1.

# %%
by_torch = F.conv2d(torch.tensor(f)[None, None], torch.tensor(h)[None, None])[0, 0].numpy()
by_scipy = signal.correlate2d(f, h, mode="valid")
by_flipped_convolution = signal.convolve2d(f, h[::-1, ::-1], mode="valid")
for name, other in [
    ("F.conv2d", by_torch),
    ("scipy correlate2d", by_scipy),
    ("scipy convolve2d, flipped kernel", by_flipped_convolution),
]:
    difference = np.abs(g - other).max()
    print(f"loops vs {name}: max difference {difference:.1e}")
    assert difference < 1e-12

# %% [markdown]
# True convolution flips the kernel first, so with Sobel's kernel (antisymmetric left to right)
# it gives the same picture with the opposite sign:

# %% alt="Three panels: the camera man photo; the output of our loops, grey with bright and dark outlines along vertical edges; and the true convolution, the same outlines with bright and dark swapped."
by_convolution = signal.convolve2d(f, h, mode="valid")
assert np.allclose(by_convolution, -g)

fig, axes = plt.subplots(1, 3, figsize=(6.6, 2.4), layout="constrained")
for ax, title, image in [
    (axes[0], "input f", f),
    (axes[1], "our loops = F.conv2d", g),
    (axes[2], "true convolution (flipped h)", by_convolution),
]:
    ax.imshow(image, cmap="gray")
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# The loops take milliseconds on a small image; libraries reach the same numbers much faster
# by rearranging the work (matrix products, FFTs, vector instructions), which the chapter
# "In a CNN, kernels are the weights" measures.
