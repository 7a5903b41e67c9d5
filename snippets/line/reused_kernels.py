"""Kernels learned on one task, frozen, and reused on another.

Ten small networks (8 kernels of 5 × 5, ReLU, 2 × 2 max-pooling, a linear classifier), trained
as one, learn the digits 0-4 (task A). Their kernels are then frozen and reused for the digits
5-9 (task B), where only a new classifier is trained, on 5 or 20 labelled images per class. Two
references: random kernels, frozen, and kernels learned on task B itself.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
generator = torch.Generator().manual_seed(0)
digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float32).unsqueeze(1)
labels = torch.tensor(digits.target)
train_index, test_index = train_test_split(
    np.arange(len(labels)), test_size=0.3, random_state=0, stratify=digits.target
)
SEEDS, KERNELS, LR, BATCH = 10, 8, 0.01, 128
EPOCHS_A, EPOCHS_B = 10, 60


def uniform(shape, fan_in):
    """PyTorch's default initialisation: uniform within +-1/sqrt(fan_in)."""
    return (torch.rand(shape, generator=generator) * 2 - 1) / math.sqrt(fan_in)


def first_layer(x, kernels, bias):
    """SEEDS networks at once: their SEEDS * 8 kernels are the output channels of one conv."""
    h = F.max_pool2d(F.relu(F.conv2d(x, kernels, bias, padding=2)), 2)  # (batch, SEEDS * 8, 4, 4)
    return h.view(len(x), SEEDS, KERNELS * 16).transpose(0, 1)  # (SEEDS, batch, 128)


def forward(x, kernels, bias, weight, weight_bias):
    return first_layer(x, kernels, bias) @ weight + weight_bias  # (SEEDS, batch, 5)


def train(x, y, kernels, bias, epochs, learn_kernels):
    """A new classifier for each network; the kernels are trained only if `learn_kernels`."""
    weight, weight_bias = uniform((SEEDS, KERNELS * 16, 5), 128), uniform((SEEDS, 1, 5), 128)
    trained = [weight, weight_bias] + ([kernels, bias] if learn_kernels else [])
    optimiser = torch.optim.Adam([p.requires_grad_() for p in trained], lr=LR)
    if not learn_kernels:  # frozen kernels: their output never changes, compute it once
        with torch.no_grad():
            frozen_features = first_layer(x, kernels, bias)
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(BATCH):
            if learn_kernels:
                logits = forward(x[batch], kernels, bias, weight, weight_bias)
            else:
                logits = frozen_features[:, batch] @ weight + weight_bias
            loss = F.cross_entropy(logits.reshape(-1, 5), y[batch].repeat(SEEDS))
            optimiser.zero_grad()
            (loss * SEEDS).backward()  # the sum of the networks' losses
            optimiser.step()
    return weight.detach(), weight_bias.detach()


def accuracy(x, y, *network):
    with torch.no_grad():
        return (forward(x, *network).argmax(dim=2) == y).float().mean(dim=1).numpy()


# %% [markdown]
# ## Task A: digits 0-4

# %%
task_a = train_index[digits.target[train_index] < 5]
kernels_a, bias_a = uniform((SEEDS * KERNELS, 1, 5, 5), 25), uniform(SEEDS * KERNELS, 25)
head_a = train(images[task_a], labels[task_a], kernels_a, bias_a, EPOCHS_A, learn_kernels=True)
kernels_a, bias_a = kernels_a.detach(), bias_a.detach()
test_a = test_index[digits.target[test_index] < 5]
task_a_accuracy = float(accuracy(images[test_a], labels[test_a], kernels_a, bias_a, *head_a).mean())

# %% [markdown]
# ## Task B: digits 5-9, few labels; every image of 5-9 not used for training is a test image

