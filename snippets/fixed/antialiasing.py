"""Why a fixed blur still sits in front of downsampling: keeping every 4th pixel of a zone plate
invents rings that are not there (aliasing); a Gaussian blur first removes them.
Uses the helper module `kernels.py` next to this file.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import torch
from kernels import frozen_conv, gaussian

# %% [markdown]
# A zone plate: rings whose frequency grows with the distance from the centre, from 0 to
# 0.35 cycles per pixel at the middle of each edge (the limit of any grid is 0.5).

# %%
n, step = 128, 4
y, x = torch.meshgrid(torch.arange(n) - n / 2, torch.arange(n) - n / 2, indexing="ij")
k = 0.35 / (n / 2)  # local frequency = k * distance from the centre
zone_plate = (0.5 + 0.5 * torch.cos(math.pi * k * (x**2 + y**2)))[None, None]
local_frequency = (k * torch.hypot(x, y)).numpy()  # cycles per pixel at each point

# Keeping every 4th pixel can only represent frequencies up to 0.5 / 4 = 0.125 cycles/pixel.
naive = zone_plate[0, 0, ::step, ::step].numpy()
# Blur first (sigma about step / 2), then keep every 4th pixel: a frozen conv with stride 4.
blurred = frozen_conv(gaussian(step / 2))(zone_plate)[0, 0, ::step, ::step].numpy()

# Where the rings are finer than the new limit, the right answer is a flat grey: any contrast
# left there is made up. Measure it by the standard deviation of the kept pixels.
too_fine = local_frequency[::step, ::step] > 0.5 / step
aliased_contrast_naive = float(naive[too_fine].std())
aliased_contrast_blurred = float(blurred[too_fine].std())
print(
    f"contrast where it should be flat: naive {aliased_contrast_naive:.3f}, "
    f"blurred {aliased_contrast_blurred:.3f}"
)
assert aliased_contrast_blurred < 0.1 * aliased_contrast_naive

# %%
fig, axes = plt.subplots(1, 3, figsize=(4.5, 1.8), layout="constrained")
grey = plt.get_cmap("gray", 16)  # 16 grey levels, drawn pixel for pixel: a light figure
for ax, picture, title in zip(
    axes,
    [zone_plate[0, 0].numpy(), naive, blurred],
    ["zone plate, 128 x 128", "every 4th pixel", "Gaussian blur, then every 4th"],
    strict=True,
):
    ax.imshow(picture, cmap=grey, vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(title, fontsize=7)
    ax.set_axis_off()
plt.show()
