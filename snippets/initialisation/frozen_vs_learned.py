"""Frozen random filters, a frozen Gabor bank, or learned filters: which features does a linear
classifier need?

One small network (a 5×5 convolution with 16 filters, batch normalisation, ReLU, a linear
layer) classifies scikit-learn's 8×8 digits. Only the trainable parts change
between rows: the filters may be random and frozen, a hand-made Gabor bank and frozen, or
learned. Each row is trained from forty seeds, and the forty networks of a row are trained at
once, as one batched network. Seed i draws network i's starting weights and its mini-batch order,
the same in every row; the split into training and test digits is fixed. The table gives the test
accuracy as mean ± sd over the seeds; two rows are compared seed by seed (the paired difference).

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 scikit-learn==1.9.1 \
    scipy==1.17.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from paired import describe, mcnemar, paired, seeds
from seeds_at_once import Adam, load_digits_split, order_generator
from skimage.filters import gabor_kernel

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
x_train, y_train, x_test, y_test = load_digits_split()
n_train, n_test = len(x_train), len(x_test)
SEEDS, EPOCHS, BATCH, LR = seeds(40), 10, 128, 0.05  # seeds 0-39 (or from FIRST_SEED on)
n_seeds = len(SEEDS)


# The convolution as a matrix product (chapter 4): cut every image into its 16 patches of 5×5
# pixels once (no padding: the output is 4×4); the layer's output is then patches @ filters.
def patches(x):
    return F.unfold(x, 5).transpose(1, 2)  # (images, 16 positions, 25 pixels)


patches_train, patches_test = patches(x_train), patches(x_test)

# %% A bank of 16 Gabor filters, 5×5: 4 orientations x 2 frequencies x (cosine, sine) phase.
gabors = []
for frequency in (0.15, 0.3):
    for theta in np.arange(4) * np.pi / 4:
        g = gabor_kernel(frequency, theta=theta, sigma_x=1.0, sigma_y=1.0, n_stds=2)
        gabors += [g.real, g.imag]
gabor_bank = torch.tensor(np.stack(gabors), dtype=torch.float32).reshape(16, 25)
gabor_bank /= gabor_bank.norm(dim=1, keepdim=True)  # unit length each


# %% Forty networks as one. Network i starts exactly like a fresh nn.Conv2d and nn.Linear made
# after torch.manual_seed(i); it sees its own mini-batches and has its own parameters.
class Heads(nn.Module):
    """One linear classifier per network: features (n, images, f) -> logits (n, images, 10)."""

    def __init__(self, linears):
        super().__init__()
        self.weight = nn.Parameter(torch.stack([lin.weight.detach() for lin in linears]))
        self.bias = nn.Parameter(torch.stack([lin.bias.detach() for lin in linears]))

    def forward(self, f):
        return f @ self.weight.transpose(1, 2) + self.bias[:, None]


class CNNs(nn.Module):
    """conv 5×5 (16 filters, output 4×4) -> BatchNorm -> ReLU -> linear, once per seed."""

    def __init__(self, seeds):
        super().__init__()
        convs, linears = [], []
        for seed in seeds:
            torch.manual_seed(seed)
            convs.append(nn.Conv2d(1, 16, 5))
            linears.append(nn.Linear(16 * 4 * 4, 10))
        n = len(seeds)
        self.filters = nn.Parameter(
            torch.stack([c.weight.detach().reshape(16, 25).T for c in convs])
        )
        self.bias = nn.Parameter(torch.stack([c.bias.detach() for c in convs])[:, None])
        # BatchNorm, written out: a scale γ and shift β per filter and network, and running
        # statistics for testing (what nn.BatchNorm2d keeps).
        self.gamma = nn.Parameter(torch.ones(n, 1, 16))
        self.beta = nn.Parameter(torch.zeros(n, 1, 16))
        self.register_buffer("running_mean", torch.zeros(n, 1, 16))
        self.register_buffer("running_var", torch.ones(n, 1, 16))
        self.momentum = 0.1
        self.head = Heads(linears)

    def features(self, p):  # p: (n, images, 16 positions, 25 pixels) -> (n, images, 256)
        n, b = p.shape[:2]
        z = p.reshape(n, b * 16, 25) @ self.filters + self.bias  # the convolution: (n, b·16, 16)
        if self.training:  # statistics of this batch, over images and positions, per filter
            mean = z.mean(1, keepdim=True)
            var = z.square().mean(1, keepdim=True) - mean.square()
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * b * 16 / (b * 16 - 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        scale = self.gamma / (var + 1e-5).sqrt()  # γ (z - mean) / std + β, as one multiply-add
        h = F.relu(torch.addcmul(self.beta - mean * scale, z, scale))
        return h.reshape(n, b, 16 * 16)

    def forward(self, p):
        return self.head(self.features(p))


def train(model, inputs):
    """Adam on all networks at once; inputs[i] holds network i's training inputs. The loss is the
    sum of each network's own mean loss, so each gets exactly the gradient it would get alone.
    Returns each network's mean training loss over the last epoch."""
    n = len(inputs)
    optimiser = Adam(model.parameters(), lr=LR)  # same numbers as torch.optim.Adam
    generators = [order_generator(seed) for seed in SEEDS]  # network i shuffles with seed i
    for _ in range(EPOCHS):
        order = torch.stack([torch.randperm(n_train, generator=g) for g in generators])
        epoch_loss = torch.zeros(n)
        for start in range(0, n_train, BATCH):
            batch = order[:, start : start + BATCH]  # (n, batch): each network's own images
            logits = model(inputs[torch.arange(n)[:, None], batch])  # (n, batch, 10)
            targets = y_train[batch]
            losses = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none").mean(1)
            optimiser.zero_grad()
            losses.sum().backward()
            optimiser.step()
            epoch_loss += losses.detach() * targets.shape[1] / n_train
    return epoch_loss.numpy()