# %%
fives_to_nines = train_index[digits.target[train_index] >= 5]
conditions = {
    "reused": "kernels from task A, frozen",
    "random": "random kernels, frozen",
    "learned": "kernels learned on task B",
}
labels_per_class = [5, 20]
results = {}
for n in labels_per_class:
    chosen = np.concatenate(
        [fives_to_nines[digits.target[fives_to_nines] == d][:n] for d in range(5, 10)]
    )
    test_b = np.setdiff1d(np.flatnonzero(digits.target >= 5), chosen)
    x, y = images[chosen], labels[chosen] - 5
    random_kernels, random_bias = uniform(kernels_a.shape, 25), uniform(SEEDS * KERNELS, 25)
    for condition in conditions:
        if condition == "reused":
            kernels, bias = kernels_a.clone(), bias_a.clone()
        else:
            kernels, bias = random_kernels.clone(), random_bias.clone()
        before = kernels.clone()
        head = train(x, y, kernels, bias, EPOCHS_B, learn_kernels=condition == "learned")
        assert torch.equal(kernels, before) == (condition != "learned")  # frozen means unchanged
        results[n, condition] = accuracy(
            images[test_b], labels[test_b] - 5, kernels.detach(), bias.detach(), *head
        )
n_test_b = len(test_b)

mean = {f"{n}": {c: float(results[n, c].mean()) for c in conditions} for n in labels_per_class}
sd = {f"{n}": {c: float(results[n, c].std(ddof=1)) for c in conditions} for n in labels_per_class}
binomial_se = {k: math.sqrt(m["reused"] * (1 - m["reused"]) / n_test_b) for k, m in mean.items()}
reuse_table = "| first layer on task B | " + " | ".join(
    f"{n} labels per class" for n in labels_per_class
)
reuse_table += " |\n|---|---:|---:|\n"
for c, label in conditions.items():
    reuse_table += (
        f"| {label} | " + " | ".join(f"{mean[k][c]:.1%} ± {sd[k][c]:.1%}" for k in mean) + " |\n"
    )
print(f"task A (digits 0-4): {task_a_accuracy:.1%} test accuracy, mean of {SEEDS} networks")
print(f"task B (digits 5-9), mean ± sd over {SEEDS} networks, {n_test_b} test images:")
print(reuse_table)
print("binomial standard error of one accuracy:", {k: f"{v:.1%}" for k, v in binomial_se.items()})

# What the data show. At both label counts the order is random < reused < learned on task B,
# all within a few points.
for k in mean:
    assert mean[k]["random"] < mean[k]["reused"] < mean[k]["learned"]
    assert mean[k]["learned"] - mean[k]["random"] < 0.04
gap = {
    k: {
        "reused_vs_random": m["reused"] - m["random"],
        "learned_vs_reused": m["learned"] - m["reused"],
    }
    for k, m in mean.items()
}


def established(k, better, worse):
    """A gap counts only if it exceeds the test set's sampling error and both seed spreads."""
    gap = mean[k][better] - mean[k][worse]
    return gap > max(binomial_se[k], sd[k][better], sd[k][worse])


# With 20 labels per class the reused kernels beat random ones, and are not distinguishable
# from kernels learned on task B. With 5 it is the other way round: reused kernels are not
# distinguishable from random ones, and kernels learned on the 25 images of task B beat both.
assert established("20", "reused", "random") and not established("20", "learned", "reused")
assert not established("5", "reused", "random") and established("5", "learned", "reused")

# %% The kernels one network learned on task A (all frozen for task B)
kernels_0 = kernels_a[:KERNELS, 0]  # network 0's kernels, learned on task A
lim = kernels_0.abs().max().item()
fig, axes = plt.subplots(2, 4, figsize=(4.2, 2.5), layout="constrained")
for ax, kernel in zip(axes.flat, kernels_0, strict=True):
    ax.imshow(kernel.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("kernels learned on digits 0-4 (network 0),\nthen frozen for digits 5-9", fontsize=10)

# %% Accuracy on task B: each dot one network, black squares mean ± sd
fig, ax = plt.subplots(figsize=(4.6, 3.3), layout="constrained")
colours = {"reused": "tab:orange", "random": "tab:gray", "learned": "tab:blue"}
for i, c in enumerate(conditions):
    for j, n in enumerate(labels_per_class):
        x_position = j * 4 + i
        ax.plot(np.full(SEEDS, x_position), results[n, c], "o", ms=3, alpha=0.6, color=colours[c])
        ax.errorbar(x_position + 0.25, mean[f"{n}"][c], sd[f"{n}"][c], fmt="s", ms=4, color="k")
ax.set_xticks([1, 5], [f"{n} labels per class" for n in labels_per_class])
ax.set_ylabel("accuracy on digits 5-9")
handles = [plt.Line2D([], [], marker="o", ls="", color=colours[c]) for c in conditions]
ax.legend(handles, list(conditions.values()), fontsize=9, loc="lower right")
plt.show()
