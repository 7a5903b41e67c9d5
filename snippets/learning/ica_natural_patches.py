"""Independent component analysis (ICA) of natural image patches gives localised, oriented
edge filters, as Bell & Sejnowski (1997) found.

FastICA unmixes 15,000 patches of 12 x 12 pixels, cut from five photos shipped with
scikit-image, into 64 filters. A Gabor function is fitted to every filter, and to 64 random
kernels as a control. The first figure shows filters next to their fitted Gabors; the second,
how well a Gabor fits each filter (R²); the third, what fraction of the filters counts as
"Gabor-like" for every choice of the R² cut-off, since any single cut-off is arbitrary.

Needs `gabor_fit.py` and `natural_images.py` from the same folder.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 scikit-learn==1.9.1
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from gabor_fit import (
    fit_gabors,
    fraction_at_least,
    plot_fits,
    plot_fraction_curves,
    plot_r2_histogram,
)
from natural_images import grey_photos, random_patches
from sklearn.decomposition import FastICA

rng = np.random.default_rng(0)
size, n_filters, n_patches, r2_threshold = 12, 64, 15_000, 0.8

# %% Patches with their mean brightness removed; FastICA whitens them (PCA to 64 dimensions,
# unit variance) and then looks for the 64 directions whose outputs are least Gaussian
patches = random_patches(grey_photos(), size, n_patches, rng).reshape(n_patches, -1)
patches -= patches.mean(axis=1, keepdims=True)
ica = FastICA(
    n_components=n_filters, whiten="unit-variance", max_iter=400, tol=1e-3, random_state=0
)
ica.fit(patches)
ica_filters = ica.components_.reshape(n_filters, size, size)  # each row is applied to raw pixels
random_kernels = rng.standard_normal((n_filters, size, size))  # the control

# %% Fit a Gabor to every filter and count the good fits
ica_fits = fit_gabors(ica_filters)
random_fits = fit_gabors(random_kernels)
ica_r2 = np.array([fit.r2 for fit in ica_fits])
random_r2 = np.array([fit.r2 for fit in random_fits])
ica_gabor_fraction = float(np.mean(ica_r2 >= r2_threshold))
random_gabor_fraction = float(np.mean(random_r2 >= r2_threshold))
ica_median_r2, random_median_r2 = float(np.median(ica_r2)), float(np.median(random_r2))
ica_min_r2, random_max_r2 = float(ica_r2.min()), float(random_r2.max())
print(
    f"R² >= {r2_threshold}: ICA {ica_gabor_fraction:.0%} of {n_filters} filters, "
    f"random {random_gabor_fraction:.0%}; median R² {ica_median_r2:.2f} vs {random_median_r2:.2f}"
)
assert ica_gabor_fraction > random_gabor_fraction + 0.3
# The fraction depends on the cut-off: report it at three of them
cutoffs = [0.7, 0.8, 0.9]
ica_fractions = fraction_at_least(ica_r2, cutoffs).tolist()
random_fractions = fraction_at_least(random_r2, cutoffs).tolist()
print("cut-off:", cutoffs, "ICA:", [f"{f:.0%}" for f in ica_fractions])
# At each of the three cut-offs, ICA filters pass far more often than random kernels do
assert all(ica > rnd + 0.1 for ica, rnd in zip(ica_fractions, random_fractions, strict=True))

# %% Figure 1: the first 16 ICA filters (in the order FastICA returns them) and 8 random
# kernels, each above its fitted Gabor
plot_fits(
    [("ICA", ica_filters[:16], ica_fits[:16]), ("random", random_kernels[:8], random_fits[:8])]
)

# %% Figure 2: fit quality of all 64 ICA filters and all 64 random kernels
plot_r2_histogram({"ICA filters": ica_r2, "random kernels": random_r2}, r2_threshold)

# %% Figure 3: the fraction that counts as Gabor-like, for every cut-off
plot_fraction_curves({"ICA filters": ica_r2, "random kernels": random_r2}, r2_threshold)
plt.show()
