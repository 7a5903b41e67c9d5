"""Fit a 2-D Gabor function to a square kernel by least squares and score the fit with R².

Used by this chapter's snippets to ask "does this learned filter look like a Gabor?" with a
number instead of by eye. Run it as a script to see a fit recover a known Gabor.
"""

# %%
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

# The names of gabor()'s parameters, in order
PARAMETERS = ("amplitude", "x0", "y0", "theta", "sigma_x", "sigma_y", "frequency", "phase")
PARAMETERS += ("offset",)


def _grid(size, x0, y0, theta):
    y, x = np.mgrid[:size, :size].astype(float)
    along = (x - x0) * np.cos(theta) + (y - y0) * np.sin(theta)
    across = -(x - x0) * np.sin(theta) + (y - y0) * np.cos(theta)
    return along, across


def gabor(size, amplitude, x0, y0, theta, sigma_x, sigma_y, frequency, phase, offset=0.0):
    """A size x size Gabor: a cosine wave along direction theta under a Gaussian envelope.

    (x0, y0) is the centre in pixels (x = column, y = row), frequency is in cycles per pixel,
    sigma_x is the envelope's width along the wave (across the stripes), sigma_y along the stripes.
    """
    along, across = _grid(size, x0, y0, theta)
    envelope = np.exp(-(along**2) / (2 * sigma_x**2) - across**2 / (2 * sigma_y**2))
    return amplitude * envelope * np.cos(2 * np.pi * frequency * along + phase) + offset


def _jacobian(p, size):
    """Derivatives of gabor() with respect to its parameters: one column per parameter."""
    amplitude, x0, y0, theta, sigma_x, sigma_y, frequency, phase, _ = p
    u, v = _grid(size, x0, y0, theta)
    envelope = np.exp(-(u**2) / (2 * sigma_x**2) - v**2 / (2 * sigma_y**2))
    cos = np.cos(2 * np.pi * frequency * u + phase)
    sin = np.sin(2 * np.pi * frequency * u + phase)
    d_u = amplitude * envelope * (-u / sigma_x**2 * cos - 2 * np.pi * frequency * sin)
    d_v = amplitude * envelope * (-v / sigma_y**2 * cos)
    c, s = np.cos(theta), np.sin(theta)
    columns = [
        envelope * cos,  # amplitude
        -c * d_u + s * d_v,  # x0
        -s * d_u - c * d_v,  # y0
        v * d_u - u * d_v,  # theta
        amplitude * envelope * cos * u**2 / sigma_x**3,  # sigma_x
        amplitude * envelope * cos * v**2 / sigma_y**3,  # sigma_y
        -amplitude * envelope * sin * 2 * np.pi * u,  # frequency
        -amplitude * envelope * sin,  # phase
        np.ones_like(u),  # offset
    ]
    return np.stack([col.ravel() for col in columns], axis=1)


@dataclass
class GaborFit:
    params: dict  # the fitted PARAMETERS, theta in [0, pi), phase in (-pi, pi]
    r2: float  # fraction of the kernel's variance the Gabor explains
    fitted: np.ndarray  # the fitted Gabor, same shape as the kernel


def _check(kernel) -> np.ndarray:
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be a 2-D array, got shape {kernel.shape}")
    if kernel.size == 0:
        raise ValueError("kernel is empty")
    if kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"kernel must be square, got shape {kernel.shape}")
    if kernel.shape[0] < 3:
        raise ValueError(f"kernel must be at least 3 x 3, got {kernel.shape}")
    if not np.all(np.isfinite(kernel)):
        raise ValueError("kernel contains NaN or infinite values")
    if np.ptp(kernel) == 0:
        raise ValueError("kernel is constant, so R² is undefined")
    return kernel


def _starting_points(kernel):
    """Guesses from the kernel: the peak of its spectrum, the centre and spread of its energy."""
    n = kernel.shape[0]
    centred = kernel - kernel.mean()
    spectrum = np.abs(np.fft.rfft2(centred, s=(4 * n, 4 * n)))  # zero-padded: finer frequency grid
    row, col = np.unravel_index(np.argmax(spectrum), spectrum.shape)
    fy, fx = np.fft.fftfreq(4 * n)[row], np.fft.rfftfreq(4 * n)[col]
    energy = centred**2 / np.sum(centred**2)
    y, x = np.mgrid[:n, :n]
    x0, y0 = np.sum(energy * x), np.sum(energy * y)
    spread = np.sqrt(np.sum(energy * ((x - x0) ** 2 + (y - y0) ** 2)) / 2)
    theta, frequency = np.arctan2(fy, fx), np.hypot(fx, fy)
    amplitude = np.abs(centred).max()
    sigma = max(spread, 1.0)
    for phase in (0, np.pi / 2):  # even and odd; the amplitude's sign covers the other two
        yield [amplitude, x0, y0, theta, sigma, sigma, frequency, phase, kernel.mean()]


