"""The formulas of this chapter written as plain loops, so each can be read next to its equation.

Other snippets of the chapter import it (`from conv_by_hand import output_size`). Run on its own,
it checks every function against NumPy, SciPy and PyTorch.

Needs: pip install numpy==2.4.6 scipy==1.17.1 torch==2.13.0
"""

# %%
import numpy as np


def convolve1d(f, h):
    """Full 1-D convolution: g[n] = sum_k f[k] h[n - k], for n = 0 .. len(f) + len(h) - 2."""
    f, h = np.asarray(f, dtype=float), np.asarray(h, dtype=float)
    if f.ndim != 1 or h.ndim != 1 or f.size == 0 or h.size == 0:
        raise ValueError("convolve1d expects two non-empty 1-D arrays")
    g = np.zeros(f.size + h.size - 1)
    for n in range(g.size):
        for k in range(f.size):
            if 0 <= n - k < h.size:  # h is zero outside its support
                g[n] += f[k] * h[n - k]
    return g


def convolve2d(f, h):
    """Full 2-D convolution: g[i, j] = sum_m sum_n f[m, n] h[i - m, j - n]."""
    f, h = _two_d(f, "f"), _two_d(h, "h")
    g = np.zeros((f.shape[0] + h.shape[0] - 1, f.shape[1] + h.shape[1] - 1))
    for m in range(f.shape[0]):
        for n in range(f.shape[1]):
            # input pixel (m, n) adds a copy of the kernel, scaled by f[m, n], at offset (m, n)
            g[m : m + h.shape[0], n : n + h.shape[1]] += f[m, n] * h
    return g


def correlate2d(f, h):
    """'Valid' 2-D cross-correlation: g[i, j] = sum_m sum_n f[i + m, j + n] h[m, n]."""
    f, h = _two_d(f, "f"), _two_d(h, "h")
    rows, cols = f.shape[0] - h.shape[0] + 1, f.shape[1] - h.shape[1] + 1
    if rows < 1 or cols < 1:
        raise ValueError(f"kernel {h.shape} is larger than the input {f.shape}")
    g = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            g[i, j] = np.sum(f[i : i + h.shape[0], j : j + h.shape[1]] * h)
    return g


def output_size(n, k, padding=0, stride=1, dilation=1):
    """Length of a convolution's output along one axis: floor((n + 2p - d(k - 1) - 1) / s) + 1."""
    _check_sizes(n=n, k=k, stride=stride, dilation=dilation)
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    size = (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    if size < 1:
        raise ValueError(
            f"a kernel spanning {dilation * (k - 1) + 1} does not fit in {n} + 2*{padding}"
        )
    return size


def transposed_output_size(n, k, padding=0, stride=1, dilation=1, output_padding=0):
    """Output length of a transposed convolution: (n - 1)s - 2p + d(k - 1) + output_padding + 1."""
    _check_sizes(n=n, k=k, stride=stride, dilation=dilation)
    if not 0 <= output_padding < max(stride, dilation):
        raise ValueError("output_padding must be >= 0 and smaller than stride or dilation")
    size = (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    if size < 1:
        raise ValueError(f"padding {padding} removes the whole output")
    return size


def conv2d_layer(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """What a convolutional layer computes for one image x of shape (C_in, H, W):

    g[o] = b[o] + sum over the input channels c of its group of (f[c] cross-correlated with
    weight[o, c]), with zero padding, stride and dilation. weight: (C_out, C_in / groups, kH, kW).
    """
    x, weight = np.asarray(x, dtype=float), np.asarray(weight, dtype=float)
    if x.ndim != 3 or weight.ndim != 4:
        raise ValueError("x must be (C_in, H, W) and weight (C_out, C_in / groups, kH, kW)")
    c_in, c_out, k_h, k_w = x.shape[0], weight.shape[0], weight.shape[2], weight.shape[3]
    if c_in % groups or c_out % groups or weight.shape[1] != c_in // groups:
        raise ValueError(
            f"{c_in} input and {c_out} output channels do not split into {groups} groups"
        )
    rows = output_size(x.shape[1], k_h, padding, stride, dilation)
    cols = output_size(x.shape[2], k_w, padding, stride, dilation)
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    g = np.zeros((c_out, rows, cols))
    for o in range(c_out):
        group = o // (c_out // groups)  # output channel o reads only the channels of its group
        channels = slice(group * weight.shape[1], (group + 1) * weight.shape[1])
        for i in range(rows):
            for j in range(cols):
                top, left = i * stride, j * stride
                patch = padded[
                    channels,
                    top : top + dilation * (k_h - 1) + 1 : dilation,
                    left : left + dilation * (k_w - 1) + 1 : dilation,
                ]
                g[o, i, j] = np.sum(patch * weight[o])
        if bias is not None:
            g[o] += bias[o]
    return g


def _two_d(a, name):
    a = np.asarray(a, dtype=float)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array, got shape {a.shape}")
    return a


def _check_sizes(**sizes):
    for name, value in sizes.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value}")


# %%
if __name__ == "__main__":
    import torch
    import torch.nn.functional as F
    from scipy import signal

    rng = np.random.default_rng(0)
    f, h = rng.normal(size=(12, 10)), rng.normal(size=(3, 4))

    assert np.allclose(convolve1d([1, 2, 3], [0, 1, 0.5]), np.convolve([1, 2, 3], [0, 1, 0.5]))
    assert np.allclose(convolve2d(f, h), signal.convolve2d(f, h, mode="full"))
    assert np.allclose(correlate2d(f, h), signal.correlate2d(f, h, mode="valid"))

    # A whole layer: 3 input channels, 4 output channels, stride 2, padding 1, dilation 2.
    x, weight, bias = rng.normal(size=(3, 9, 11)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    ours = conv2d_layer(x, weight, bias, stride=2, padding=1, dilation=2)
    theirs = F.conv2d(
        torch.tensor(x)[None],
        torch.tensor(weight),
        torch.tensor(bias),
        stride=2,
        padding=1,
        dilation=2,
    )[0].numpy()
    layer_max_error = float(np.abs(ours - theirs).max())
    assert (
        ours.shape == theirs.shape == (4, output_size(9, 3, 1, 2, 2), output_size(11, 3, 1, 2, 2))
    )
    assert layer_max_error < 1e-12
    print(f"conv2d_layer vs torch: output {ours.shape}, max difference {layer_max_error:.1e}")
