"""Builders for the classic hand-designed image kernels, and a frozen conv layer to apply them.

The snippets of the "Fixed, hand-designed kernels" chapter import this file
(`from kernels import gaussian, sobel, frozen_conv`); copy it next to them to run them.
Conventions: a kernel is a float64 tensor of odd size, indexed [row, column]; x grows to the
right (columns), y grows downwards (rows); PyTorch's conv2d computes a cross-correlation, so a
kernel is applied as written, without a flip.

Needs: pip install numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 torch==2.13.0
"""

import math
import os

import numpy as np
import torch
from PIL import Image
from skimage import data


def _check_sigma(sigma):
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")


def _check_radius(radius):
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 0:
        raise ValueError(f"radius must be an integer >= 0, got {radius!r}")


def _radius(sigma, radius, truncate=4.0):
    """The half-width: `radius` if given, else scipy.ndimage's rule round(truncate * sigma)."""
    _check_sigma(sigma)
    if radius is None:
        radius = int(truncate * sigma + 0.5)
    _check_radius(radius)
    return radius


def box(size):
    """The size x size mean filter: every weight 1 / size**2."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(f"box size must be a positive odd integer, got {size!r}")
    return torch.full((size, size), 1.0 / size**2, dtype=torch.float64)


def gaussian_1d(sigma, radius=None):
    """Sampled Gaussian on -radius..radius, normalised to sum 1 (scipy.ndimage's kernel)."""
    radius = _radius(sigma, radius)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-0.5 * x**2 / sigma**2)
    return g / g.sum()


def gaussian(sigma, radius=None):
    """2-D Gaussian of width 2 * radius + 1 (default radius: round(4 sigma)), summing to 1."""
    g = gaussian_1d(sigma, radius)
    return torch.outer(g, g)


def _derivative_pair(smooth):
    """(d/dx, d/dy): central difference [-1, 0, 1] times a smoothing vector across it."""
    diff = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)
    smooth = torch.tensor(smooth, dtype=torch.float64)
    d_dx = torch.outer(smooth, diff)  # changes along columns: responds to vertical edges
    return torch.stack([d_dx, d_dx.T])


def prewitt():
    """Prewitt's gradient kernels, shape (2, 3, 3): [d/dx, d/dy]."""
    return _derivative_pair([1.0, 1.0, 1.0])


def sobel():
    """Sobel's gradient kernels, shape (2, 3, 3): [d/dx, d/dy]."""
    return _derivative_pair([1.0, 2.0, 1.0])


def scharr():
    """Scharr's gradient kernels, shape (2, 3, 3): [d/dx, d/dy]."""
    return _derivative_pair([3.0, 10.0, 3.0])


def laplacian():
    """The 4-neighbour Laplacian (the kernel of scipy.ndimage.laplace)."""
    return torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)


def laplacian_of_gaussian(sigma, radius=None):
    """d2G/dx2 + d2G/dy2, built from sampled 1-D kernels as scipy.ndimage.gaussian_laplace does."""
    g = gaussian_1d(sigma, radius)
    r = (len(g) - 1) // 2
    x = torch.arange(-r, r + 1, dtype=torch.float64)
    g2 = g * (x**2 - sigma**2) / sigma**4  # second derivative of the sampled Gaussian
    return torch.outer(g2, g) + torch.outer(g, g2)


def difference_of_gaussians(sigma, ratio=1.6, radius=None):
    """G(ratio * sigma) - G(sigma) on one grid (default radius from the wider Gaussian)."""
    if not ratio > 1:
        raise ValueError(f"ratio must be > 1, got {ratio}")
    radius = _radius(ratio * sigma, radius)
    return gaussian(ratio * sigma, radius) - gaussian(sigma, radius)


def identity(size=3):
    """The kernel that leaves an image unchanged: 1 at the centre, 0 elsewhere."""
    kernel = torch.zeros_like(box(size))
    kernel[size // 2, size // 2] = 1.0
    return kernel


def sharpen():
    """Identity minus the 4-neighbour Laplacian: [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]."""
    return identity(3) - laplacian()


def unsharp_mask(sigma, amount=1.0, radius=None):
    """image + amount * (image - blurred) as one kernel: (1 + amount) * identity - amount * G."""
    blur = gaussian(sigma, radius)
    return (1.0 + amount) * identity(blur.shape[0]) - amount * blur


def emboss():
    """A diagonal relief kernel; its weights sum to 1, so flat areas keep their grey level."""
    return torch.tensor([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]], dtype=torch.float64)