def fit_gabor(kernel) -> GaborFit:
    """Least-squares fit of gabor() to a square 2-D kernel (>= 3 x 3, finite, not constant)."""
    kernel = _check(kernel)
    n = kernel.shape[0]
    lower = [-np.inf, -0.5, -0.5, -np.inf, 0.5, 0.5, 0, -np.inf, -np.inf]
    upper = [np.inf, n - 0.5, n - 0.5, np.inf, n, n, 0.5, np.inf, np.inf]
    best = None
    for start in _starting_points(kernel):
        result = least_squares(
            lambda p: (gabor(n, *p) - kernel).ravel(),
            np.clip(start, lower, np.nextafter(upper, -np.inf)),
            jac=lambda p: _jacobian(p, n),
            bounds=(lower, upper),
            ftol=1e-6,
            xtol=1e-6,
        )
        if best is None or result.cost < best.cost:
            best = result
    params = dict(zip(PARAMETERS, best.x.tolist(), strict=True))
    # One Gabor has several parameter sets: keep amplitude >= 0, theta in [0, pi),
    # phase in (-pi, pi].
    if params["amplitude"] < 0:
        params["amplitude"], params["phase"] = -params["amplitude"], params["phase"] + np.pi
    turns = np.floor(params["theta"] / np.pi)
    params["theta"] = float(params["theta"] - turns * np.pi)
    if turns % 2:  # turning the wave by pi mirrors its phase
        params["phase"] = -params["phase"]
    params["phase"] = float(np.angle(np.exp(1j * params["phase"])))
    fitted = gabor(n, **params)
    r2 = 1 - np.sum((kernel - fitted) ** 2) / np.sum((kernel - kernel.mean()) ** 2)
    return GaborFit(params, float(r2), fitted)


def plot_fits(groups, columns=8):
    """Figure: each kernel above its fitted Gabor, titled with R².

    ``groups`` is a list of (row label, kernels, fits); each group fills whole rows of ``columns``.
    """
    import matplotlib.pyplot as plt

    rows = sum(2 * -(-len(kernels) // columns) for _, kernels, _ in groups)
    fig, axes = plt.subplots(rows, columns, figsize=(columns, 1.1 * rows))
    row = 0
    for label, kernels, fits in groups:
        for i, (kernel, fit) in enumerate(zip(kernels, fits, strict=True)):
            top = axes[row + 2 * (i // columns), i % columns]
            bottom = axes[row + 2 * (i // columns) + 1, i % columns]
            limit = np.abs(kernel).max()
            top.imshow(kernel, cmap="gray", vmin=-limit, vmax=limit, interpolation="none")
            bottom.imshow(fit.fitted, cmap="gray", vmin=-limit, vmax=limit, interpolation="none")
            top.set_title(f"R² {fit.r2:.2f}", fontsize=8)
        for r in range(row, row + 2 * -(-len(kernels) // columns), 2):
            axes[r, 0].set_ylabel(label, fontsize=8)
            axes[r + 1, 0].set_ylabel("Gabor fit", fontsize=8)
        row += 2 * -(-len(kernels) // columns)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_r2_histogram(r2_by_label, threshold):
    """Figure: histograms of fit quality R², with the threshold that counts as 'Gabor-like'."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.8))
    bins = np.linspace(0, 1, 21)
    for label, r2 in r2_by_label.items():
        ax.hist(r2, bins=bins, alpha=0.7, label=label)
    ax.axvline(threshold, color="black", linestyle="--", label=f"R² = {threshold}")
    ax.set_xlabel("R² of the Gabor fit")
    ax.set_ylabel("number of kernels")
    ax.legend()
    fig.tight_layout()
    return fig


# %% A fit recovers the parameters of a known Gabor; noise is fitted badly.
if __name__ == "__main__":
    true = dict(
        amplitude=1.0,
        x0=6.3,
        y0=5.8,
        theta=0.6,
        sigma_x=2.0,
        sigma_y=3.0,
        frequency=0.18,
        phase=0.5,
        offset=0.0,
    )
    fit = fit_gabor(gabor(13, **true))
    print({name: round(value, 3) for name, value in fit.params.items()})
    assert fit.r2 > 0.999
    assert all(abs(fit.params[name] - value) < 1e-3 for name, value in true.items())
    noise_r2 = fit_gabor(np.random.default_rng(0).standard_normal((13, 13))).r2
    print(f"R² on a Gabor: {fit.r2:.4f}, on white noise: {noise_r2:.2f}")
    assert noise_r2 < 0.5
