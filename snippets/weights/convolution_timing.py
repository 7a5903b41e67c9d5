"""Four ways to compute the same convolution layer on a CPU, timed over kernel sizes 3 to 31:
direct loops, im2col + one matrix product, the FFT, and PyTorch's ``F.conv2d``. Timings are
medians over repeats and change from machine to machine and run to run; the figure says where
and how they were measured.
"""

# %%
import os
import platform
import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.fft
import skimage.data
import torch
import torch.nn.functional as F

torch.manual_seed(0)

# One grey photo, 192x192, and a layer of 8 filters with "same" padding
image = skimage.data.camera()[::2, ::2][32:224, 32:224] / 255.0
x = torch.tensor(image, dtype=torch.float32)[None, None]
filters = 8


def direct(x, w):
    """Shift and add: one multiply-add of the whole image per kernel entry."""
    k = w.shape[-1]
    xp = F.pad(x, (k // 2,) * 4)
    h, wd = x.shape[-2:]
    out = torch.zeros(x.shape[0], w.shape[0], h, wd)
    for i in range(k):
        for j in range(k):
            out += torch.einsum("oc,nchw->nohw", w[:, :, i, j], xp[:, :, i : i + h, j : j + wd])
    return out


def im2col(x, w):
    """Copy every k x k patch into a column, then one matrix product."""
    k = w.shape[-1]
    columns = F.unfold(x, k, padding=k // 2)  # (n, c_in * k * k, h * w)
    return (w.reshape(w.shape[0], -1) @ columns).reshape(x.shape[0], w.shape[0], *x.shape[-2:])


def fft(x, w):
    """Convolution theorem: multiply spectra. Flipping the kernel turns it into correlation."""
    k = w.shape[-1]
    h, wd = x.shape[-2:]
    # pad to a length with only small prime factors: FFTs of such lengths are fastest
    size = [scipy.fft.next_fast_len(n + k - 1, real=True) for n in (h, wd)]
    spectrum_x = torch.fft.rfft2(x, s=size)
    spectrum_w = torch.fft.rfft2(w.flip(-2, -1), s=size)
    product = torch.einsum("nchw,ochw->nohw", spectrum_x, spectrum_w)
    full = torch.fft.irfft2(product, s=size)
    return full[..., k // 2 : k // 2 + h, k // 2 : k // 2 + wd]


def conv2d(x, w):
    return F.conv2d(x, w, padding=w.shape[-1] // 2)


def time_ms(method, x, w, budget=0.1, max_repeats=15):
    """Wall times of single calls, in ms: at least 3 calls, more while within the budget."""
    times = []
    while len(times) < 3 or (sum(times) < 1000 * budget and len(times) < max_repeats):
        start = time.perf_counter()
        method(x, w)
        times.append(1000 * (time.perf_counter() - start))
    return np.array(times)


# %%
methods = {
    "direct loops": direct,
    "im2col + matmul": im2col,
    "FFT": fft,
    "F.conv2d": conv2d,
}
kernel_sizes = list(range(3, 32, 4))
direct_max_kernel = 15  # direct loops cost k*k image passes: only small kernels
timings = {name: [] for name in methods}  # median per kernel size
spread = {name: [] for name in methods}  # (fastest, slowest) call
repeats = []
for k in kernel_sizes:
    w = torch.randn(filters, 1, k, k) / k
    reference = conv2d(x, w)
    for name, method in methods.items():
        if name == "direct loops" and k > direct_max_kernel:
            timings[name].append(float("nan"))
            spread[name].append((float("nan"), float("nan")))
            continue
        # all four compute the same thing (float32 rounding differs); this call also warms up
        assert torch.allclose(method(x, w), reference, atol=1e-4), (name, k)
        times = time_ms(method, x, w)
        timings[name].append(float(np.median(times)))
        spread[name].append((times.min(), times.max()))
        repeats.append(len(times))

# %%
threads = torch.get_num_threads()
machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
fastest = [
    min(methods, key=lambda m, i=i: np.nan_to_num(timings[m][i], nan=np.inf))
    for i in range(len(kernel_sizes))
]
timing_table = "| kernel | " + " | ".join(methods) + " | fastest |\n"
timing_table += "|--:|" + "--:|" * len(methods) + "---|\n"
for i, k in enumerate(kernel_sizes):
    cells = [f"{timings[m][i]:.2f}" if not np.isnan(timings[m][i]) else "–" for m in methods]
    timing_table += f"| {k}x{k} | " + " | ".join(cells) + f" | {fastest[i]} |\n"
timing_setup = (
    f"a 192x192 grey image, {filters} filters, median of {min(repeats)} to {max(repeats)} calls, "
    f"{threads} thread{'s' * (threads > 1)}, {machine}, PyTorch {torch.__version__}"
)

# Which method won, as runs of consecutive kernel sizes
runs = []
for k, name in zip(kernel_sizes, fastest, strict=True):
    if runs and runs[-1][0] == name:
        runs[-1][2] = k
    else:
        runs.append([name, k, k])
timing_winners = "; ".join(
    f"{name} at {a}x{a}" if a == b else f"{name} from {a}x{a} to {b}x{b}" for name, a, b in runs
)
fft_speedup_at_31 = timings["F.conv2d"][-1] / timings["FFT"][-1]  # > 1: the FFT was faster
im2col_speedup_at_31 = timings["F.conv2d"][-1] / timings["im2col + matmul"][-1]
im2col_megabytes_at_31 = x.numel() * 31 * 31 * 4 / 1e6  # float32 patch matrix
print(timing_setup)
print(timing_table)
print("fastest:", timing_winners)

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for (name, ms), marker in zip(timings.items(), "osd^", strict=True):
    line = ax.plot(kernel_sizes, ms, marker=marker, label=name)[0]
    low, high = np.array(spread[name]).T
    ax.fill_between(kernel_sizes, low, high, color=line.get_color(), alpha=0.2, lw=0)
ax.set_yscale("log")
ax.set_xticks(kernel_sizes)
ax.set_xlabel("kernel size k (k x k)")
ax.set_ylabel("time per call (ms)")
ax.set_title(
    f"192x192 image, {filters} filters; median (line) and range (band) of {min(repeats)}-"
    f"{max(repeats)} calls\n{threads} thread{'s' * (threads > 1)}, {machine}, "
    f"PyTorch {torch.__version__}",
    fontsize=9,
)
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
plt.show()
