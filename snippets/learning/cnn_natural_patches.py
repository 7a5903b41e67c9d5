"""A small convolutional network trained on natural photos learns Gabor-like first-layer kernels.

The network is a sparse denoising autoencoder: one convolutional layer of 32 kernels of
12 x 12 pixels (stride 4) encodes a noisy crop of a whitened photo, and the transposed
convolution with the same kernels must reconstruct the clean crop, using few active features.
A Gabor function is fitted to each kernel after training, and to the random kernels it started
from as a control. The figures show kernels next to their fitted Gabors and the fit quality R².

Needs `gabor_fit.py` and `natural_images.py` from the same folder.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from gabor_fit import fit_gabor
from natural_images import grey_photos, random_patches, whiten

torch.manual_seed(0)
rng = np.random.default_rng(0)
photos = [whiten(photo) for photo in grey_photos()]
n_kernels, size, stride, r2_threshold = 32, 12, 4, 0.8

# %% The network: a convolution (encoder) and the transposed convolution with the same kernels
encoder = torch.nn.Conv2d(1, n_kernels, kernel_size=size, stride=stride)
decoder_bias = torch.nn.Parameter(torch.zeros(1))
initial_kernels = encoder.weight.detach()[:, 0].numpy().copy()  # PyTorch's random start
optimizer = torch.optim.AdamW([*encoder.parameters(), decoder_bias], lr=1e-2, weight_decay=0.1)
noise_level, sparsity = 0.5, 0.5

for _ in range(1000):  # training steps
    crops = torch.tensor(random_patches(photos, 32, 16, rng), dtype=torch.float32).unsqueeze(1)
    noisy = crops + noise_level * torch.randn(crops.shape)
    features = F.relu(encoder(noisy))
    reconstruction = F.conv_transpose2d(features, encoder.weight, decoder_bias, stride=stride)
    loss = F.mse_loss(reconstruction, crops) + sparsity * features.abs().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
learned_kernels = encoder.weight.detach()[:, 0].numpy()

# %% Fit a Gabor to every kernel, after training and at the random start
learned_fits = [fit_gabor(k) for k in learned_kernels]
initial_fits = [fit_gabor(k) for k in initial_kernels]
learned_r2 = np.array([fit.r2 for fit in learned_fits])
initial_r2 = np.array([fit.r2 for fit in initial_fits])
cnn_gabor_fraction = float(np.mean(learned_r2 >= r2_threshold))
initial_gabor_fraction = float(np.mean(initial_r2 >= r2_threshold))
cnn_median_r2, initial_median_r2 = float(np.median(learned_r2)), float(np.median(initial_r2))
print(
    f"R² >= {r2_threshold}: trained {cnn_gabor_fraction:.0%} of {n_kernels} kernels, "
    f"at the random start {initial_gabor_fraction:.0%}; "
    f"median R² {cnn_median_r2:.2f} vs {initial_median_r2:.2f}"
)
assert cnn_gabor_fraction > initial_gabor_fraction + 0.3

# %% Figure 1: 16 trained kernels (the first ones, unselected) and 8 random starting kernels,
# each above its fitted Gabor
fig, axes = plt.subplots(6, 8, figsize=(8, 6.6))
shown = [(learned_kernels[i], learned_fits[i]) for i in range(16)]
shown += [(initial_kernels[i], initial_fits[i]) for i in range(8)]
for i, (kernel, fit) in enumerate(shown):
    top, bottom = axes[2 * (i // 8), i % 8], axes[2 * (i // 8) + 1, i % 8]
    limit = np.abs(kernel).max()
    top.imshow(kernel, cmap="gray", vmin=-limit, vmax=limit, interpolation="none")
    bottom.imshow(fit.fitted, cmap="gray", vmin=-limit, vmax=limit, interpolation="none")
    top.set_title(f"R² {fit.r2:.2f}", fontsize=8)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
for row, label in enumerate(
    ["trained", "Gabor fit", "trained", "Gabor fit", "at start", "Gabor fit"]
):
    axes[row, 0].set_ylabel(label, fontsize=8)
fig.tight_layout()

# %% Figure 2: fit quality of all kernels, trained and at the start
fig, ax = plt.subplots(figsize=(6, 2.8))
bins = np.linspace(0, 1, 21)
ax.hist(learned_r2, bins=bins, alpha=0.7, label="trained kernels")
ax.hist(initial_r2, bins=bins, alpha=0.7, label="random starting kernels")
ax.axvline(r2_threshold, color="black", linestyle="--", label=f"R² = {r2_threshold}")
ax.set_xlabel("R² of the Gabor fit")
ax.set_ylabel("number of kernels")
ax.legend()
fig.tight_layout()
plt.show()
