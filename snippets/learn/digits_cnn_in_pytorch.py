"""A tiny CNN on the 8 × 8 digits, three ways: what the page's digits learner computes.

A few 3 × 3 kernels, ReLU, 2 × 2 max pooling and a linear layer read 8 × 8 handwritten digits.
The same network is trained three times from the same random start with `torch.optim.SGD`:
with every weight learned, with the kernels kept at their random start (only the rest learns),
and with the kernels fixed to a hand-made bank (Sobel x, Sobel y, Laplacian, Gaussian, then the
diagonal Sobels, a Laplacian with diagonals and a box blur). A seed draws the start and the order
of the mini-batches from one small generator (mulberry32) that the page implements too, so the
page can train any seed exactly as this script does. The figure shows the kernels of one seed
after training; ten seeds then compare the three ways. The script writes the digits and the
bank to `digits_cnn.json`, which the page loads.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import json
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from paired import paired, seeds
from sklearn.datasets import load_digits

digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float64)  # (1797, 8, 8), 0 … 1
labels = torch.tensor(digits.target)
n_train = 1297  # the first 1297 digits train, the last 500 are held out (a fixed test set)
batch_size, epochs = 50, 10
per_epoch = -(-n_train // batch_size)  # mini-batches per epoch, the last one smaller
steps = epochs * per_epoch
seed, lr, n_kernels = 0, 0.5, 4  # the page starts with these; its controls change them

BANK = {  # the fixed kernels, in this order: the first n_kernels are used
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "Laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "Gaussian": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "Sobel 45°": [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]],
    "Sobel 135°": [[-2, -1, 0], [-1, 0, 1], [0, 1, 2]],
    "Laplacian with diagonals": [[1, 1, 1], [1, -8, 1], [1, 1, 1]],
    "Box blur": [[1 / 9] * 3] * 3,
}
bank = torch.tensor(list(BANK.values()), dtype=torch.float64)  # (8, 3, 3)

with open("digits_cnn.json", "w") as file:
    json.dump(
        {
            "images": digits.images.astype(int).flatten().tolist(),  # 0 … 16
            "labels": digits.target.tolist(),
            "n_train": n_train,
            "batch_size": batch_size,
            "epochs": epochs,
            "seed": seed,
            "lr": lr,
            "n_kernels": n_kernels,
            "bank": bank.flatten().tolist(),
            "bank_names": list(BANK),
        },
        file,
        separators=(",", ":"),
    )


# %% One seeded generator that JavaScript computes too (the page's mulberry32, 32-bit integers)
def mulberry32(seed):
    """Uniform numbers in [0, 1), the same sequence as the page's mulberry32(seed)."""
    state = seed & 0xFFFFFFFF

    def imul(a, b):  # JavaScript's Math.imul: the low 32 bits of the product
        return (a * b) & 0xFFFFFFFF

    def random():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = imul(state ^ (state >> 15), state | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return (t ^ (t >> 14)) / 4294967296

    return random


def draws(seed, n_kernels):
    """Everything random in a run: the start, then one shuffle of the training digits per epoch.

    The start follows PyTorch's default initialisation of Conv2d and Linear: weight and bias
    uniform in ±1/sqrt(fan_in) (kaiming_uniform with a = √5 gives that bound for the weight),
    fan_in = 3 · 3 for the kernels and n_kernels · 3 · 3 for the linear layer.
    """
    random = mulberry32(seed)

    def uniform(shape, fan_in):
        bound = 1 / math.sqrt(fan_in)
        values = [(2 * random() - 1) * bound for _ in range(math.prod(shape))]
        return torch.tensor(values, dtype=torch.float64).reshape(shape)

    start = {
        "conv.weight": uniform((n_kernels, 3, 3), 9),
        "conv.bias": uniform((n_kernels,), 9),
        "head.weight": uniform((10, n_kernels * 9), n_kernels * 9),
        "head.bias": uniform((10,), n_kernels * 9),
    }
    orders = []
    for _ in range(epochs):  # Fisher–Yates, from the last position down
        order = list(range(n_train))
        for i in range(n_train - 1, 0, -1):
            j = int(random() * (i + 1))
            order[i], order[j] = order[j], order[i]
        orders.append(order)
    return start, torch.tensor(orders)


# %% The network, for many seeds at once (a leading seed axis on every parameter)
patches = F.unfold(images[:, None], 3).transpose(1, 2)  # (1797, 36, 9): 3 × 3 patches, row-wise


def forward(params, x):
    """x: (seeds, digits, 36, 9) patches -> (seeds, digits, 10) logits."""
    kernels = params["conv.weight"].flatten(2).transpose(1, 2)[:, None]  # (seeds, 1, 9, n)
    maps = F.relu(x @ kernels + params["conv.bias"][:, None, None])  # (seeds, digits, 36, n)
    s, b, _, n = maps.shape
    pooled = F.max_pool2d(maps.transpose(2, 3).reshape(s * b, n, 6, 6), 2)  # (s·b, n, 3, 3)
    return (
        pooled.reshape(s, b, n * 9) @ params["head.weight"].transpose(1, 2)
        + params["head.bias"][:, None]
    )


def train(run_seeds, lr=lr, n_kernels=n_kernels, steps=steps):
    """The three networks of each seed after `steps` steps of SGD: {way: (params, accuracy)}."""
    runs = [draws(s, n_kernels) for s in run_seeds]
    order = torch.stack([o for _, o in runs])  # (seeds, epochs, n_train)
    test = patches[n_train:].expand(len(runs), -1, -1, -1)
    results = {}
    for way in ("learned", "random", "bank"):
        params = {name: torch.stack([r[0][name] for r in runs]) for name in runs[0][0]}
        if way == "bank":
            params["conv.weight"] = bank[:n_kernels].expand(len(runs), -1, -1, -1).clone()
        trained = [p for name, p in params.items() if way == "learned" or name != "conv.weight"]
        for p in trained:
            p.requires_grad_(True)
        optimizer = torch.optim.SGD(trained, lr=lr)
        for step in range(steps):
            epoch, k = divmod(step, per_epoch)
            batch = order[:, epoch, k * batch_size : (k + 1) * batch_size]  # (seeds, digits)
            logits = forward(params, patches[batch])
            losses = F.cross_entropy(
                logits.flatten(0, 1), labels[batch].flatten(), reduction="none"
            )
            loss = losses.view(batch.shape).mean(1).sum()  # each seed's own mean loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            right = forward(params, test).argmax(-1) == labels[n_train:]
        results[way] = ({n: p.detach() for n, p in params.items()}, right.double().mean(1))
    return results


# %% Ten seeds, as the page's "10 seeds" button: each seed draws its own start and order
def ten_seeds(first_seed, lr=lr, n_kernels=n_kernels):
    """The three networks of seeds first_seed … first_seed + 9, and the paired differences of
    their held-out accuracies."""
    runs = train(range(first_seed, first_seed + 10), lr, n_kernels)
    acc = {way: a.numpy() for way, (_, a) in runs.items()}
    return runs, {
        "learned_random": paired(acc["learned"], acc["random"]),
        "learned_bank": paired(acc["learned"], acc["bank"]),
        "random_bank": paired(acc["random"], acc["bank"]),
    }


runs, comparison = ten_seeds(seeds(10)[0])  # seeds 0 … 9 (the page starts with seed 0)
accuracy = {way: round(acc[0].item(), 3) for way, (_, acc) in runs.items()}  # the first seed
spread = {
    way: {"mean": acc.mean().item(), "sd": acc.std().item()} for way, (_, acc) in runs.items()
}
print(f"first seed, held-out accuracy after {steps} steps:", accuracy)
print("ten seeds, mean ± sd:", {w: f"{s['mean']:.3f} ± {s['sd']:.3f}" for w, s in spread.items()})
for name, result in comparison.items():
    print(f"{name}: {result['mean']:+.4f} ± {result['se']:.4f} ({result['verdict']})")
kept = runs["random"][0]["conv.weight"][0]
assert torch.equal(kept, draws(seeds(10)[0], n_kernels)[0]["conv.weight"])  # never trained
assert all(acc.min() > 0.5 for _, acc in runs.values())  # every way learns something
assert comparison["learned_random"]["verdict"] == "higher"  # random kernels stay behind
assert comparison["learned_bank"]["verdict"] == "not established"  # one run can show either

# %%
fig, axes = plt.subplots(3, n_kernels, figsize=(1.25 * n_kernels, 4), squeeze=False)
for row, (way, (params, acc)) in zip(axes, runs.items(), strict=True):  # the first seed
    for ax, kernel in zip(row, params["conv.weight"][0], strict=True):
        limit = kernel.abs().max().item()
        ax.imshow(kernel.numpy(), cmap="coolwarm", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
    title = {"learned": "learned", "random": "kept random", "bank": "fixed bank"}[way]
    row[0].set_ylabel(
        f"{title}\n{acc[0].item():.0%}", fontsize=8, rotation=0, ha="right", va="center"
    )
fig.tight_layout()
plt.show()
