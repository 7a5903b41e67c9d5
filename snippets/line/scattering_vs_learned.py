"""Fixed wavelets against a learned first layer, on the 8 × 8 digits, with the same classifier.

A small first-order scattering transform (Bruna & Mallat 2013), built here in a few lines:
convolve with 8 fixed Morlet wavelets (2 sizes × 4 orientations), take the modulus, average over
2 × 2 blocks. The learned front end has the same shape (8 complex, i.e. 16 real, 5 × 5 kernels,
modulus, averaging), but its kernels are trained; a third one keeps random kernels frozen. Each
feeds the same linear classifier. Test accuracy over 10 seeds, trained on 10 or 50 images per
class.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from kernel_rows import show_kernel_rows
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split(
    digits.images / 16, digits.target, test_size=0.3, random_state=0, stratify=digits.target
)
x_train, x_test = (torch.tensor(a, dtype=torch.float32).unsqueeze(1) for a in (x_train, x_test))
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
n_test = len(y_test)
SEEDS, K, SCALES, ORIENTATIONS, LR, BATCH = 10, 5, 2, 4, 0.05, 128
N_WAVELETS = SCALES * ORIENTATIONS

# %% [markdown]
# ## Morlet wavelets: a Gabor function with its mean removed

# %%
r = torch.arange(K, dtype=torch.float32) - K // 2
yy, xx = torch.meshgrid(r, r, indexing="ij")


def morlet(sigma, frequency, theta):
    """Complex K x K Morlet wavelet: a Gaussian times a complex wave, minus a multiple of the
    Gaussian so that it sums to zero (it ignores flat regions)."""
    envelope = torch.exp(-(xx**2 + yy**2) / (2 * sigma**2))
    wave = torch.exp(1j * frequency * (xx * math.cos(theta) + yy * math.sin(theta)))
    psi = envelope * (wave - (envelope * wave).sum() / envelope.sum())
    return psi / psi.abs().sum()


wavelets = [
    morlet(0.8 * 2**j, 3 * math.pi / 4 / 2**j, i * math.pi / ORIENTATIONS)
    for j in range(SCALES)
    for i in range(ORIENTATIONS)
]
assert all(abs(psi.sum()) < 1e-6 for psi in wavelets)
# the 8 real parts, then the 8 imaginary parts: 16 real kernels, flattened to (16, 25)
scattering_kernels = torch.stack([p.real for p in wavelets] + [p.imag for p in wavelets])
scattering_kernels = scattering_kernels.view(-1, K * K)

# %% [markdown]
# ## One front end for all three: kernels, modulus, 2 × 2 averages
# Each image is cut into its 64 patches of 5 × 5 pixels once (`unfold`, the im2col of chapter 4);
# a convolution is then one matrix product, and 10 front ends run side by side.

# %%
patches = {  # (images, 64 positions, 25 pixels)
    name: F.unfold(x, K, padding=K // 2).transpose(1, 2)
    for name, x in (("train", x_train), ("test", x_test))
}


def features(images, patches, kernels):
    """kernels: (2 * n_models * 8, 25), the real parts of all models' 8 complex kernels, then
    their imaginary parts -> features (n_models, batch, 144): for each complex kernel
    the modulus of its response, averaged over 2 x 2 blocks (16 numbers), plus the image itself
    averaged the same way (the scattering transform's zeroth order)."""
    b, n = len(images), len(kernels) // (2 * N_WAVELETS)
    response = (patches @ kernels.T).view(b, 8, 8, 2, n * N_WAVELETS)  # real and imaginary part
    modulus = (response.pow(2).sum(dim=3) + 1e-8).sqrt()  # |real + i imag|
    blocks = (
        modulus[:, 0::2, 0::2]
        + modulus[:, 0::2, 1::2]
        + modulus[:, 1::2, 0::2]
        + modulus[:, 1::2, 1::2]
    ) / 4  # (b, 4, 4, n * 8): 2 x 2 averages
    blocks = blocks.reshape(b, 16, n, N_WAVELETS).permute(2, 0, 3, 1).reshape(n, b, -1)
    low_pass = F.avg_pool2d(images, 2).view(1, b, 16).expand(n, -1, -1)
    return torch.cat([low_pass, blocks], dim=2)


def train_and_test(kernels, subset, epochs, seed):
    """SEEDS linear classifiers, on features standardised with the training set's statistics;
    `kernels` (one front end, or one per classifier) are trained too if they require a gradient."""
    generator = torch.Generator().manual_seed(seed)
    images, labels, train_patches = x_train[subset], y_train[subset], patches["train"][subset]
    learn = kernels.requires_grad
    n_features = 16 * (N_WAVELETS + 1)
    weight = torch.randn(SEEDS, n_features, 10, generator=generator) / math.sqrt(n_features)
    bias = torch.zeros(SEEDS, 1, 10)
    parameters = [weight.requires_grad_(), bias.requires_grad_()] + ([kernels] if learn else [])
    optimiser = torch.optim.Adam(parameters, lr=LR)
    fixed = None if learn else features(images, train_patches, kernels)

    def statistics(f):
        return f.mean(dim=1, keepdim=True).detach(), f.std(dim=1, keepdim=True).detach() + 1e-3

    def classify(f, stats):  # (models or 1, batch, 144) -> (SEEDS, batch, 10)
        return ((f - stats[0]) / stats[1]) @ weight + bias

    for _ in range(epochs):
        for batch in torch.randperm(len(images), generator=generator).split(BATCH):
            f = features(images[batch], train_patches[batch], kernels) if learn else fixed[:, batch]
            logits = classify(f, statistics(f))
            loss = F.cross_entropy(logits.reshape(-1, 10), labels[batch].repeat(SEEDS))
            optimiser.zero_grad()
            (loss * SEEDS).backward()  # the sum of the 10 models' losses
            optimiser.step()
    with torch.no_grad():
        stats = statistics(features(images, train_patches, kernels))
        logits = classify(features(x_test, patches["test"], kernels), stats)
        return (logits.argmax(dim=2) == y_test).float().mean(dim=1).numpy()


# %% [markdown]
# ## 10 and 50 training images per class

# %%
generator = torch.Generator().manual_seed(0)


def per_class(n):
    """The first n training images of each digit."""
    return torch.cat([torch.nonzero(y_train == c)[:n, 0] for c in range(10)])


EPOCHS = {"few": 40, "more": 25}
regimes = {"few": (per_class(10), EPOCHS["few"]), "more": (per_class(50), EPOCHS["more"])}
regime_labels = {"few": "10 training images per class", "more": "50 training images per class"}
front_labels = {
    "scattering": "scattering: fixed Morlet wavelets",
    "random": "random kernels, frozen",
    "learned": "learned kernels",
}
accuracy, learned_kernels = {}, {}
for regime, (subset, epochs) in regimes.items():
    random_kernels = torch.randn(SEEDS * 2 * N_WAVELETS, K * K, generator=generator) / K
    fronts = {
        "scattering": scattering_kernels,
        "random": random_kernels,
        "learned": random_kernels.clone().requires_grad_(),
    }
    for front, kernels in fronts.items():
        accuracy[regime, front] = train_and_test(kernels, subset, epochs, seed=1)
    learned_kernels[regime] = fronts["learned"].detach()

mean = {r: {f: float(accuracy[r, f].mean()) for f in front_labels} for r in regimes}
sd = {r: {f: float(accuracy[r, f].std(ddof=1)) for f in front_labels} for r in regimes}
# Sampling error of one accuracy measured on the 540 test images, at the learned kernels' level
binomial_se = {
    r: math.sqrt(mean[r]["learned"] * (1 - mean[r]["learned"]) / n_test) for r in regimes
}
accuracy_table = (
    f"| first layer | {regime_labels['few']} | {regime_labels['more']} |\n|---|---:|---:|\n"
)
for front, label in front_labels.items():
    cells = [f"{mean[r][front]:.1%} ± {sd[r][front]:.1%}" for r in regimes]
    accuracy_table += f"| {label} | " + " | ".join(cells) + " |\n"
print(f"test accuracy, mean ± sd over {SEEDS} seeds ({n_test} test images)")
print(accuracy_table)
print("binomial standard error of one accuracy:", {r: f"{se:.1%}" for r, se in binomial_se.items()})

# A difference counts only if it exceeds the seed spread and the test set's sampling error.
for r in regimes:
    for other in ("random", "learned"):
        gap = mean[r]["scattering"] - mean[r][other]
        assert gap > max(binomial_se[r], sd[r][other], sd[r]["scattering"]), (r, other)
    # learned against random: not established in either regime
    assert abs(mean[r]["learned"] - mean[r]["random"]) < 2 * binomial_se[r]
scattering_gain = {r: mean[r]["scattering"] - mean[r]["learned"] for r in regimes}

# %%
fig, axes = plt.subplots(4, 8, figsize=(8, 4.6))
learned = learned_kernels["more"].view(2, SEEDS, N_WAVELETS, K, K)[:, 0]  # model 0: (2, 8, K, K)
rows = [
    ("Morlet\nreal", [p.real for p in wavelets]),
    ("Morlet\nimag.", [p.imag for p in wavelets]),
    ("learned\npart 1", list(learned[0])),
    ("learned\npart 2", list(learned[1])),
]
show_kernel_rows(axes, rows)
fig.suptitle(
    "The 8 fixed wavelets (2 sizes × 4 orientations) and 8 learned pairs (seed 0)", fontsize=10
)
fig.tight_layout()

fig, axes = plt.subplots(1, 2, figsize=(8, 3))
colours = {"scattering": "tab:green", "random": "tab:gray", "learned": "tab:blue"}
for ax, regime in zip(axes, regimes, strict=True):
    for i, front in enumerate(front_labels):
        runs = accuracy[regime, front]
        jitter = np.linspace(-0.15, 0.15, SEEDS)
        ax.plot(i + jitter, runs, "o", ms=3, color=colours[front])
        ax.errorbar(i + 0.3, mean[regime][front], yerr=sd[regime][front], fmt="s", color="k", ms=4)
    ax.set_xticks(range(3), ["scattering", "random,\nfrozen", "learned"], fontsize=8)
    ax.set_title(regime_labels[regime], fontsize=9)
    ax.set_ylabel("test accuracy")
fig.tight_layout()
plt.show()
