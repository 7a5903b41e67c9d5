"""A tiny CNN on the 8 × 8 digits, three ways: what the page's digits learner computes.

Four 3 × 3 kernels, ReLU, 2 × 2 max pooling and a linear layer read 8 × 8 handwritten digits.
The same network is trained three times from the same random start with `torch.optim.SGD`:
with every weight learned, with the kernels kept at their random start (only the rest learns),
and with the kernels fixed to a hand-made bank (Sobel x, Sobel y, Laplacian, Gaussian). The
figure shows the four kernels of each network after training. The script writes the digits, the
start and the bank to `digits_cnn.json`, which the page loads.

Needs: pip install matplotlib==3.11.2 scikit-learn==1.9.1 torch==2.13.0
"""

# %%
import json

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

digits = load_digits()
images = torch.tensor(digits.images / 16, dtype=torch.float64)[:, None]  # (1797, 1, 8, 8)
labels = torch.tensor(digits.target)
n_train = 1297  # the first 1297 digits train, the last 500 test
batch_size, lr, epochs = 50, 0.5, 10
steps = epochs * -(-n_train // batch_size)  # batches per epoch, rounded up

seed = 0
torch.manual_seed(seed)
conv = torch.nn.Conv2d(1, 4, kernel_size=3).double()  # 8 × 8 -> 6 × 6, four feature maps
head = torch.nn.Linear(4 * 3 * 3, 10).double()  # after 2 × 2 max pooling: 4 × 3 × 3
start = {
    name: p.detach().clone()
    for name, p in [*conv.named_parameters("conv"), *head.named_parameters("head")]
}
gaussian = torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16
bank = torch.stack(
    [
        torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]),  # Sobel x
        torch.tensor([[-1.0, -2, -1], [0, 0, 0], [1, 2, 1]]),  # Sobel y
        torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]),  # Laplacian
        gaussian,
    ]
).double()[:, None]

with open("digits_cnn.json", "w") as file:
    json.dump(
        {
            "images": digits.images.astype(int).flatten().tolist(),  # 0 … 16
            "labels": digits.target.tolist(),
            "n_train": n_train,
            "batch_size": batch_size,
            "lr": lr,
            "steps": steps,
            "seed": seed,
            "bank": bank.flatten().tolist(),
            "start": {name: p.flatten().tolist() for name, p in start.items()},
        },
        file,
        separators=(",", ":"),
    )


# %%
def forward(params, x):
    features = F.max_pool2d(F.relu(F.conv2d(x, params["conv.weight"], params["conv.bias"])), 2)
    return F.linear(features.flatten(1), params["head.weight"], params["head.bias"])


def train(kernels, learn_kernels, steps):
    """Mini-batch SGD over the training digits in order (no shuffling), batch after batch."""
    params = {name: p.clone() for name, p in start.items()}
    params["conv.weight"] = kernels.clone()
    learned = [p for name, p in params.items() if learn_kernels or name != "conv.weight"]
    for p in learned:
        p.requires_grad_(True)
    optimizer = torch.optim.SGD(learned, lr=lr)
    for step in range(steps):
        first = (step * batch_size) % n_train
        batch = slice(first, min(first + batch_size, n_train))
        loss = F.cross_entropy(forward(params, images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        predicted = forward(params, images[n_train:]).argmax(1)
    return params, (predicted == labels[n_train:]).double().mean().item()


runs = {
    "learned": train(start["conv.weight"], True, steps),
    "random": train(start["conv.weight"], False, steps),  # kernels kept at their random start
    "bank": train(bank, False, steps),  # kernels fixed to the hand-made bank
}
accuracy = {name: round(acc, 3) for name, (_, acc) in runs.items()}
print(f"test accuracy after {steps} steps (one seed, see chapter 6 for many):", accuracy)
assert torch.equal(runs["random"][0]["conv.weight"], start["conv.weight"])
assert all(acc > 0.5 for acc in accuracy.values())  # every variant learns something

# %%
fig, axes = plt.subplots(3, 4, figsize=(5, 4))
for row, (name, (params, acc)) in zip(axes, runs.items(), strict=True):
    kernels = params["conv.weight"].detach()[:, 0]
    for ax, kernel in zip(row, kernels, strict=True):
        limit = kernel.abs().max().item()
        ax.imshow(kernel.numpy(), cmap="coolwarm", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
    title = {"learned": "learned", "random": "kept random", "bank": "fixed bank"}[name]
    row[0].set_ylabel(f"{title}\n{acc:.0%}", fontsize=8, rotation=0, ha="right", va="center")
fig.tight_layout()
plt.show()
