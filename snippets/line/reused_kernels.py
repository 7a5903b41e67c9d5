"""Kernels learned on one task, frozen, and reused on another.

Small networks (8 kernels of 5 × 5, ReLU, 2 × 2 max-pooling, a linear classifier), one per seed
and trained side by side, learn the digits 0-4 (task A). Their kernels are then frozen and reused
for the digits 5-9 (task B), where only a new classifier is trained, on 5 or 20 labelled images
per class. Two references: random kernels, frozen, and kernels learned on task B itself. Each
seed draws its own starts, batch orders and task-B training images, shared by the three
conditions, which are compared seed by seed (`paired.py`).

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from paired import describe, paired, seeds
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float32).unsqueeze(1)
labels = torch.tensor(digits.target)
train_index, test_index = train_test_split(
    np.arange(len(labels)), test_size=0.3, random_state=0, stratify=digits.target
)
SEEDS = seeds(30)  # seeds 0-29, or from FIRST_SEED on
N_SEEDS, KERNELS, LR, BATCH = len(SEEDS), 8, 0.01, 128
EPOCHS_A, EPOCHS_B = 10, 60
generators = [torch.Generator().manual_seed(seed) for seed in SEEDS]  # one per seed


def uniform(shape, fan_in):
    """PyTorch's default initialisation, uniform within +-1/sqrt(fan_in): one draw per seed,
    stacked along the first dimension."""
    draws = [torch.rand(shape, generator=g) * 2 - 1 for g in generators]
    return torch.stack(draws) / math.sqrt(fan_in)


def first_layer(x, kernels, bias):
    """x: (seeds, batch, 1, 8, 8), each seed its own images. The seeds' networks run as one
    grouped convolution: seed s's 8 kernels see only channel s."""
    b = x.shape[1]
    h = F.conv2d(
        # channels-last memory makes this grouped convolution about twice as fast on a CPU
        x.squeeze(2).transpose(0, 1).contiguous(memory_format=torch.channels_last),
        kernels.flatten(0, 1),
        bias.flatten(),
        padding=2,
        groups=N_SEEDS,
    )
    h = F.max_pool2d(F.relu(h), 2)  # (batch, SEEDS * 8, 4, 4)
    return h.reshape(b, N_SEEDS, KERNELS * 16).transpose(0, 1)  # (SEEDS, batch, 128)


def train(index, y, kernels, bias, epochs, learn_kernels):
    """A new classifier for each seed's network, trained on images[index[s]] (labels y[s]); the
    kernels are trained too if `learn_kernels`. Each seed shuffles with its own generator."""
    weight, weight_bias = uniform((KERNELS * 16, 5), 128), uniform((1, 5), 128)
    trained = [weight, weight_bias] + ([kernels, bias] if learn_kernels else [])
    optimiser = torch.optim.Adam([p.requires_grad_() for p in trained], lr=LR)
    if not learn_kernels:  # frozen kernels: their output never changes, compute it once
        with torch.no_grad():
            frozen_features = first_layer(images[index], kernels, bias)
    for _ in range(epochs):
        order = torch.stack([torch.randperm(index.shape[1], generator=g) for g in generators])
        for batch in order.split(BATCH, dim=1):
            if learn_kernels:
                h = first_layer(images[index.gather(1, batch)], kernels, bias)
            else:
                h = frozen_features.gather(1, batch[..., None].expand(-1, -1, KERNELS * 16))
            logits = h @ weight + weight_bias
            loss = F.cross_entropy(logits.flatten(0, 1), y.gather(1, batch).flatten())
            optimiser.zero_grad()
            (loss * N_SEEDS).backward()  # the sum of the networks' losses
            optimiser.step()
    return weight.detach(), weight_bias.detach()


def accuracy(index, y, kernels, bias, weight, weight_bias):
    """Each seed's network on its own test images images[index[s]], labels y[s]."""
    with torch.no_grad():
        logits = first_layer(images[index], kernels, bias) @ weight + weight_bias
        return (logits.argmax(dim=2) == y).float().mean(dim=1).numpy()


# %% [markdown]
# ## Task A: digits 0-4

