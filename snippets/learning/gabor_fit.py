"""Fit a 2-D Gabor function to a square kernel by least squares and score the fit with R².

Used by this chapter's snippets to ask "does this learned filter look like a Gabor?" with a
number instead of by eye. Run it as a script to see a fit recover a known Gabor.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6
"""

# %%
from dataclasses import dataclass
from functools import cache

import numpy as np

# The names of gabor()'s parameters, in order
PARAMETERS = ("amplitude", "x0", "y0", "theta", "sigma_x", "sigma_y", "frequency", "phase")
PARAMETERS += ("offset",)


@cache
def _pixels(size):
    """Row and column index of every pixel of a size x size kernel."""
    return np.mgrid[:size, :size].astype(float)


def _grid(size, x0, y0, theta):
    """Coordinates along and across the wave; parameters may be arrays (one Gabor per entry)."""
    y, x = _pixels(size)
    x0, y0, theta = (np.asarray(v, dtype=float)[..., None, None] for v in (x0, y0, theta))
    along = (x - x0) * np.cos(theta) + (y - y0) * np.sin(theta)
    across = -(x - x0) * np.sin(theta) + (y - y0) * np.cos(theta)
    return along, across


def gabor(size, amplitude, x0, y0, theta, sigma_x, sigma_y, frequency, phase, offset=0.0):
    """A size x size Gabor: a cosine wave along direction theta under a Gaussian envelope.

    (x0, y0) is the centre in pixels (x = column, y = row), frequency is in cycles per pixel,
    sigma_x is the envelope's width along the wave (across the stripes), sigma_y along the stripes.
    Given arrays of parameters of length M instead of numbers, it returns M Gabors (M, size, size).
    """
    along, across = _grid(size, x0, y0, theta)
    a, s_x, s_y, f, phi, c = (
        np.asarray(v, dtype=float)[..., None, None]
        for v in (amplitude, sigma_x, sigma_y, frequency, phase, offset)
    )
    envelope = np.exp(-(along**2) / (2 * s_x**2) - across**2 / (2 * s_y**2))
    return a * envelope * np.cos(2 * np.pi * f * along + phi) + c


def _jacobian(p, size):
    """Derivatives of gabor() with respect to its parameters: one column per parameter.

    p is one parameter vector (9,) or a stack of them (M, 9); the result is (size², 9) or
    (M, size², 9).
    """
    p = np.asarray(p, dtype=float)
    amplitude, x0, y0, theta, sigma_x, sigma_y, frequency, phase, _ = (
        v[..., None, None] for v in np.moveaxis(p, -1, 0)
    )
    u, v = _grid(size, x0[..., 0, 0], y0[..., 0, 0], theta[..., 0, 0])
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
    return np.stack([col.reshape(*p.shape[:-1], -1) for col in columns], axis=-1)


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


def _bounds(n):
    """Centre inside the kernel, envelope between half a pixel and the kernel's width, and a
    frequency no higher than the grid can show (0.5 cycles per pixel)."""
    lower = np.array([-np.inf, -0.5, -0.5, -np.inf, 0.5, 0.5, 0, -np.inf, -np.inf])
    upper = np.array([np.inf, n - 0.5, n - 0.5, np.inf, n, n, 0.5, np.inf, np.inf])
    return lower, upper


def _least_squares(p, targets, size, max_steps=300):
    """Levenberg-Marquardt for many fits at once: row m of p (M, 9) is moved to make
    gabor(size, *p[m]) match targets[m] (size² values); returns the parameters and the squared
    errors. A parameter that sits on a bound and would be pushed out of it is held there."""
    lower, upper = _bounds(size)
    p = np.clip(p, lower, np.nextafter(upper, -np.inf))
    residual = gabor(size, *p.T).reshape(len(p), -1) - targets
    error = np.sum(residual**2, axis=1)
    damping = np.ones(len(p))  # start cautious: short, gradient-like steps
    running = np.ones(len(p), dtype=bool)
    for _ in range(max_steps):
        m = np.flatnonzero(running)
        if len(m) == 0:
            break
        jac = _jacobian(p[m], size)  # (len(m), size², 9)
        gradient = np.einsum("mrk,mr->mk", jac, residual[m])
        curvature = jac.transpose(0, 2, 1) @ jac  # the Gauss-Newton approximation of the Hessian
        held = ((p[m] <= lower) & (gradient > 0)) | ((p[m] >= upper) & (gradient < 0))
        scale = np.einsum("mkk->mk", curvature)
        scale = np.maximum(scale, 1e-9 * scale.max(axis=1, keepdims=True) + 1e-300)
        system = curvature + (damping[m, None] * scale)[:, :, None] * np.eye(9)
        free = ~held
        system = np.where(free[:, :, None] & free[:, None, :], system, np.eye(9))
        step = np.linalg.solve(system, np.where(free, -gradient, 0)[..., None])[..., 0]
        trial = np.clip(p[m] + step, lower, upper)
        trial_residual = gabor(size, *trial.T).reshape(len(m), -1) - targets[m]
        trial_error = np.sum(trial_residual**2, axis=1)
        better = trial_error < error[m]
        gain = np.where(better, error[m] - trial_error, 0)
        accepted = m[better]
        p[accepted], residual[accepted] = trial[better], trial_residual[better]
        error[accepted] = trial_error[better]
        damping[m] = np.where(better, damping[m] / 3, damping[m] * 4)
        # a fit stops when a step improves it very little (in the error or in the parameters),
        # or when no step is accepted any more
        small_step = np.linalg.norm(step, axis=1) <= 1e-6 * (np.linalg.norm(p[m], axis=1) + 1e-6)
        finished = better & ((gain <= 1e-6 * (error[m] + gain)) | small_step)
        finished |= (damping[m] > 1e12) | (error[m] <= 1e-24 * np.sum(targets[m] ** 2, axis=1))
        running[m[finished]] = False
    return p, error