def test_accuracy(logits):  # (n, images, 10) -> one accuracy per network
    return (logits.argmax(-1) == y_test).float().mean(1).numpy()


# %% Learned: everything is trained; BatchNorm uses each mini-batch's statistics.
learned = CNNs(SEEDS)
train_loss = {"learned": train(learned, patches_train.expand(n_seeds, -1, -1, -1))}
learned.eval()  # BatchNorm now uses its running statistics
with torch.no_grad():
    accuracy = {"learned": test_accuracy(learned(patches_test.expand(n_seeds, -1, -1, -1)))}


# %% Frozen filters (random, or the Gabor bank) with a frozen BatchNorm (γ = 1, β = 0) compute
# the same features at every step, so compute them once: one pass over the whole training set in
# training mode (BatchNorm's statistics are then those of the whole set), then train only the
# forty classifiers on those features.
frozen = CNNs(SEEDS)  # the same random filters and classifiers the learned networks started from
gabor = CNNs(SEEDS)  # the same classifiers, but the Gabor bank as filters
with torch.no_grad():
    gabor.filters.copy_(gabor_bank.T)
    gabor.bias.zero_()
for name, net in {"random": frozen, "gabor": gabor}.items():
    net.momentum = 1.0  # keep exactly the statistics of the one pass
    with torch.no_grad():
        f_train = net.features(patches_train.expand(n_seeds, -1, -1, -1))
        net.eval()
        f_test = net.features(patches_test.expand(n_seeds, -1, -1, -1))
    train_loss[name] = train(net.head, f_train)
    if name == "random":
        f_random_test = f_test  # kept for the typical seed's McNemar test below
    with torch.no_grad():
        accuracy[name] = test_accuracy(net.head(f_test))

# %% Reference point without any convolution: a linear classifier on the 64 raw pixels.
linears = []
for seed in SEEDS:
    torch.manual_seed(seed)
    linears.append(nn.Linear(64, 10))
pixel_head = Heads(linears)
train_loss["pixels"] = train(pixel_head, x_train.flatten(1).expand(n_seeds, -1, -1))
with torch.no_grad():
    accuracy["pixels"] = test_accuracy(pixel_head(x_test.flatten(1).expand(n_seeds, -1, -1)))

