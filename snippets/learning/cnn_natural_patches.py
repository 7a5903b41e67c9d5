"""A small convolutional network trained on natural photos learns Gabor-like first-layer kernels.

The network is a sparse denoising autoencoder: one convolutional layer of 32 kernels of
12 x 12 pixels (stride 4) encodes a noisy crop of a whitened photo, and the transposed
convolution with the same kernels must reconstruct the clean crop, using few active features.
A Gabor function is fitted to each kernel after training, and to the random kernels it started
from as a control. The figures show kernels next to their fitted Gabors, the fit quality R², and
the fraction of kernels that counts as Gabor-like for every R² cut-off.

Needs `gabor_fit.py` and `natural_images.py` from the same folder.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from gabor_fit import (
    fit_gabors,
    fraction_at_least,
    plot_fits,
    plot_fraction_curves,
    plot_r2_histogram,
)
from natural_images import grey_photos, random_patches, whiten

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
torch.manual_seed(0)
rng = np.random.default_rng(0)
photos = [whiten(photo) for photo in grey_photos()]
n_kernels, size, stride, crop, r2_threshold = 32, 12, 4, 32, 0.8

# %% The network: a convolution (encoder) and the transposed convolution with the same kernels.
# Both are written as matrix products on patches: F.unfold cuts every 12 x 12 window the kernel
# visits into a column, and F.fold, its adjoint, adds columns back into an image, which is
# exactly the transposed convolution (checked below). On a CPU this is the faster way here.
encoder = torch.nn.Conv2d(1, n_kernels, kernel_size=size, stride=stride)
decoder_bias = torch.nn.Parameter(torch.zeros(1))
initial_kernels = encoder.weight.detach()[:, 0].numpy().copy()  # PyTorch's random start
optimizer = torch.optim.AdamW([*encoder.parameters(), decoder_bias], lr=1e-2, weight_decay=0.1)
noise_level, sparsity, n_steps, batch = 0.5, 0.5, 500, 32


def encode(images):
    columns = F.unfold(images, size, stride=stride)  # (batch, 144, 36): one column per window
    features = encoder.weight.view(n_kernels, -1) @ columns + encoder.bias[:, None]
    return F.relu(features)  # (batch, 32, 36): 32 feature maps of 6 x 6, flattened


def decode(features):
    columns = encoder.weight.view(n_kernels, -1).T @ features  # each window's reconstruction
    return F.fold(columns, crop, size, stride=stride) + decoder_bias  # overlaps are added


check = torch.randn(2, 1, crop, crop)
with torch.no_grad():
    features = encode(check)
    assert torch.allclose(features, F.relu(encoder(check)).flatten(2), atol=1e-5)
    by_transpose = F.conv_transpose2d(
        features.view(2, n_kernels, 6, 6), encoder.weight, decoder_bias, stride=stride
    )
    assert torch.allclose(decode(features), by_transpose, atol=1e-5)

for _ in range(n_steps):  # training steps
    crops = torch.tensor(random_patches(photos, crop, batch, rng), dtype=torch.float32)
    crops = crops.unsqueeze(1)
    features = encode(crops + noise_level * torch.randn(crops.shape))
    loss = F.mse_loss(decode(features), crops) + sparsity * features.abs().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
learned_kernels = encoder.weight.detach()[:, 0].numpy()

# %% Fit a Gabor to every kernel, after training and at the random start
learned_fits = fit_gabors(learned_kernels)
initial_fits = fit_gabors(initial_kernels)
learned_r2 = np.array([fit.r2 for fit in learned_fits])
initial_r2 = np.array([fit.r2 for fit in initial_fits])
cnn_gabor_fraction = float(np.mean(learned_r2 >= r2_threshold))
initial_gabor_fraction = float(np.mean(initial_r2 >= r2_threshold))
cnn_median_r2, initial_median_r2 = float(np.median(learned_r2)), float(np.median(initial_r2))
cnn_min_r2, initial_max_r2 = float(learned_r2.min()), float(initial_r2.max())
# One network, 32 kernels: the fraction itself is uncertain by about this much (binomial SE)
fraction_se = float(np.sqrt(cnn_gabor_fraction * (1 - cnn_gabor_fraction) / n_kernels))
print(
    f"R² >= {r2_threshold}: trained {cnn_gabor_fraction:.0%} of {n_kernels} kernels "
    f"(± {fraction_se:.0%}), at the random start {initial_gabor_fraction:.0%}; "
    f"median R² {cnn_median_r2:.2f} vs {initial_median_r2:.2f}"
)
assert cnn_gabor_fraction > initial_gabor_fraction + 0.3
cutoffs = [0.7, 0.8, 0.9]
cnn_fractions = fraction_at_least(learned_r2, cutoffs).tolist()
initial_fractions = fraction_at_least(initial_r2, cutoffs).tolist()
print("cut-off:", cutoffs, "trained:", [f"{f:.0%}" for f in cnn_fractions])
assert all(a > b + 0.1 for a, b in zip(cnn_fractions, initial_fractions, strict=True))

# %% Figure 1: 16 trained kernels (the first ones, unselected) and 8 random starting kernels,
# each above its fitted Gabor
plot_fits(
    [
        ("trained", learned_kernels[:16], learned_fits[:16]),
        ("at start", initial_kernels[:8], initial_fits[:8]),
    ]
)

# %% Figure 2: fit quality of all kernels, trained and at the start
plot_r2_histogram(
    {"trained kernels": learned_r2, "random starting kernels": initial_r2}, r2_threshold
)

# %% Figure 3: the fraction that counts as Gabor-like, for every cut-off
plot_fraction_curves(
    {"trained kernels": learned_r2, "random starting kernels": initial_r2}, r2_threshold
)
plt.show()