def _normalise(params):
    """One Gabor has several parameter sets: keep amplitude >= 0, theta in [0, pi),
    phase in (-pi, pi]."""
    if params["amplitude"] < 0:
        params["amplitude"], params["phase"] = -params["amplitude"], params["phase"] + np.pi
    turns = np.floor(params["theta"] / np.pi)
    params["theta"] = float(params["theta"] - turns * np.pi)
    if params["theta"] >= np.pi:  # a theta a hair below 0 rounds to pi: that is 0
        params["theta"], turns = params["theta"] - np.pi, turns + 1
    if turns % 2:  # turning the wave by pi mirrors its phase
        params["phase"] = -params["phase"]
    params["phase"] = float(np.angle(np.exp(1j * params["phase"])))
    return params


def fit_gabors(kernels) -> list[GaborFit]:
    """Least-squares fits of gabor() to many square 2-D kernels of one size, all at once.

    Each kernel must be >= 3 x 3, finite and not constant. Every kernel is fitted from the two
    starting points read off it, and the better of the two fits is kept.
    """
    kernels = [_check(kernel) for kernel in kernels]
    if len({kernel.shape for kernel in kernels}) > 1:
        raise ValueError("all kernels must have the same size")
    if not kernels:
        return []
    n = kernels[0].shape[0]
    starts = np.array([start for kernel in kernels for start in _starting_points(kernel)])
    targets = np.repeat(np.array(kernels).reshape(len(kernels), -1), 2, axis=0)
    p, error = _least_squares(starts, targets, n)
    fits = []
    for i, kernel in enumerate(kernels):
        best = 2 * i + np.argmin(error[2 * i : 2 * i + 2])
        params = _normalise(dict(zip(PARAMETERS, p[best].tolist(), strict=True)))
        fitted = gabor(n, **params)
        r2 = 1 - np.sum((kernel - fitted) ** 2) / np.sum((kernel - kernel.mean()) ** 2)
        fits.append(GaborFit(params, float(r2), fitted))
    return fits


def fit_per_seed(kernels) -> tuple[list[GaborFit], np.ndarray]:
    """Gabor fits of a (seeds, kernels, size, size) stack: the fits, seed after seed, and R² as
    a (seeds, kernels) array."""
    kernels = np.asarray(kernels)
    fits = fit_gabors(kernels.reshape(-1, *kernels.shape[2:]))
    return fits, np.array([fit.r2 for fit in fits]).reshape(kernels.shape[:2])


def fit_gabor(kernel) -> GaborFit:
    """Least-squares fit of gabor() to one square 2-D kernel (>= 3 x 3, finite, not constant)."""
    return fit_gabors([kernel])[0]


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
    # fixed margins: tight_layout would measure all the little axes, which is slow
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.01, top=0.96, wspace=0.1, hspace=0.35)
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


def fraction_at_least(r2, thresholds):
    """The fraction of R² values >= each threshold. r2 is (kernels,) or (seeds, kernels); the
    result is (thresholds,) or (seeds, thresholds)."""
    r2, thresholds = np.asarray(r2), np.asarray(thresholds)
    return np.mean(r2[..., :, None] >= thresholds, axis=-2)


def plot_fraction_curves(r2_by_label, threshold):
    """Figure: the fraction of kernels a Gabor fits with R² >= t, for every cut-off t.

    A 2-D entry of ``r2_by_label`` (seeds, kernels) is drawn as its mean over seeds with a band
    from the lowest to the highest seed.
    """
    import matplotlib.pyplot as plt

    thresholds = np.arange(101) / 100  # 0, 0.01, ..., 1 (0.8 exactly, as in the text)
    fig, ax = plt.subplots(figsize=(6, 3))
    for label, r2 in r2_by_label.items():
        fraction = fraction_at_least(r2, thresholds)
        if fraction.ndim == 2:
            ax.fill_between(thresholds, fraction.min(0), fraction.max(0), alpha=0.25)
            label = f"{label} (mean, band: all {len(fraction)} seeds)"
            fraction = fraction.mean(0)
        ax.plot(thresholds, fraction, label=label)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel("cut-off t on the R² of the Gabor fit")
    ax.set_ylabel("fraction with R² ≥ t")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
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