def gabor_sigma(frequency, bandwidth=1.0):
    """Gaussian width giving a Gabor filter a bandwidth in octaves (skimage.filters' rule)."""
    if not frequency > 0 or not bandwidth > 0:
        raise ValueError(f"frequency and bandwidth must be positive, got {frequency}, {bandwidth}")
    b = 2.0**bandwidth
    return math.sqrt(math.log(2) / 2) / math.pi * (b + 1) / (b - 1) / frequency


def gabor(frequency, theta, sigma=None, radius=None):
    """Complex Gabor kernel: a Gaussian envelope times exp(i 2 pi frequency (x cos t + y sin t)).

    frequency in cycles per pixel; theta in radians from the x axis (y points down, so positive
    angles turn clockwise on screen); sigma defaults to a one-octave bandwidth; radius defaults
    to ceil(3 sigma). Same values as skimage.filters.gabor_kernel(frequency, theta) on its grid.
    """
    if not 0 < frequency <= 0.5:
        raise ValueError(f"frequency must be in (0, 0.5] cycles per pixel, got {frequency}")
    sigma = gabor_sigma(frequency) if sigma is None else sigma
    _check_sigma(sigma)
    radius = math.ceil(3 * sigma) if radius is None else radius
    _check_radius(radius)
    y, x = torch.meshgrid(
        torch.arange(-radius, radius + 1, dtype=torch.float64),
        torch.arange(-radius, radius + 1, dtype=torch.float64),
        indexing="ij",
    )
    along = x * math.cos(theta) + y * math.sin(theta)
    envelope = torch.exp(-0.5 * (x**2 + y**2) / sigma**2) / (2 * math.pi * sigma**2)
    return envelope * torch.exp(1j * 2 * math.pi * frequency * along)


def frozen_conv(kernels, padding_mode="reflect", dtype=torch.float32):
    """A bias-free nn.Conv2d (1 input channel) whose weights are `kernels`, frozen.

    kernels: one (kH, kW) kernel or a stack (n, kH, kW), real, odd sizes. The layer pads by
    half the kernel size, so the output has the input's height and width. float32 is what
    CNN layers use; pass dtype=torch.float64 (and a float64 image) for exact comparisons.
    """
    kernels = torch.as_tensor(kernels)
    if kernels.is_complex():
        raise ValueError("kernels must be real; apply the .real and .imag parts separately")
    if kernels.ndim == 2:
        kernels = kernels[None]
    if kernels.ndim != 3:
        shape = tuple(kernels.shape)
        raise ValueError(f"kernels must have shape (kH, kW) or (n, kH, kW), got {shape}")
    n, kh, kw = kernels.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"kernel height and width must be odd (a centre pixel), got {kh} x {kw}")
    conv = torch.nn.Conv2d(
        1,
        n,
        (kh, kw),
        padding=(kh // 2, kw // 2),
        padding_mode=padding_mode,
        bias=False,
        dtype=dtype,
    )
    with torch.no_grad():
        conv.weight.copy_(kernels[:, None])
    return conv.requires_grad_(False)


def photo(size=256, dtype=torch.float32):
    """skimage's 'camera' photo (512 x 512) as a (1, 1, size, size) tensor of values in [0, 1].

    Downscaled by averaging blocks of (512 // size) x (512 // size) pixels: a box blur, then
    subsampling.
    """
    if size not in (64, 128, 256, 512):
        raise ValueError(f"size must be 64, 128, 256 or 512, got {size!r}")
    # The same pixels as skimage.data.camera(), read directly: faster than loading skimage.io.
    image = np.asarray(Image.open(os.path.join(data.data_dir, "camera.png")), dtype=np.float64)
    image = image / 255.0
    f = 512 // size
    image = image.reshape(size, f, size, f).mean(axis=(1, 3))
    return torch.from_numpy(image).to(dtype)[None, None]


if __name__ == "__main__":
    # A quick self-check: sums, shapes, and a frozen layer that keeps the image size.
    assert abs(gaussian(2.0).sum().item() - 1.0) < 1e-12
    assert gaussian(2.0).shape == (17, 17)  # radius round(4 * 2) = 8
    assert sobel().shape == (2, 3, 3) and sobel().sum() == 0
    assert emboss().sum() == 1 and sharpen().sum() == 1
    image = photo(64)
    layer = frozen_conv(sobel())
    out = layer(image)
    assert out.shape == (1, 2, 64, 64)
    assert not any(p.requires_grad for p in layer.parameters())
    print("kernels.py: all checks passed")
