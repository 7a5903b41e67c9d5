"""Five ways to compute the same convolution layer on a CPU, timed over kernel sizes 3 to 31:
direct loops, im2col + one matrix product, the FFT, and PyTorch's ``F.conv2d``, once as it comes
and once with oneDNN (the library it hands most CPU convolutions to) switched off. Each time is
the median CPU time of a few calls on one thread, and the run is kept short: a method that gets
slow is not timed at larger kernels. The numbers depend on the machine that ran the snippet; the
figure says which one.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import os
import platform
import sys
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.fft
import skimage.data
import torch
import torch.nn.functional as F

torch.set_num_threads(1)  # one thread: comparable times, and CPU time = the work done
torch.manual_seed(0)

# One grey photo, 96x96 (the camera man at a quarter of his size), and a layer of 8 filters
# with "same" padding
image_size = 96
image = skimage.data.camera()[::4, ::4][16 : 16 + image_size, 16 : 16 + image_size] / 255.0
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


def conv2d_without_onednn(x, w):
    """The same call with oneDNN switched off: PyTorch then runs its own im2col code."""
    torch.backends.mkldnn.enabled = False
    try:
        return conv2d(x, w)
    finally:
        torch.backends.mkldnn.enabled = True


shortest_sample_ms = 10  # some systems advance a thread's CPU clock only every few ms


def cpu_ms(method, x, w, repeats=9, budget_ms=20):
    """CPU time of one call, in ms, from `repeats` samples, or 3 once they have used `budget_ms`.
    CPU time, unlike wall time, does not count the moments other programs had the processor.
    With one thread all the work runs in this thread, and its clock is the precise one. Some
    systems advance that clock only every few ms, so a sample times as many calls as it takes
    to last `shortest_sample_ms`."""
    times, calls, used = [], 1, 0.0
    while len(times) < 3 or (len(times) < repeats and used < budget_ms):
        start = time.thread_time()
        for _ in range(calls):
            method(x, w)
        elapsed = 1000 * (time.thread_time() - start)
        used += elapsed
        if elapsed < shortest_sample_ms:  # too short for a coarse clock: time more calls at once
            calls *= 2
            continue
        times.append(elapsed / calls)
    return np.array(times)


def onednn_log(method, x, w):
    """One call with oneDNN's verbose log on: the output, and the convolution implementations
    oneDNN reports having run (an empty list if the call never reached oneDNN)."""
    if not torch.backends.mkldnn.is_available():
        return method(x, w), []
    with tempfile.TemporaryFile() as log:
        sys.stdout.flush()
        saved_stdout = os.dup(1)
        os.dup2(log.fileno(), 1)  # oneDNN prints its log to the process's standard output
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                out = method(x, w)
        finally:
            os.dup2(saved_stdout, 1)
            os.close(saved_stdout)
        log.seek(0)
        lines = [line.split(",") for line in log.read().decode().splitlines()]
    ran = [f[f.index("convolution") + 1] for f in lines if "exec" in f and "convolution" in f]
    return out, ran


# %%
methods = {
    "direct loops": direct,
    "im2col + matmul": im2col,
    "FFT": fft,
    "F.conv2d": conv2d,
    "F.conv2d, oneDNN off": conv2d_without_onednn,
}
kernel_sizes = list(range(3, 32, 4))
largest_kernel = kernel_sizes[-1]
direct_max_kernel = 15  # direct loops cost k*k image passes: only small kernels
retire_ms = 100  # a method slower than this is not timed at larger kernels: keeps the run short
timings = {name: [] for name in methods}  # median per kernel size, NaN where not timed
spread = {name: [] for name in methods}  # (fastest, slowest) call
onednn_ran = []  # what oneDNN ran for F.conv2d at each kernel size (None: not timed)
repeats = []
retired = set()
for k in kernel_sizes:
    w = torch.randn(filters, 1, k, k) / k
    reference = conv2d(x.double(), w.double())
    onednn_ran.append(None)
    for name, method in methods.items():
        if name in retired or (name == "direct loops" and k > direct_max_kernel):
            timings[name].append(float("nan"))
            spread[name].append((float("nan"), float("nan")))
            continue
        # The first call checks the result, warms up, and records what oneDNN ran.
        out, ran = onednn_log(method, x, w)
        # all five compute the same thing (up to float32 rounding)
        assert torch.allclose(out.double(), reference, atol=1e-4), (name, k)
        if name == "F.conv2d, oneDNN off":
            assert not ran, ran  # switched off means switched off
        if name == "F.conv2d":
            onednn_ran[-1] = ran
        times = cpu_ms(method, x, w)
        timings[name].append(np.median(times))
        spread[name].append((times.min(), times.max()))
        repeats.append(len(times))
        if timings[name][-1] > retire_ms:
            retired.add(name)

# %%
threads = torch.get_num_threads()
machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
fastest = [
    min(methods, key=lambda m, i=i: np.nan_to_num(timings[m][i], nan=np.inf))
    for i in range(len(kernel_sizes))
]


def implementation(ran):
    """How the table names what oneDNN ran for one F.conv2d call."""
    if ran is None:
        return "not timed"
    return ", ".join(f"`{name}`" for name in ran) or "none (PyTorch's own)"


timing_table = "| kernel | " + " | ".join(methods) + " | fastest | oneDNN ran (F.conv2d) |\n"
timing_table += "|--:|" + "--:|" * len(methods) + "---|---|\n"
for i, k in enumerate(kernel_sizes):
    cells = [f"{timings[m][i]:.2f}" if not np.isnan(timings[m][i]) else "–" for m in methods]
    timing_table += f"| {k}x{k} | " + " | ".join(cells) + f" | {fastest[i]} | "
    timing_table += implementation(onednn_ran[i]) + " |\n"
timing_setup = (
    f"a {image_size}x{image_size} grey image, {filters} filters, CPU time per call, median of "
    f"{min(repeats)} to {max(repeats)} calls, {threads} thread{'s' * (threads > 1)}, {machine}, "
    f"PyTorch {torch.__version__}"
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

# F.conv2d's steepest step from one kernel size to the next, and how it compares there
conv = np.array(timings["F.conv2d"])
steps = conv[1:] / conv[:-1]  # NaN once F.conv2d was no longer timed
jump = int(np.nanargmax(steps)) + 1
conv2d_jump_from, conv2d_jump_to = kernel_sizes[jump - 1], kernel_sizes[jump]
conv2d_jump_factor = float(steps[jump - 1])
conv2d_over_im2col_at_jump = conv[jump] / timings["im2col + matmul"][jump]
conv2d_over_no_onednn_at_jump = conv[jump] / timings["F.conv2d, oneDNN off"][jump]
others_at_31 = [timings[m][-1] for m in methods if m != "FFT" and not np.isnan(timings[m][-1])]
fft_speedup_at_31 = min(others_at_31) / timings["FFT"][-1]  # > 1: the FFT was fastest
im2col_megabytes_at_31 = x.numel() * largest_kernel**2 * 4 / 1e6  # float32 patch matrix
print(timing_setup)
print(timing_table)
print("fastest:", timing_winners)

# %%
fig, ax = plt.subplots(figsize=(4.95, 4.1), layout="constrained")
for (name, ms), marker in zip(timings.items(), "osd^v", strict=True):
    line = ax.plot(kernel_sizes, ms, marker=marker, label=name)[0]
    low, high = np.array(spread[name]).T
    ax.fill_between(kernel_sizes, low, high, color=line.get_color(), alpha=0.2, lw=0)
ax.annotate(  # what F.conv2d ran where its time jumped
    ", ".join(onednn_ran[jump]) or "PyTorch's own code",
    (conv2d_jump_to, conv[jump]),
    xytext=(8, -4),
    textcoords="offset points",
    fontsize=9,
)
ax.set_yscale("log")
ax.set_xticks(kernel_sizes)
ax.set_xlabel("kernel size k (k x k)")
ax.set_ylabel("CPU time per call (ms)")
ax.set_title(
    f"{image_size}x{image_size} image, {filters} filters\n"
    f"median (line) and range (band) of {min(repeats)}-{max(repeats)} calls\n"
    f"{threads} thread{'s' * (threads > 1)}, {machine}, PyTorch {torch.__version__}",
    fontsize=9,
)
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=9, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.17))  # below
plt.show()
