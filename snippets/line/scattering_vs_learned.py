"""Fixed wavelets against a learned first layer, on the 8 × 8 digits, with the same classifier.

A small first-order scattering transform (Bruna & Mallat 2013), built here in a few lines:
convolve with 8 fixed Morlet wavelets (2 sizes × 4 orientations), take the modulus, average over
2 × 2 blocks. The learned front end has the same shape (8 complex, i.e. 16 real, 5 × 5 kernels,
modulus, averaging), but its kernels are trained; a third one keeps random kernels frozen. Each
feeds the same linear classifier. Each seed draws its own training images (10 or 50 per class),
random kernels, classifier start and batch order, and all three front ends get the same draws:
the comparison is the paired difference over seeds (`paired.py`).

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from kernel_rows import show_kernel_rows
from paired import describe, paired, seeds
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
K, SCALES, ORIENTATIONS, LR, BATCH = 5, 2, 4, 0.05, 128
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
# the 8 real parts, then the 8 imaginary parts: 16 real kernels, flattened to (1, 16, 25)
scattering_kernels = torch.stack([p.real for p in wavelets] + [p.imag for p in wavelets])
scattering_kernels = scattering_kernels.view(1, -1, K * K)

# %% [markdown]
# ## One front end for all three: kernels, modulus, 2 × 2 averages
# Each image is cut into its 64 patches of 5 × 5 pixels once (`unfold`, the im2col of chapter 4);
# a convolution is then one matrix product, and the seeds' front ends run side by side.

# %%
patches = {  # (images, 64 positions, 25 pixels)
    name: F.unfold(x, K, padding=K // 2).transpose(1, 2)
    for name, x in (("train", x_train), ("test", x_test))
}


def features(images, patches, kernels):
    """images (models or 1, batch, 1, 8, 8), their patches (models or 1, batch, 64, 25) and
    kernels (models or 1, 16, 25): the real parts of 8 complex kernels, then their imaginary
    parts -> features (models, batch, 144): for each complex kernel the modulus of its response,
    averaged over 2 x 2 blocks (16 numbers), plus the image itself averaged the same way (the
    scattering transform's zeroth order)."""
    response = patches @ kernels.transpose(1, 2)[:, None]  # (models, batch, 64, 16)
    n, b = response.shape[:2]
    response = response.view(n, b, 8, 8, 2, N_WAVELETS)  # real and imaginary part
    modulus = (response.pow(2).sum(dim=4) + 1e-8).sqrt()  # |real + i imag|
    blocks = (
        modulus[:, :, 0::2, 0::2]
        + modulus[:, :, 0::2, 1::2]
        + modulus[:, :, 1::2, 0::2]
        + modulus[:, :, 1::2, 1::2]
    ) / 4  # (models, batch, 4, 4, 8): 2 x 2 averages
    low_pass = F.avg_pool2d(images.flatten(0, 1), 2).view(len(images), -1, 16).expand(n, b, 16)
    return torch.cat([low_pass, blocks.flatten(2)], dim=2)


def per_class(generator, n):
    """n training images of each digit, drawn at random."""
    chosen = [torch.nonzero(y_train == c)[:, 0] for c in range(10)]
    return torch.cat([c[torch.randperm(len(c), generator=generator)[:n]] for c in chosen])


def train_and_test(front, n_per_class, epochs, seed_list):
    """One linear classifier per seed, on features standardised with its training images'
    statistics. Seed s draws its training images, random kernels, classifier start and batch
    order from its own generator; every front end gets the same draws. The kernels are frozen,
    except for the "learned" front end."""
    generators = [torch.Generator().manual_seed(seed) for seed in seed_list]
    subset = torch.stack([per_class(g, n_per_class) for g in generators])  # (seeds, images)
    random_kernels = torch.stack(
        [torch.randn(2 * N_WAVELETS, K * K, generator=g) / K for g in generators]
    )
    n_features = 16 * (N_WAVELETS + 1)
    weight = torch.stack(
        [torch.randn(n_features, 10, generator=g) / math.sqrt(n_features) for g in generators]
    )
    bias = torch.zeros(len(generators), 1, 10)
    kernels = scattering_kernels if front == "scattering" else random_kernels
    learn = front == "learned"
    parameters = [weight.requires_grad_(), bias.requires_grad_()]
    if learn:
        parameters.append(kernels.requires_grad_())
    optimiser = torch.optim.Adam(parameters, lr=LR)

    def front_end(index):  # index: (seeds, batch) into the training set
        return features(x_train[index], patches["train"][index], kernels)

    def statistics(f):
        return f.mean(dim=1, keepdim=True).detach(), f.std(dim=1, keepdim=True).detach() + 1e-3

    def classify(f, stats):  # (seeds, batch, 144) -> (seeds, batch, 10)
        return ((f - stats[0]) / stats[1]) @ weight + bias

    fixed = None if learn else front_end(subset)  # frozen kernels: compute the features once
    for _ in range(epochs):
        order = torch.stack([torch.randperm(subset.shape[1], generator=g) for g in generators])
        for batch in order.split(BATCH, dim=1):
            if learn:
                f = front_end(subset.gather(1, batch))
            else:
                f = fixed.gather(1, batch[..., None].expand(-1, -1, fixed.shape[2]))
            logits = classify(f, statistics(f))
            loss = F.cross_entropy(logits.flatten(0, 1), y_train[subset.gather(1, batch)].flatten())
            optimiser.zero_grad()
            (loss * len(generators)).backward()  # the sum of the seeds' losses
            optimiser.step()
    with torch.no_grad():
        stats = statistics(front_end(subset) if learn else fixed)
        logits = classify(features(x_test[None], patches["test"][None], kernels), stats)
        return (logits.argmax(dim=2) == y_test).float().mean(dim=1).numpy(), kernels.detach()


# %% [markdown]
# ## 10 and 50 training images per class

# %%
EPOCHS = {"few": 40, "more": 25}
PER_CLASS = {"few": 10, "more": 50}
# seeds 0-19 and 0-9 (or from FIRST_SEED on); the few-label differences are smaller than the
# spread, so they get more seeds
SEEDS = {"few": seeds(20), "more": seeds(10)}
N_SEEDS = {r: len(s) for r, s in SEEDS.items()}
regime_labels = {"few": "10 training images per class", "more": "50 training images per class"}
front_labels = {
    "scattering": "scattering: fixed Morlet wavelets",
    "random": "random kernels, frozen",
    "learned": "learned kernels",
}
accuracy, learned_kernels = {}, {}
for regime in PER_CLASS:
    for front in front_labels:
        accuracy[regime, front], kernels = train_and_test(
            front, PER_CLASS[regime], EPOCHS[regime], SEEDS[regime]
        )
    learned_kernels[regime] = kernels  # the last front end is the learned one

mean = {r: {f: float(accuracy[r, f].mean()) for f in front_labels} for r in PER_CLASS}
sd = {r: {f: float(accuracy[r, f].std(ddof=1)) for f in front_labels} for r in PER_CLASS}
# The comparisons, seed by seed: mean ± standard error of the paired difference, and a verdict
comparison = {
    r: {
        "scattering_learned": paired(accuracy[r, "scattering"], accuracy[r, "learned"]),
        "scattering_random": paired(accuracy[r, "scattering"], accuracy[r, "random"]),
        "learned_random": paired(accuracy[r, "learned"], accuracy[r, "random"]),
    }
    for r in PER_CLASS
}
accuracy_table = (
    f"| first layer | {regime_labels['few']} | {regime_labels['more']} |\n|---|---:|---:|\n"
)
for front, label in front_labels.items():
    cells = [f"{mean[r][front]:.1%} ± {sd[r][front]:.1%}" for r in PER_CLASS]
    accuracy_table += f"| {label} | " + " | ".join(cells) + " |\n"
print(f"test accuracy, mean ± sd over {N_SEEDS} seeds from {SEEDS['few'][0]}, {n_test} test images")
print(accuracy_table)
for r in PER_CLASS:
    for name, result in comparison[r].items():
        print(f"{r:4s} {name:18s} {describe(result)} {result['verdict']}")

# The fixed wavelets beat both other front ends in both regimes.
for r in PER_CLASS:
    assert comparison[r]["scattering_learned"]["verdict"] == "higher", r
    assert comparison[r]["scattering_random"]["verdict"] == "higher", r
# Learned against random frozen kernels: with 10 images per class, learning the kernels costs
# accuracy; with 50, it gains some.
assert comparison["few"]["learned_random"]["verdict"] == "lower"
assert comparison["more"]["learned_random"]["verdict"] == "higher"
# %%
fig, axes = plt.subplots(4, 8, figsize=(8, 4.6))
learned = learned_kernels["more"][0].view(2, N_WAVELETS, K, K)  # seed 0 (the first seed)
rows = [
    ("Morlet\nreal", [p.real for p in wavelets]),
    ("Morlet\nimag.", [p.imag for p in wavelets]),
    ("learned\npart 1", list(learned[0])),
    ("learned\npart 2", list(learned[1])),
]
show_kernel_rows(axes, rows)
fig.suptitle(
    "The 8 fixed wavelets (2 sizes × 4 orientations) and 8 learned pairs (first seed)", fontsize=10
)
fig.tight_layout()

fig, axes = plt.subplots(1, 2, figsize=(8, 3))
colours = {"scattering": "tab:green", "random": "tab:gray", "learned": "tab:blue"}
for ax, regime in zip(axes, PER_CLASS, strict=True):
    for i, front in enumerate(front_labels):
        runs = accuracy[regime, front]
        jitter = np.linspace(-0.15, 0.15, N_SEEDS[regime])
        ax.plot(i + jitter, runs, "o", ms=3, color=colours[front])
        ax.errorbar(i + 0.3, mean[regime][front], yerr=sd[regime][front], fmt="s", color="k", ms=4)
    ax.set_xticks(range(3), ["scattering", "random,\nfrozen", "learned"], fontsize=8)
    ax.set_title(regime_labels[regime], fontsize=9)
    ax.set_ylabel("test accuracy")
fig.tight_layout()
plt.show()