# %%
task_a = torch.from_numpy(train_index[digits.target[train_index] < 5]).expand(N_SEEDS, -1)
kernels_a, bias_a = uniform((KERNELS, 1, 5, 5), 25), uniform((KERNELS,), 25)
head_a = train(task_a, labels[task_a], kernels_a, bias_a, EPOCHS_A, learn_kernels=True)
kernels_a, bias_a = kernels_a.detach(), bias_a.detach()
test_a = torch.from_numpy(test_index[digits.target[test_index] < 5]).expand(N_SEEDS, -1)
task_a_accuracy = float(accuracy(test_a, labels[test_a], kernels_a, bias_a, *head_a).mean())

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
    chosen, tests = [], []
    for g in generators:  # each seed draws its own n training images per digit
        mine = []
        for d in range(5, 10):
            of_digit = fives_to_nines[digits.target[fives_to_nines] == d]
            mine.append(of_digit[torch.randperm(len(of_digit), generator=g)[:n].numpy()])
        chosen.append(np.concatenate(mine))
        tests.append(np.setdiff1d(np.flatnonzero(digits.target >= 5), chosen[-1]))
    chosen, test_b = torch.from_numpy(np.stack(chosen)), torch.from_numpy(np.stack(tests))
    random_kernels, random_bias = uniform((KERNELS, 1, 5, 5), 25), uniform((KERNELS,), 25)
    for condition in conditions:
        if condition == "reused":
            kernels, bias = kernels_a.clone(), bias_a.clone()
        else:
            kernels, bias = random_kernels.clone(), random_bias.clone()
        before = kernels.clone()
        head = train(chosen, labels[chosen] - 5, kernels, bias, EPOCHS_B, condition == "learned")
        assert torch.equal(kernels, before) == (condition != "learned")  # frozen means unchanged
        results[n, condition] = accuracy(
            test_b, labels[test_b] - 5, kernels.detach(), bias.detach(), *head
        )
n_test_b = test_b.shape[1]

mean = {f"{n}": {c: float(results[n, c].mean()) for c in conditions} for n in labels_per_class}
sd = {f"{n}": {c: float(results[n, c].std(ddof=1)) for c in conditions} for n in labels_per_class}
reuse_table = "| first layer on task B | " + " | ".join(
    f"{n} labels per class" for n in labels_per_class
)
reuse_table += " |\n|---|---:|---:|\n"
for c, label in conditions.items():
    reuse_table += (
        f"| {label} | " + " | ".join(f"{mean[k][c]:.1%} ± {sd[k][c]:.1%}" for k in mean) + " |\n"
    )
# The comparisons, seed by seed (the same test images within a seed): paired differences
comparison = {
    f"{n}": {
        "reused_random": paired(results[n, "reused"], results[n, "random"]),
        "learned_reused": paired(results[n, "learned"], results[n, "reused"]),
        "learned_random": paired(results[n, "learned"], results[n, "random"]),
    }
    for n in labels_per_class
}
print(f"task A (digits 0-4): {task_a_accuracy:.1%} test accuracy, mean of {N_SEEDS} networks")
print(
    f"task B (digits 5-9), mean ± sd over {N_SEEDS} seeds from {SEEDS[0]}, {n_test_b} test images:"
)
print(reuse_table)
for k, pairs in comparison.items():
    for name, result in pairs.items():
        print(f"{k:>2} labels per class, {name:15s} {describe(result)} {result['verdict']}")

# What holds on two disjoint batches of seeds: with 20 labels per class, random < reused <
# learned on task B, each step established; with 5, reused kernels beat random ones, but kernels
# learned on the 25 images of task B are not established to beat the reused ones.
verdicts = {k: {name: r["verdict"] for name, r in pairs.items()} for k, pairs in comparison.items()}
assert verdicts["20"] == dict.fromkeys(
    ["reused_random", "learned_reused", "learned_random"], "higher"
)
assert verdicts["5"] == {
    "reused_random": "higher",
    "learned_reused": "not established",
    "learned_random": "higher",
}
for k in mean:  # all within a few points
    assert mean[k]["learned"] - mean[k]["random"] < 0.04

# %% The kernels one network learned on task A (all frozen for task B)
kernels_0 = kernels_a[0, :, 0]  # the first seed's kernels, learned on task A
lim = kernels_0.abs().max().item()
fig, axes = plt.subplots(2, 4, figsize=(4.2, 2.5), layout="constrained")
for ax, kernel in zip(axes.flat, kernels_0, strict=True):
    ax.imshow(kernel.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("kernels learned on digits 0-4 (first seed),\nthen frozen for digits 5-9", fontsize=10)

# %% Accuracy on task B: each dot one network, black squares mean ± sd
fig, ax = plt.subplots(figsize=(4.6, 3.3), layout="constrained")
colours = {"reused": "tab:orange", "random": "tab:gray", "learned": "tab:blue"}
for i, c in enumerate(conditions):
    for j, n in enumerate(labels_per_class):
        x_position = j * 4 + i
        ax.plot(np.full(N_SEEDS, x_position), results[n, c], "o", ms=3, alpha=0.6, color=colours[c])
        ax.errorbar(x_position + 0.25, mean[f"{n}"][c], sd[f"{n}"][c], fmt="s", ms=4, color="k")
ax.set_xticks([1, 5], [f"{n} labels per class" for n in labels_per_class])
ax.set_ylabel("accuracy on digits 5-9")
handles = [plt.Line2D([], [], marker="o", ls="", color=colours[c]) for c in conditions]
ax.legend(handles, list(conditions.values()), fontsize=9, loc="lower right")
plt.show()
