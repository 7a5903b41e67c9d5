"""Prewitt, Sobel and Scharr: three fixed 3x3 estimates of the image gradient, and how well each
gets the direction of an edge right. Uses the helper module `kernels.py` next to this file.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from kernels import frozen_conv, photo, prewitt, scharr, sobel

# %% [markdown]
# Each operator is a pair of kernels, d/dx and d/dy, i.e. one frozen layer with two output
# channels. Divided by their gain (6, 8 and 32) they estimate the derivative in grey levels
# per pixel: all three are exact on a linear ramp.

# %%
operators = {"Prewitt": prewitt() / 6, "Sobel": sobel() / 8, "Scharr": scharr() / 32}
n = 48
y, x = torch.meshgrid(
    torch.arange(n, dtype=torch.float64), torch.arange(n, dtype=torch.float64), indexing="ij"
)
ramp = (0.3 * x - 0.7 * y)[None, None]
for k in operators.values():
    # float64 for an exact check; skip the 1-pixel border, where padding changes the ramp
    gx, gy = frozen_conv(k, dtype=torch.float64)(ramp)[0, :, 1:-1, 1:-1]
    assert torch.allclose(gx, torch.tensor(0.3, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(gy, torch.tensor(-0.7, dtype=torch.float64), atol=1e-12)

# %% [markdown]
# They differ on fine detail. Feed each a grating (a sinusoid of wavelength 5 pixels) at
# angles from 0 to 90 degrees and compare the direction atan2(gy, gx) with the true one.

# %%
frequency = 0.2  # cycles per pixel
angles = np.arange(0.0, 90.1, 2.5)
errors = {name: [] for name in operators}
for degrees in angles:
    theta = math.radians(degrees)
    grating = torch.sin(2 * math.pi * frequency * (x * math.cos(theta) + y * math.sin(theta)))
    for name, k in operators.items():
        layer = frozen_conv(k, dtype=torch.float64)
        gx, gy = layer(grating[None, None])[0, :, 4:-4, 4:-4]  # away from the border
        estimate = torch.atan2(gy, gx)
        error = torch.remainder(estimate - theta + math.pi / 2, math.pi) - math.pi / 2
        errors[name].append(math.degrees(error.abs().max().item()))
worst_error_degrees = {name: round(max(e), 2) for name, e in errors.items()}
print("worst direction error at wavelength 5 px (degrees):", worst_error_degrees)
assert worst_error_degrees["Scharr"] < worst_error_degrees["Sobel"] < worst_error_degrees["Prewitt"]

# %%
# On the photo: the gradient magnitude (edge strength) and direction from Sobel's two channels.
image = photo(256)
gx, gy = frozen_conv(operators["Sobel"])(image)[0].numpy()
magnitude = np.hypot(gx, gy)
direction = np.degrees(np.arctan2(gy, gx))  # -180..180, y pointing down
crop = (slice(40, 152), slice(100, 212))
strong = magnitude > np.quantile(magnitude, 0.8)  # colour only the strongest 20 % of pixels

fig, axes = plt.subplots(1, 2, figsize=(3.6, 1.85), layout="constrained")
# 16 grey levels (or colours), drawn pixel for pixel: a light PNG
axes[0].imshow(
    magnitude[crop],
    cmap=plt.get_cmap("gray_r", 16),
    vmin=0,
    vmax=np.quantile(magnitude, 0.99),
    interpolation="nearest",
)
axes[0].set_title("magnitude", fontsize=9)
shown = np.ma.masked_where(~strong[crop], direction[crop])
shown = axes[1].imshow(
    shown, cmap=plt.get_cmap("twilight", 16), vmin=-180, vmax=180, interpolation="nearest"
)
axes[1].set_title("direction", fontsize=9)
for ax in axes:
    ax.set_axis_off()
fig.colorbar(shown, ax=axes[1], ticks=[-180, -90, 0, 90, 180], label="degrees")

fig, ax = plt.subplots(figsize=(6, 2.8))
for (name, e), style in zip(errors.items(), ["-", "--", ":"], strict=True):
    ax.plot(angles, e, style, label=name)
ax.set_xlabel("true gradient direction (degrees)")
ax.set_ylabel("direction error (degrees)")
ax.set_title("Grating of wavelength 5 pixels")
ax.set_xticks(np.arange(0, 91, 15))
ax.set_ylim(0, 1.3 * max(worst_error_degrees.values()))
ax.legend(ncol=3, loc="upper center")
fig.tight_layout()
plt.show()
