"""Small convolutional networks trained on natural photos learn Gabor-like first-layer kernels.

Each network is a sparse denoising autoencoder: one convolutional layer of 16 kernels of
12 x 12 pixels (stride 4) encodes a noisy crop of a whitened photo, and the transposed
convolution with the same kernels must reconstruct the clean crop, using few active features.
Ten networks, one per seed, train at once as one batched model: they see the same crops and
noise and differ only in their random start. A Gabor function is fitted to every kernel after
training, and to the random kernels it started from as a control. The figures show one typical
network's kernels next to their fitted Gabors, the fit quality R² of all kernels, and the
fraction of kernels that counts as Gabor-like for every R² cut-off, over the ten seeds.

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
rng = np.random.default_rng(0)
photos = [whiten(photo) for photo in grey_photos()]
n_seeds, n_kernels, size, stride, crop, r2_threshold = 10, 16, 12, 4, 32, 0.8
windows = ((crop - size) // stride + 1) ** 2  # 6 x 6 = 36 positions of the kernel on a crop

# %% Ten networks as one: each seed's layer gets PyTorch's default random start, and the
# kernels of all seeds are stacked into one tensor (seeds, kernels, 144), so every step
# trains all ten with a few batched matrix products.
layers = []
for seed in range(n_seeds):
    torch.manual_seed(seed)
    layers.append(torch.nn.Conv2d(1, n_kernels, kernel_size=size, stride=stride))
kernels = torch.nn.Parameter(torch.stack([layer.weight.detach().flatten(1) for layer in layers]))
biases = torch.nn.Parameter(torch.stack([layer.bias.detach() for layer in layers]))
decoder_bias = torch.nn.Parameter(torch.zeros(n_seeds, 1, 1, 1, 1))
initial_kernels = kernels.detach().view(n_seeds, n_kernels, size, size).numpy().copy()
learning_rate, weight_decay = 1e-2, 0.1
optimizer = torch.optim.AdamW(
    [kernels, biases, decoder_bias], lr=learning_rate, weight_decay=weight_decay
)
noise_level, sparsity, n_steps, batch = 0.5, 0.5, 350, 12


# %% The network: a convolution (encoder) and the transposed convolution with the same kernels,
# written as matrix products on patches. F.unfold cuts every 12 x 12 window the kernel visits
# into a column; F.fold, its adjoint, adds columns back into an image, which is exactly the
# transposed convolution (checked below). On a CPU this is the faster way here.
def encode(images):
    """(batch, 1, 32, 32) crops -> features (seeds, kernels, batch * 36), for every network."""
    columns = F.unfold(images, size, stride=stride)  # (batch, 144, 36): one column per window
    columns = columns.transpose(0, 1).reshape(size * size, -1)  # (144, batch * 36)
    return F.relu(kernels @ columns + biases[..., None])


def decode(features):
    """Features (seeds, kernels, batch * 36) -> reconstructed crops (seeds, batch, 1, 32, 32)."""
    columns = kernels.transpose(1, 2) @ features  # each window's reconstruction, every seed
    columns = columns.view(n_seeds, size * size, -1, windows).transpose(1, 2)
    crops = F.fold(columns.reshape(-1, size * size, windows), crop, size, stride=stride)
    return crops.view(n_seeds, -1, 1, crop, crop) + decoder_bias  # overlaps are added


check = torch.randn(2, 1, crop, crop)
with torch.no_grad():  # seed 0's network, against PyTorch's own convolutions
    features = encode(check)
    by_conv = F.relu(F.conv2d(check, kernels[0].view(n_kernels, 1, size, size), biases[0], stride))
    assert torch.allclose(features[0], by_conv.transpose(0, 1).flatten(1), atol=1e-5)
    by_transpose = F.conv_transpose2d(
        by_conv, kernels[0].view(n_kernels, 1, size, size), stride=stride
    )
    assert torch.allclose(decode(features)[0], by_transpose + decoder_bias[0], atol=1e-5)

for _ in range(n_steps):  # training steps
    crops = torch.tensor(random_patches(photos, crop, batch, rng), dtype=torch.float32)
    crops = crops.unsqueeze(1)
    features = encode(crops + noise_level * torch.randn(crops.shape))
    # each seed's own loss, summed: the seeds' gradients do not mix
    error = (decode(features) - crops).pow(2).mean(dim=(1, 2, 3, 4))
    loss = (error + sparsity * features.abs().mean(dim=(1, 2))).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
learned_kernels = kernels.detach().view(n_seeds, n_kernels, size, size).numpy()

# %% Fit a Gabor to every kernel of every seed, after training and at the random start
learned_fits = fit_gabors(learned_kernels.reshape(-1, size, size))
initial_fits = fit_gabors(initial_kernels.reshape(-1, size, size))
learned_r2 = np.array([fit.r2 for fit in learned_fits]).reshape(n_seeds, n_kernels)
initial_r2 = np.array([fit.r2 for fit in initial_fits]).reshape(n_seeds, n_kernels)

cutoffs = [0.7, 0.8, 0.9]
per_seed = fraction_at_least(learned_r2, cutoffs)  # (seeds, cut-offs)
cnn_fractions, cnn_fraction_sds = per_seed.mean(0).tolist(), per_seed.std(0, ddof=1).tolist()
initial_fractions = fraction_at_least(initial_r2, cutoffs).mean(0).tolist()
cnn_gabor_fraction, cnn_gabor_sd = cnn_fractions[1], cnn_fraction_sds[1]  # at R² >= 0.8
initial_gabor_fraction = initial_fractions[1]
worst_seed_fraction = float(per_seed[:, 1].min())
initial_best_seed_fraction = float(fraction_at_least(initial_r2, [0.8]).max())
cnn_median_r2, initial_median_r2 = float(np.median(learned_r2)), float(np.median(initial_r2))
cnn_min_r2, initial_max_r2 = float(learned_r2.min()), float(initial_r2.max())
print(
    f"R² >= {r2_threshold}: trained {cnn_gabor_fraction:.0%} ± {cnn_gabor_sd:.0%} of "
    f"{n_kernels} kernels (mean ± sd over {n_seeds} seeds, worst seed {worst_seed_fraction:.0%}),"
    f" at the random start {initial_gabor_fraction:.0%}; "
    f"median R² {cnn_median_r2:.2f} vs {initial_median_r2:.2f}"
)
print("cut-off:", cutoffs, "trained:", [f"{f:.0%}" for f in cnn_fractions])
# The claim holds for every seed, not on average: the worst trained network beats the best start
assert worst_seed_fraction > initial_best_seed_fraction + 0.2
assert all(a > b + 0.1 for a, b in zip(cnn_fractions, initial_fractions, strict=True))

# %% Figure 1: the network with the median fraction at R² >= 0.8 (a typical seed, not the best):
# its 16 trained kernels and 8 of its random starting kernels, each above its fitted Gabor
typical = int(np.argsort(per_seed[:, 1])[n_seeds // 2])
start = typical * n_kernels
plot_fits(
    [
        ("trained", learned_kernels[typical], learned_fits[start : start + n_kernels]),
        ("at start", initial_kernels[typical, :8], initial_fits[start : start + 8]),
    ]
)

# %% Figure 2: fit quality of all kernels of all seeds, trained and at the start
plot_r2_histogram(
    {"trained kernels": learned_r2.ravel(), "random starting kernels": initial_r2.ravel()},
    r2_threshold,
)

# %% Figure 3: the fraction that counts as Gabor-like, for every cut-off (band: all seeds)
plot_fraction_curves(
    {"trained kernels": learned_r2, "random starting kernels": initial_r2}, r2_threshold
)
plt.show()
