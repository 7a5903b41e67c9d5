"""Our frozen-layer kernels against the reference implementations in scipy.ndimage and
skimage.filters: the same numbers up to rounding, once scale, sign and borders are matched.
Uses the helper module `kernels.py` next to this file.

Needs: pip install numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import math

import numpy as np
import torch
from kernels import (
    frozen_conv,
    gabor,
    gaussian,
    laplacian,
    laplacian_of_gaussian,
    photo,
    prewitt,
    scharr,
    sobel,
)
from scipy import ndimage
from skimage import filters

# %% [markdown]
# Everything in float64, so that a difference of order 1e-15 means "the same computation".
# Borders: PyTorch's padding_mode="reflect" (d c b | a b c d) is scipy's mode="mirror";
# scipy's default mode="reflect" (c b a | a b c d) repeats the edge pixel and has no PyTorch
# twin, so it is compared away from the border.

# %%
image = photo(128, dtype=torch.float64)
x = image[0, 0].numpy()


def ours(kernels):
    """Apply kernels as one frozen float64 layer with reflect padding; numpy output."""
    return frozen_conv(kernels, padding_mode="reflect", dtype=torch.float64)(image)[0].numpy()


rows = []  # (ours, reference, how they are matched, max |difference|)


def check(name, reference, matched, a, b, tol=1e-12):
    difference = float(np.abs(a - b).max())
    assert difference < tol, (name, difference)
    rows.append((name, reference, matched, difference))
    return difference


g = ours(gaussian(2.0))[0]
check(
    "Gaussian σ=2",
    "`ndimage.gaussian_filter(x, 2)`",
    "radius 8 = round(4σ), mode mirror",
    g,
    ndimage.gaussian_filter(x, 2.0, mode="mirror"),
)
default_mode = ndimage.gaussian_filter(x, 2.0)  # mode="reflect"
check(
    "Gaussian σ=2",
    "same, default `mode='reflect'`",
    "interior only (8 px from the border)",
    g[8:-8, 8:-8],
    default_mode[8:-8, 8:-8],
)
gaussian_border_difference = float(np.abs(g - default_mode).max())  # the border pixels do differ
assert gaussian_border_difference > 1e-3

sx, sy = ours(sobel())
check("Sobel d/dx", "`ndimage.sobel(x, axis=1)`", "as is", sx, ndimage.sobel(x, 1, mode="mirror"))
check("Sobel d/dy", "`ndimage.sobel(x, axis=0)`", "as is", sy, ndimage.sobel(x, 0, mode="mirror"))
check(
    "Sobel d/dx",
    "`filters.sobel(x, axis=1)`",
    "theirs × 4",
    sx,
    4 * filters.sobel(x, axis=1, mode="mirror"),
)
check(
    "Sobel magnitude",
    "`filters.sobel(x)`",
    "theirs × 4√2",
    np.hypot(sx, sy),
    4 * math.sqrt(2) * filters.sobel(x, mode="mirror"),
)
px, py = ours(prewitt())
check(
    "Prewitt d/dx",
    "`ndimage.prewitt(x, axis=1)`",
    "as is",
    px,
    ndimage.prewitt(x, 1, mode="mirror"),
)
check(
    "Prewitt d/dy",
    "`filters.prewitt(x, axis=0)`",
    "theirs × 3",
    py,
    3 * filters.prewitt(x, axis=0, mode="mirror"),
)
cx, _ = ours(scharr())
check(
    "Scharr d/dx",
    "`filters.scharr(x, axis=1)`",
    "theirs × 16",
    cx,
    16 * filters.scharr(x, axis=1, mode="mirror"),
)
check(
    "Laplacian",
    "`ndimage.laplace(x)`",
    "as is",
    ours(laplacian())[0],
    ndimage.laplace(x, mode="mirror"),
)
check(
    "LoG σ=2",
    "`ndimage.gaussian_laplace(x, 2)`",
    "as is",
    ours(laplacian_of_gaussian(2.0))[0],
    ndimage.gaussian_laplace(x, 2.0, mode="mirror"),
)

# %% [markdown]
# Gabor. skimage builds the same complex kernel (its grid shrinks at oblique angles, so compare
# on its grid), but `filters.gabor` applies it with `ndimage.convolve`, a true convolution:
# the kernel is flipped. The cosine part is symmetric and does not notice; the sine part is
# antisymmetric and changes sign.

# %%
gabor_kernel_difference = 0.0
for theta in np.radians([0, 30, 45, 90, 135]):
    for f in (0.1, 0.2, 0.3):
        theirs = filters.gabor_kernel(f, theta=theta)
        mine = gabor(f, theta).numpy()
        r, (h, w) = mine.shape[0] // 2, theirs.shape
        mine = mine[r - h // 2 : r + h // 2 + 1, r - w // 2 : r + w // 2 + 1]
        gabor_kernel_difference = max(gabor_kernel_difference, float(np.abs(mine - theirs).max()))
assert gabor_kernel_difference < 1e-15
rows.append(
    (
        "Gabor kernel (15 cases)",
        "`filters.gabor_kernel(f, theta)`",
        "on its grid",
        gabor_kernel_difference,
    )
)

k = gabor(0.2, 0.0)
real, imag = ours(torch.stack([k.real, k.imag]))
sk_real, sk_imag = filters.gabor(x, 0.2, mode="mirror")
check("Gabor 0°, cosine part", "`filters.gabor(x, 0.2)[0]`", "as is", real, sk_real)
check("Gabor 0°, sine part", "`filters.gabor(x, 0.2)[1]`", "theirs × −1 (flip)", imag, -sk_imag)
gabor_sine_unflipped_difference = float(np.abs(imag - sk_imag).max())  # not a rounding error
assert gabor_sine_unflipped_difference > 0.01

# %%
header = ["| ours | reference | matched by | max abs difference |", "|---|---|---|---:|"]
comparison_table = "\n".join(header + [f"| {a} | {b} | {c} | {d:.1e} |" for a, b, c, d in rows])
worst_difference = max(d for *_, d in rows)
print(comparison_table)
