"""What each fixed kernel does to each spatial frequency: the magnitude of its zero-padded 2-D
Fourier transform. Low-pass, high-pass, band-pass and oriented filters, with their DC gains.
Uses the helper module `kernels.py` next to this file.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
from kernels import (
    box,
    difference_of_gaussians,
    gabor,
    gaussian,
    laplacian,
    laplacian_of_gaussian,
    sobel,
    unsharp_mask,
)

# %% [markdown]
# The frequency response H(fx, fy) is the kernel's discrete Fourier transform, here sampled on a
# 40 x 40 grid of frequencies by zero-padding. Its value at frequency 0, the DC gain, is the sum
# of the weights: how the filter scales a flat image.

# %%
N = 40
freqs = np.fft.fftshift(np.fft.fftfreq(N))  # -0.5 .. 0.5 - 1/40 cycles per pixel
kernels = {
    "box 5x5": box(5),
    "Gaussian σ=1.5": gaussian(1.5),
    "unsharp σ=2": unsharp_mask(2.0, amount=1.5),
    "Laplacian": laplacian(),
    "LoG σ=2": laplacian_of_gaussian(2.0),
    "DoG σ=2, 3.2": difference_of_gaussians(2.0, 1.6),
    "Sobel d/dx": sobel()[0],
    "Gabor 45°, real": gabor(0.14, math.radians(45)).real,
}
# |H| does not depend on where the kernel sits in the grid, nor on flipping it (convolution
# versus cross-correlation), so the plain FFT of the kernel is what the layer does.
responses = {
    name: np.abs(np.fft.fftshift(np.fft.fft2(k.numpy(), s=(N, N)))) for name, k in kernels.items()
}
centre = N // 2  # index of frequency 0 after fftshift
dc_gain = {name: float(r[centre, centre]) for name, r in responses.items()}
for name, k in kernels.items():
    assert math.isclose(dc_gain[name], abs(k.sum().item()), abs_tol=1e-12)  # DC gain = sum
    print(f"{name:16s} DC gain {dc_gain[name]:.2e}   max gain {responses[name].max():.3f}")

# %% [markdown]
# The facts the gallery shows, checked.

# %%
for name in ["box 5x5", "Gaussian σ=1.5", "unsharp σ=2"]:  # weights sum to 1: flat areas kept
    assert math.isclose(dc_gain[name], 1.0, rel_tol=1e-12)
for name in ["Laplacian", "Sobel d/dx", "DoG σ=2, 3.2"]:  # derivatives: flat areas give 0
    assert dc_gain[name] < 1e-12
log_dc_gain = dc_gain["LoG σ=2"]  # sampled and truncated at 4 sigma: not exactly 0
log_weight_sum = kernels["LoG σ=2"].sum().item()  # the signed sum: negative
assert log_dc_gain < 0.01 * responses["LoG σ=2"].max()

# Low-pass: the Gaussian's gain falls steadily with frequency; the box's bounces back.
fine = np.fft.rfftfreq(500)  # a finer frequency axis for 1-D profiles: 0, 0.002, ... 0.5
box_profile = np.abs(np.fft.rfft(box(5)[2].numpy() * 5, 500))  # its 1-D factor
gauss_profile = np.abs(np.fft.rfft(gaussian(1.5).sum(0).numpy(), 500))
assert np.all(np.diff(gauss_profile) < 0)
box_sidelobe = float(box_profile[fine > 0.2].max())  # beyond its first zero, at f = 1/5
assert box_sidelobe > 0.2 and box_profile[np.argmin(abs(fine - 0.2))] < 1e-12

# High-pass: the Laplacian gains most at the highest frequency (a checkerboard), by 8.
assert math.isclose(responses["Laplacian"].max(), 8.0)
assert math.isclose(responses["Laplacian"][0, 0], 8.0)  # at fx = fy = -0.5

# Band-pass: LoG peaks on a ring; for a continuous LoG its radius is 1 / (pi sigma sqrt 2).
fy, fx = np.meshgrid(freqs, freqs, indexing="ij")
log_peak = float(np.hypot(fx, fy)[np.unravel_index(responses["LoG σ=2"].argmax(), (N, N))])
log_peak_theory = 1 / (math.pi * 2.0 * math.sqrt(2))
assert abs(log_peak - log_peak_theory) < 1.5 / N

# Oriented: Sobel d/dx is blind to anything that varies only along y (the column fx = 0)...
assert responses["Sobel d/dx"][:, centre].max() < 1e-12
# ... and the Gabor kernel passes a blob around its own frequency and orientation.
peak = np.unravel_index(responses["Gabor 45°, real"].argmax(), (N, N))
gabor_peak = (float(fx[peak]), float(fy[peak]))  # (fx, fy), cycles per pixel
assert math.isclose(abs(gabor_peak[0]), 0.14 * math.cos(math.radians(45)), abs_tol=1 / N)
assert gabor_peak[0] * gabor_peak[1] > 0  # same sign: the blob lies on the 45° diagonal

# %%
# Figure 1: |H| for each kernel (frequency 0 in the centre, fy pointing down like y).
fig, axes = plt.subplots(2, 4, figsize=(8, 4.0), layout="constrained")
for ax, (name, r) in zip(axes.flat, responses.items(), strict=True):
    shown = ax.imshow(
        r / r.max(),
        cmap=plt.get_cmap("viridis", 16),
        vmin=0,
        vmax=1,
        extent=(-0.5, 0.5, 0.5, -0.5),
        interpolation="nearest",
    )
    ax.set_title(f"{name}\nDC gain {dc_gain[name]:.2g}", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
axes[1, 0].set_xticks([-0.5, 0, 0.5])  # the same axes for every panel
axes[1, 0].set_yticks([-0.5, 0, 0.5])
axes[1, 0].tick_params(labelsize=7)
axes[1, 0].set_xlabel("fx (cycles/pixel)", fontsize=8)
axes[1, 0].set_ylabel("fy (cycles/pixel)", fontsize=8)
fig.colorbar(shown, ax=axes, shrink=0.7, label="|H| / max |H|")

# Figure 2: the two low-pass filters along the fx axis.
fig, ax = plt.subplots(figsize=(6, 2.6))
ax.plot(fine, box_profile, label="box 5x5")
ax.plot(fine, gauss_profile, "--", label="Gaussian σ=1.5")
ax.axhline(0, color="grey", linewidth=0.5)
ax.set_xlabel("frequency fx (cycles per pixel), fy = 0")
ax.set_ylabel("|H|")
ax.legend()
fig.tight_layout()
plt.show()