# %% Mean ± sd over the seeds, and each comparison seed by seed.
ROWS = {  # key: (what is trained, trainable parameters of one network)
    "random": ("random filters, frozen; train the classifier", 256 * 10 + 10),
    "gabor": ("Gabor bank, frozen; train the classifier", 256 * 10 + 10),
    "learned": ("learned filters: train everything", 16 * 25 + 16 + 2 * 16 + 256 * 10 + 10),
    "pixels": ("no convolution: linear classifier on the raw pixels", 64 * 10 + 10),
}
trainable = {name: n for name, (_, n) in ROWS.items()}
assert trainable["learned"] == sum(p.numel() for p in learned.parameters()) // n_seeds
mean = {name: float(a.mean()) for name, a in accuracy.items()}
sd = {name: float(a.std(ddof=1)) for name, a in accuracy.items()}
final_train_loss = {name: float(loss.mean()) for name, loss in train_loss.items()}
# Two rows compared seed by seed: row A's accuracy minus row B's, in percentage points.
comparison = {
    f"{a}_{b}": paired(100 * accuracy[a], 100 * accuracy[b])
    for a, b in [
        ("learned", "random"),
        ("learned", "gabor"),
        ("random", "gabor"),
        ("random", "pixels"),
        ("learned", "pixels"),
    ]
}
# How far did learning move the filters from their random start? BatchNorm undoes any change of a
# filter's scale, so compare shapes: the cosine similarity of each learned filter with its start.
with torch.no_grad():
    start_similarity = float(F.cosine_similarity(learned.filters, frozen.filters, dim=1).mean())
    growth = float((learned.filters.norm(dim=1) / frozen.filters.norm(dim=1)).mean())
accuracy_table = "\n".join(
    [
        "| what is trained | trainable parameters | training loss, last epoch "
        f"| test accuracy (mean ± sd over {n_seeds} seeds) |",
        "|---|---:|---:|---:|",
    ]
    + [
        f"| {label} | {trainable[name]:,} | {final_train_loss[name]:.3f} "
        f"| {mean[name]:.1%} ± {sd[name]:.1%} |"
        for name, (label, _) in ROWS.items()
    ]
)
print(accuracy_table)
for pair in comparison:
    verdict = comparison[pair]["verdict"]
    print(f"{pair}: {describe(comparison[pair], unit=1, digits=2)} points, {verdict}")

# What this run shows (Adam, lr 0.05, batch 128, 10 epochs), and what it does not:
assert mean["random"] > 0.95 and mean["gabor"] > 0.95  # fixed filters carry most of it
verdicts = {pair: c["verdict"] for pair, c in comparison.items()}
assert verdicts["random_pixels"] == verdicts["learned_pixels"] == "higher"  # convolution helps
assert verdicts["learned_random"] == "higher"  # learning the filters helps ...
assert comparison["learned_random"]["mean"] < 1  # ... by less than one point
assert verdicts["random_gabor"] == "higher"  # the Gabor bank trails ...
assert final_train_loss["gabor"] > 2 * final_train_loss["random"]  # ... and fits less well

# %% The filters of a typical seed: the one whose learned accuracy is closest to the median.
typical = int(np.argmin(np.abs(accuracy["learned"] - np.median(accuracy["learned"]))))
typical_seed = SEEDS[typical]
# This one pair of classifiers is scored on the same 450 test digits: McNemar's exact test counts
# the digits that only one of the two gets right.
with torch.no_grad():
    right_learned = learned(patches_test.expand(n_seeds, -1, -1, -1))[typical].argmax(-1) == y_test
    right_random = frozen.head(f_random_test)[typical].argmax(-1) == y_test
typical_mcnemar = mcnemar(right_learned.numpy(), right_random.numpy())
print(f"seed {typical_seed}, learned vs random on the same test digits: {typical_mcnemar}")


def mosaic(filters, columns=8):  # (25, 16) -> rows of 5×5 tiles, each scaled to its own range
    tiles = filters.detach().T.reshape(16, 5, 5)
    low, high = tiles.amin((1, 2), keepdim=True), tiles.amax((1, 2), keepdim=True)
    tiles = F.pad((tiles - low) / (high - low), (0, 1, 0, 1), value=float("nan"))  # gaps
    grid = tiles.reshape(-1, columns, 6, 6).permute(0, 2, 1, 3).reshape(-1, columns * 6)
    return grid[:-1, :-1].numpy()


shown = {
    "random\n(frozen)": frozen.filters[typical],
    "Gabor\n(frozen)": gabor.filters[typical],
    "learned": learned.filters[typical],
}
fig, axes = plt.subplots(3, 1, figsize=(4.6, 3.9))
for ax, (label, filters) in zip(axes, shown.items(), strict=True):
    ax.imshow(mosaic(filters), cmap="gray")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    ax.set_frame_on(False)
fig.suptitle(
    f"The 5×5 filters after training (seed {typical_seed}):\nrandom and Gabor were frozen",
    fontsize=9,
)
fig.tight_layout()
plt.show()
