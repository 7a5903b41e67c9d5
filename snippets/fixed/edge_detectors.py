"""Three fixed ways to find edges, side by side on one photo: Sobel gradient magnitude,
zero crossings of the Laplacian of Gaussian, and the maximum over a bank of Gabor filters;
with the Canny detector, built on the same fixed kernels, for reference.
Uses the helper module `kernels.py` next to this file.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 \
    scipy==1.17.1 torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from kernels import frozen_conv, gabor, laplacian_of_gaussian, photo, sobel
from scipy import ndimage
from skimage.feature import canny

image = photo(256)

# %%
# 1. Sobel: length of the gradient vector (d/dx, d/dy).
gx, gy = frozen_conv(sobel() / 8)(image)[0]
sobel_magnitude = torch.hypot(gx, gy).numpy()

# 2. Marr-Hildreth: where the LoG response changes sign, between two neighbours whose
#    responses differ enough (a steep crossing, not noise around zero in a flat area).
log = frozen_conv(laplacian_of_gaussian(2.0))(image)[0, 0].numpy()
steep = 0.5 * np.abs(log).mean()  # threshold on the jump across the crossing
zero_crossings = np.zeros(log.shape, dtype=bool)
for axis in (0, 1):
    a = log
    b = np.roll(log, -1, axis=axis)  # right or lower neighbour
    crossing = (a * b < 0) & (np.abs(a - b) > steep)
    crossing[(slice(None), -1) if axis else (-1, slice(None))] = False  # no wrap-around
    zero_crossings |= crossing

# 3. Gabor bank at one frequency, 4 orientations: keep the strongest response per pixel.
bank = torch.stack([gabor(0.25, math.radians(t)) for t in (0, 45, 90, 135)])
out = frozen_conv(torch.cat([bank.real, bank.imag]))(image)[0]
gabor_max = torch.hypot(out[:4], out[4:]).max(dim=0).values.numpy()

# 4. Canny (1986): Gaussian smoothing, gradients, thinning to one-pixel lines, hysteresis.
canny_edges = canny(image[0, 0].numpy(), sigma=2.0)

# %% [markdown]
# Do they agree? The two gradient-like maps are strongly correlated, and Canny's edge pixels
# lie within one pixel of a LoG zero crossing far more often than pixels picked at random.

# %%
sobel_gabor_correlation = float(np.corrcoef(sobel_magnitude.ravel(), gabor_max.ravel())[0, 1])
near_crossing = ndimage.binary_dilation(zero_crossings, iterations=1)
canny_near_log = float(near_crossing[canny_edges].mean())
any_pixel_near_log = float(near_crossing.mean())  # the chance level
print(f"correlation of Sobel magnitude and Gabor max: {sobel_gabor_correlation:.2f}")
print(
    f"within 1 pixel of a LoG zero crossing: {canny_near_log:.0%} of Canny edge pixels, "
    f"{any_pixel_near_log:.0%} of all pixels"
)
assert sobel_gabor_correlation > 0.6
assert canny_near_log > 2 * any_pixel_near_log

# %%
crop = (slice(40, 152), slice(100, 212))  # the 112 x 112 crop of the earlier figures
grey = plt.get_cmap("gray_r", 16)  # 16 grey levels, drawn pixel for pixel: a light PNG
panels = {
    "Sobel magnitude": (sobel_magnitude, np.quantile(sobel_magnitude, 0.99)),
    "LoG σ=2 zero crossings": (zero_crossings, 1),
    "Gabor bank max": (gabor_max, np.quantile(gabor_max, 0.99)),
    "Canny σ=2": (canny_edges, 1),
}
fig, axes = plt.subplots(1, 4, figsize=(5.6, 1.75), layout="constrained")
for ax, (title, (values, top)) in zip(axes, panels.items(), strict=True):
    ax.imshow(values[crop], cmap=grey, vmin=0, vmax=top, interpolation="nearest")
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()
plt.show()
