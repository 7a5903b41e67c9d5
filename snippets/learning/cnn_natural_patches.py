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
from gabor_fit import fit_gabor, plot_fits, plot_r2_histogram
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
plt.show()
