"""A Gabor filter bank (4 orientations x 3 frequencies) as one frozen convolution layer, and
the orientation and scale each filter picks out. Uses the helper `kernels.py` next to this file.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from kernels import frozen_conv, gabor

# %% [markdown]
# A complex Gabor kernel is a Gaussian envelope times a complex wave: its real part (cosine)
# responds to lines, its imaginary part (sine) to edges. Its width sigma shrinks with the
# frequency so that every filter spans the same bandwidth of one octave.

# %%
frequencies = [0.08, 0.14, 0.25]  # cycles per pixel: wavelengths 12.5, 7.1 and 4 pixels
orientations = [0, 45, 90, 135]  # degrees; y points down, so 45 goes down and to the right
kernels = [gabor(f, math.radians(t)) for f in frequencies for t in orientations]
radius = max(k.shape[0] for k in kernels) // 2
# One layer needs one kernel size: pad the smaller kernels with zeros to the largest.
bank = torch.stack([F.pad(k, [radius - k.shape[0] // 2] * 4) for k in kernels])
kernel_size = bank.shape[-1]  # 2 * radius + 1
print("bank:", tuple(bank.shape), bank.dtype)

# Real and imaginary parts become 2 x 12 = 24 output channels of one frozen nn.Conv2d.
layer = frozen_conv(torch.cat([bank.real, bank.imag]))
print(layer)


def gabor_energy(images):
    """|complex response| of each of the 12 filters: sqrt(real**2 + imag**2)."""
    out = layer(images)
    return torch.hypot(out[:, :12], out[:, 12:])


# %% [markdown]
# Selectivity: show the bank gratings (sinusoids) at its own orientations and frequencies. The
# filter with the strongest mean response is always the matching one.

# %%
n = 64
y, x = torch.meshgrid(
    torch.arange(n, dtype=torch.float32), torch.arange(n, dtype=torch.float32), indexing="ij"
)


def grating(f, degrees):
    theta = math.radians(degrees)
    return torch.cos(2 * math.pi * f * (x * math.cos(theta) + y * math.sin(theta)))


def mean_energy(images):
    """Mean response magnitude of each filter, away from the borders: (images, 12)."""
    return gabor_energy(images[:, None])[:, :, radius:-radius, radius:-radius].mean(dim=(2, 3))


own = mean_energy(torch.stack([grating(f, t) for f in frequencies for t in orientations]))
assert torch.equal(own.argmax(dim=1), torch.arange(12))  # grating i excites filter i most
top2 = own.topk(2, dim=1).values  # best and runner-up response, per grating
selectivity_ratio = (top2[:, 0] / top2[:, 1]).min().item()
print(f"matching filter wins every time; best / runner-up >= {selectivity_ratio:.2f}")

# Orientation tuning: turn a grating of the middle frequency through 180 degrees.
angles = np.arange(0, 180, 5)
tuning = mean_energy(torch.stack([grating(frequencies[1], a) for a in angles]))[:, 4:8]
tuning = (tuning / tuning.max(dim=0).values).numpy()  # each filter's curve, peak = 1
assert (angles[tuning.argmax(axis=0)] == orientations).all()  # each peaks at its own angle
# Half width at half maximum of the 0-degree filter (its curve is symmetric about 0).
falling = tuning[angles <= 90, 0]  # from 1 at 0 degrees down to about 0 at 90
assert (np.diff(falling) < 0).all()
half_width_degrees = float(np.interp(0.5, falling[::-1], angles[angles <= 90][::-1]))
print(f"response falls to half at +-{half_width_degrees:.0f} degrees from the preferred angle")

# %%
# Figure 1: the real parts of the 12 kernels (rows: frequency, columns: orientation).
# Positive weights red, negative blue, and zero transparent: the weight's size is the colour's
# opacity, so zeros (inside a kernel or in its padding) show the page's background, light or dark.
fig, axes = plt.subplots(3, 4, figsize=(5, 3.9))
labels = [f"{t}°, f={f}" for f in frequencies for t in orientations]
red, blue = plt.get_cmap("RdBu_r")([0.9, 0.1])  # strong, but visible on dark too
for ax, k, label in zip(axes.flat, kernels, labels, strict=True):
    r = k.shape[0] // 2 + 0.5  # drawn to scale: every panel spans the largest kernel
    weights = k.real.numpy() / k.real.abs().max().item()  # -1 .. 1
    rgba = np.where(weights[..., None] > 0, red, blue)
    rgba[..., 3] = np.round(np.abs(weights) * 8) / 8  # 8 steps of opacity, like a colour map
    ax.imshow(rgba, extent=(-r, r, r, -r), interpolation="nearest")
    ax.set_xlim(-radius - 0.5, radius + 0.5)
    ax.set_ylim(radius + 0.5, -radius - 0.5)
    ax.set_title(label, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()

# Figure 2: orientation tuning curves of the four filters of the middle frequency.
fig, ax = plt.subplots(figsize=(6, 2.6))
for curve, t, style in zip(tuning.T, orientations, ["-", "--", "-.", ":"], strict=True):
    ax.plot(angles, curve, style, label=f"{t}° filter")
ax.axhline(0.5, color="grey", linewidth=0.5)
ax.set_xticks(np.arange(0, 181, 45))
ax.set_xlabel(f"grating direction (degrees), f = {frequencies[1]}")
ax.set_ylabel("mean response / peak")
ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.25))
fig.tight_layout()
plt.show()
