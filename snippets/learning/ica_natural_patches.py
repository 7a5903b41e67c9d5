"""Independent component analysis (ICA) of natural image patches gives localised, oriented
edge filters, as Bell & Sejnowski (1997) found.

FastICA unmixes 6,000 patches of 12 x 12 pixels, cut from five photos shipped with
scikit-image, into 64 filters; ten times, each seed with its own patches and its own FastICA
start. A Gabor function is fitted to every filter, and to 16 random kernels per seed as a
control, compared seed by seed (`paired.py`). The first figure shows the first seed's filters
next to their fitted Gabors; the second, how well a Gabor fits each filter (R²); the third, what
fraction of the filters counts as "Gabor-like" for every choice of the R² cut-off, since any
single cut-off is arbitrary.

Needs `gabor_fit.py`, `natural_images.py` and `paired.py` from the same folder.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 scikit-learn==1.9.1 \
    scipy==1.17.1
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from gabor_fit import (
    fit_per_seed,
    fraction_at_least,
    plot_fits,
    plot_fraction_curves,
    plot_r2_histogram,
)
from natural_images import grey_photos, random_patches
from paired import describe, paired, seeds
from sklearn.decomposition import FastICA

photos = grey_photos()
size, n_filters, n_patches, n_random, r2_threshold = 12, 64, 6_000, 16, 0.8
SEEDS = seeds(10)  # seed s draws its patches, FastICA's start and its random kernels
n_seeds = len(SEEDS)

# %% For each seed: patches with their mean brightness removed; FastICA whitens them (PCA to 64
# dimensions, unit variance) and then looks for the 64 directions whose outputs are least
# Gaussian. Each row of the unmixing matrix is a filter applied to raw pixels.
ica_filters, random_kernels = [], []
for seed in SEEDS:
    rng = np.random.default_rng(seed)
    patches = random_patches(photos, size, n_patches, rng).reshape(n_patches, -1)
    patches -= patches.mean(axis=1, keepdims=True)
    ica = FastICA(
        n_components=n_filters, whiten="unit-variance", max_iter=400, tol=1e-3, random_state=seed
    )
    ica.fit(patches)
    ica_filters.append(ica.components_.reshape(n_filters, size, size))
    random_kernels.append(rng.standard_normal((n_random, size, size)))  # the control
ica_filters, random_kernels = np.array(ica_filters), np.array(random_kernels)

# %% Fit a Gabor to every filter of every seed and count the good fits
ica_fits, ica_r2 = fit_per_seed(ica_filters)  # R² as (seeds, filters)
random_fits, random_r2 = fit_per_seed(random_kernels)
# The fraction depends on the cut-off: report it at three of them, per seed
cutoffs = [0.7, 0.8, 0.9]
ica_per_seed = fraction_at_least(ica_r2, cutoffs)  # (seeds, cut-offs)
random_per_seed = fraction_at_least(random_r2, cutoffs)
ica_fractions, ica_fraction_sds = (
    ica_per_seed.mean(0).tolist(),
    ica_per_seed.std(0, ddof=1).tolist(),
)
random_fractions = random_per_seed.mean(0).tolist()
ica_gabor_fraction, ica_gabor_sd = ica_fractions[1], ica_fraction_sds[1]  # at R² >= 0.8
ica_gabor_se = ica_gabor_sd / np.sqrt(n_seeds)  # standard error of the mean over seeds
random_gabor_fraction = random_fractions[1]
ica_worst_seed_fraction = float(ica_per_seed[:, 1].min())
ica_best_seed_fraction = float(ica_per_seed[:, 1].max())
ica_median_r2, random_median_r2 = float(np.median(ica_r2)), float(np.median(random_r2))
ica_min_r2, random_max_r2 = float(ica_r2.min()), float(random_r2.max())
# ICA filters against the random kernels of the same seed, at every cut-off
comparison = {
    f"ica_random_{c}".replace(".", ""): paired(ica_per_seed[:, i], random_per_seed[:, i])
    for i, c in enumerate(cutoffs)
}
ica_random = comparison["ica_random_08"]
print(
    f"R² >= {r2_threshold}: ICA {ica_gabor_fraction:.0%} ± {ica_gabor_sd:.0%} (sd; standard "
    f"error {ica_gabor_se:.0%}) of {n_filters} filters over {n_seeds} seeds (from "
    f"{ica_worst_seed_fraction:.0%} to {ica_best_seed_fraction:.0%}), random "
    f"{random_gabor_fraction:.0%}; median R² {ica_median_r2:.2f} vs {random_median_r2:.2f}"
)
print("cut-off:", cutoffs, "ICA:", [f"{f:.0%}" for f in ica_fractions])
for name, result in comparison.items():
    print(f"ICA - random, {name}: {describe(result, digits=0)} {result['verdict']}")
# At each of the three cut-offs, ICA filters pass more often than random kernels (paired over
# seeds), and no random kernel passes even the lowest cut-off
assert all(result["verdict"] == "higher" for result in comparison.values())
assert random_max_r2 < cutoffs[0]

# %% Figure 1: the first seed's first 16 ICA filters (in the order FastICA returns them) and 8
# random kernels, each above its fitted Gabor
plot_fits(
    [
        ("ICA", ica_filters[0, :16], ica_fits[:16]),
        ("random", random_kernels[0, :8], random_fits[:8]),
    ]
)

# %% Figure 2: fit quality of all ICA filters and all random kernels, every seed
plot_r2_histogram(
    {"ICA filters": ica_r2.ravel(), "random kernels": random_r2.ravel()}, r2_threshold
)

# %% Figure 3: the fraction that counts as Gabor-like, for every cut-off (band: all seeds)
plot_fraction_curves({"ICA filters": ica_r2, "random kernels": random_r2}, r2_threshold)
plt.show()
