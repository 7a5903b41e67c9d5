"""Separable kernels: a Gaussian or a Sobel kernel is the outer product of two 1-D kernels
(rank 1), so two cheap 1-D passes give exactly the 2-D result. Uses `kernels.py` next to this file.

Needs: pip install numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 torch==2.13.0
"""

# %%
import math
import statistics
import time

import torch
from kernels import (
    box,
    frozen_conv,
    gabor,
    gaussian,
    gaussian_1d,
    laplacian,
    laplacian_of_gaussian,
    photo,
    prewitt,
    sobel,
)

torch.set_num_threads(1)  # the timings below are for one thread

# %% [markdown]
# The rank of a kernel (as a matrix) says how many separable terms it needs. The singular value
# decomposition finds it: a rank-1 kernel has one non-zero singular value.

# %%
kernels = {
    "box 5x5": box(5),
    "Gaussian σ=2": gaussian(2.0),
    "Sobel d/dx": sobel()[0],
    "Prewitt d/dx": prewitt()[0],
    "Laplacian": laplacian(),
    "LoG σ=2": laplacian_of_gaussian(2.0),
    "Gabor 30°, complex": gabor(0.14, math.radians(30)),
    "Gabor 30°, real": gabor(0.14, math.radians(30)).real,
}
ranks = {}
for name, k in kernels.items():
    s = torch.linalg.svdvals(k)
    ranks[name] = int((s > 1e-10 * s[0]).sum())
    print(f"{name:18s} rank {ranks[name]}   singular values", ", ".join(f"{v:.1e}" for v in s[:3]))
assert all(ranks[n] == 1 for n in ["box 5x5", "Gaussian σ=2", "Sobel d/dx", "Prewitt d/dx"])
assert ranks["Laplacian"] == 2 and ranks["LoG σ=2"] == 2  # d2/dx2 + d2/dy2: two terms
# exp(i(ax + by)) = exp(iax) exp(iby): a complex Gabor factors at any orientation, but its
# real part cos(ax + by) = cos(ax) cos(by) - sin(ax) sin(by) needs two terms.
assert ranks["Gabor 30°, complex"] == 1 and ranks["Gabor 30°, real"] == 2

# The factors, explicitly: Sobel = [1, 2, 1] (down the rows) times [-1, 0, 1] (along them).
column = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64)
row = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)
assert torch.equal(torch.outer(column, row), sobel()[0])
g = gaussian_1d(2.0)
assert torch.allclose(torch.outer(g, g), gaussian(2.0), rtol=0, atol=1e-17)

# %% [markdown]
# Two 1-D passes (a k x 1 layer, then a 1 x k layer) equal one k x k pass, at 2k instead of
# k^2 multiplications per pixel.

# %%
image_size = 256
image = photo(image_size)
sigma = 4.0
g = gaussian_1d(sigma)  # radius round(4 * 4) = 16: k = 33 taps
k = len(g)
full = frozen_conv(gaussian(sigma))
down_rows = frozen_conv(g[:, None])  # k x 1 kernel
along_rows = frozen_conv(g[None, :])  # 1 x k kernel
separable_max_diff = (along_rows(down_rows(image)) - full(image)).abs().max().item()
assert separable_max_diff < 1e-5  # float32 rounding, on values in [0, 1]
multiplies_2d, multiplies_separable = k * k, 2 * k
print(f"k = {k}: {multiplies_2d} multiplies per pixel in 2-D, {multiplies_separable} in two passes")
print(f"max |difference| between the two results: {separable_max_diff:.1e}")


def cpu_seconds(layer_fn, repeats=5):
    """Median CPU time of a few calls, after one warm-up call. CPU time, unlike wall time, does
    not count the moments other programs had the processor; with one thread, all the work runs
    in this thread."""
    layer_fn(image)
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        layer_fn(image)
        times.append(time.thread_time() - start)
    return statistics.median(times)


seconds_2d = cpu_seconds(full)
seconds_separable = cpu_seconds(lambda x: along_rows(down_rows(x)))
# The time depends on the machine and on the implementation PyTorch picks for each kernel
# shape, so the speed-up need not equal k^2 / 2k: it is measured, not asserted.
speedup = seconds_2d / seconds_separable
milliseconds_2d, milliseconds_separable = 1e3 * seconds_2d, 1e3 * seconds_separable
print(
    f"{image_size} x {image_size} image, 1 thread: 2-D {1e3 * seconds_2d:.1f} ms, "
    f"separable {1e3 * seconds_separable:.1f} ms ({speedup:.1f}x faster)"
)

# %%
# The count for a few widths, as a Markdown table for the page.
rows = [f"| {w} | {w * w} | {2 * w} | {w * w / (2 * w):.1f}x |" for w in (3, 5, 9, 17, 33)]
header = ["| k | one k x k pass | two 1-D passes | saving |", "|---:|---:|---:|---:|"]
cost_table = "\n".join(header + rows)
print(cost_table)
