"""ROCKET: random 1-D kernels that are never trained, and a linear classifier on top.

Following Dempster, Petitjean & Webb (2020), each kernel gets a random length (7, 9 or 11),
random normal weights (centred to mean 0), a random bias, a random dilation and, at random,
padding or none. Each kernel gives two numbers per series: the proportion of positive values of
its output (PPV) and its maximum. A ridge classifier learns from those. The task is made up here:
four kinds of short shape hidden at a random place in noise. Each seed draws its own series and
kernels; ROCKET and a ridge classifier on the raw series are compared seed by seed (`paired.py`).

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from paired import describe, paired, seeds
from sklearn.linear_model import RidgeClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
SEEDS = seeds(10)  # seeds 0-9, or from FIRST_SEED on
LENGTH, N_SEEDS, N_KERNELS = 128, len(SEEDS), 300

# %% [markdown]
# ## A task: which shape is hidden in the noise?

# %%
t = np.arange(LENGTH)
SHAPES = {  # each a function of the time relative to the shape's centre
    "bump": lambda u: np.exp(-(u**2) / (2 * 3**2)),
    "wave packet": lambda u: np.exp(-(u**2) / (2 * 6**2)) * np.sin(2 * np.pi * u / 6),
    "plateau": lambda u: (np.abs(u) < 10).astype(float),
    "double spike": lambda u: np.exp(-((u + 5) ** 2) / 2) + np.exp(-((u - 5) ** 2) / 2),
}


def make_series(rng, per_class):
    """Noise of standard deviation 1, plus one shape of height 2.5-3.5 at a random place."""
    series, labels = [], []
    for label, shape in enumerate(SHAPES.values()):
        centre = rng.uniform(20, LENGTH - 20, (per_class, 1))
        height = rng.uniform(2.5, 3.5, (per_class, 1))
        series.append(height * shape(t - centre) + rng.normal(0, 1, (per_class, LENGTH)))
        labels += [label] * per_class
    return np.concatenate(series).astype(np.float32), np.array(labels)


# %% [markdown]
# ## Random kernels, drawn once and never changed


# %%
def draw_kernels(rng, n):
    """n random kernels: lengths, centred normal weights, biases, dilations, paddings."""
    lengths = rng.choice([7, 9, 11], n)
    weights = [w - w.mean() for w in (rng.normal(0, 1, k) for k in lengths)]
    biases = rng.uniform(-1, 1, n)
    # dilation: exponentially spread, so that the kernel can span up to the whole series
    dilations = np.array(
        [int(2 ** rng.uniform(0, np.log2((LENGTH - 1) // (k - 1)))) for k in lengths]
    )
    paddings = np.array(
        [
            (k - 1) * d // 2 if rng.integers(2) else 0
            for k, d in zip(lengths, dilations, strict=True)
        ]
    )
    return lengths, weights, biases, dilations, paddings


def rocket_features(series, kernels):
    """(series, n kernels, 2): PPV and max of every kernel's output. Kernels that share a length,
    dilation and padding are applied together, as the output channels of one conv1d."""
    lengths, weights, biases, dilations, paddings = kernels
    x = torch.from_numpy(series).unsqueeze(1)
    features = torch.empty(len(series), len(lengths), 2)
    for k, d, p in set(zip(lengths, dilations, paddings, strict=True)):
        chosen = np.flatnonzero((lengths == k) & (dilations == d) & (paddings == p))
        w = torch.tensor(np.stack([weights[i] for i in chosen]), dtype=torch.float32).unsqueeze(1)
        b = torch.tensor(biases[chosen], dtype=torch.float32)
        out = F.conv1d(x, w, b, dilation=int(d), padding=int(p))
        features[:, chosen, 0] = (out > 0).float().mean(dim=2)  # proportion of positive values
        features[:, chosen, 1] = out.amax(dim=2)
    return features


def ridge_accuracy(train, y_train, test, y_test):
    """Standardise, then a ridge classifier whose penalty is chosen by cross-validation."""
    classifier = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))
    classifier.fit(train, y_train)
    return classifier.score(test, y_test)


# %% [markdown]
# ## Accuracy against the number of random kernels, one new task and kernel set per seed

# %%
kernel_counts = [10, 30, 100, 300]
accuracy = {m: [] for m in kernel_counts}
raw = []
for seed in SEEDS:
    rng = np.random.default_rng(seed)  # draws this seed's series and kernels
    x_train, y_train = make_series(rng, 40)  # 160 training series
    x_test, y_test = make_series(rng, 100)  # 400 test series
    kernels = draw_kernels(rng, N_KERNELS)
    train_features, test_features = (
        rocket_features(x_train, kernels),
        rocket_features(x_test, kernels),
    )
    assert ((train_features[..., 0] >= 0) & (train_features[..., 0] <= 1)).all()
    for m in kernel_counts:  # the first m kernels of this seed's set
        accuracy[m].append(
            ridge_accuracy(
                train_features[:, :m].flatten(1).numpy(),
                y_train,
                test_features[:, :m].flatten(1).numpy(),
                y_test,
            )
        )
    raw.append(ridge_accuracy(x_train, y_train, x_test, y_test))  # same classifier, raw series
    if seed == SEEDS[0]:  # the first seed's kernels and series, for the figure
        lengths, weights, biases, dilations, paddings = first_kernels = kernels
        shown_series, shown_labels = x_train, y_train
n_train, n_test = len(y_train), len(y_test)
rocket_mean = {m: float(np.mean(a)) for m, a in accuracy.items()}
rocket_sd = {m: float(np.std(a, ddof=1)) for m, a in accuracy.items()}
raw_accuracy = float(np.mean(raw))
chance = 1 / len(SHAPES)
rocket_10, rocket_100, rocket_300 = rocket_mean[10], rocket_mean[100], rocket_mean[300]
rocket_sd_300 = rocket_sd[300]
comparison = {  # seed by seed: the same series for both classifiers
    "rocket_raw": paired(accuracy[300], raw),
    "kernels_100_10": paired(accuracy[100], accuracy[10]),
    "kernels_300_100": paired(accuracy[300], accuracy[100]),
}
print(f"ridge on the raw series: {raw_accuracy:.1%} (chance {chance:.0%})")
for m in kernel_counts:
    print(f"ROCKET, {m:3d} kernels: {rocket_mean[m]:.1%} ± {rocket_sd[m]:.1%} over {N_SEEDS} seeds")
for name, result in comparison.items():
    print(f"{name:16s} {describe(result)} {result['verdict']}")

# The shape can be anywhere: a linear classifier on the raw values gets about half of the test
# series right; on the features of 300 random kernels, more than nine in ten.
assert raw_accuracy < 0.6 and rocket_300 > 0.9
assert comparison["rocket_raw"]["verdict"] == "higher"
# more kernels help, up to 300 kernels
assert comparison["kernels_100_10"]["verdict"] == "higher"
assert comparison["kernels_300_100"]["verdict"] == "higher"


# %%
fig = plt.figure(figsize=(9, 5))
grid = fig.add_gridspec(2, 4, height_ratios=[1, 1.1])
for i, name in enumerate(SHAPES):
    ax = fig.add_subplot(grid[0, i])
    example = np.flatnonzero(shown_labels == i)[0]
    ax.plot(shown_series[example], lw=0.8, color="0.3")
    ax.set_title(name, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
ax = fig.add_subplot(grid[1, :2])
shown = np.argsort(dilations[:N_KERNELS])[[0, 150, 250, -1]]  # four kernels of the first set
shown_dilations = [int(dilations[i]) for i in shown]
for row, i in enumerate(shown):  # each drawn at the time steps it reads: its dilation spreads it
    taps = np.arange(lengths[i]) * dilations[i]
    ax.plot(taps, weights[i] + 5 * row, "o-", ms=3, lw=0.8)
    ax.text(132, 5 * row, f"length {lengths[i]}\ndilation {dilations[i]}", fontsize=9, va="center")
ax.set_xlim(-3, 160)
ax.set_yticks([])
ax.set_xlabel("time steps spanned")
ax.set_title("Four of the random kernels", fontsize=9)
ax = fig.add_subplot(grid[1, 2:])
for m in kernel_counts:
    ax.plot([m] * N_SEEDS, accuracy[m], "o", ms=3, color="tab:blue", alpha=0.6)
means, sds = [rocket_mean[m] for m in kernel_counts], [rocket_sd[m] for m in kernel_counts]
ax.errorbar(kernel_counts, means, sds, color="tab:blue", label="ROCKET features")
ax.axhline(raw_accuracy, color="tab:red", ls="--", label="raw series")
ax.axhline(chance, color="0.5", ls=":", label="chance")
ax.set_xscale("log")
ax.set_xlabel("number of random kernels")
ax.set_ylabel("test accuracy")
ax.legend(fontsize=9)
fig.tight_layout()
plt.show()
