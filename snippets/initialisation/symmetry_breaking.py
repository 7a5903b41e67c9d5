"""Symmetry breaking: kernels that start identical stay identical under gradient descent.

A small CNN learns to classify 8×8 digits twice: once with all eight first-layer filters (and all
second-layer filters) set to the same values, once with PyTorch's random initialisation. With the
identical start, every filter receives exactly the same gradient at every step, so after training
the eight filters are still one filter repeated eight times. Random starting values break the tie.
(The input has one channel, so each first-layer filter is a single 3×3 kernel.)

Needs: pip install matplotlib==3.11.2 scikit-learn==1.9.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
torch.manual_seed(0)
digits = load_digits()
x = torch.tensor(digits.images[:500], dtype=torch.float32).unsqueeze(1) / 16.0  # (500, 1, 8, 8)
y = torch.tensor(digits.target[:500])


def make_net():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),  # 8 filters, each one 3×3 kernel
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8×8 -> 4×4
        nn.Conv2d(8, 8, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),  # 8 maps of 4×4 -> 128 numbers
        nn.Linear(8 * 4 * 4, 10),
    )


STEPS, LR = 100, 0.5


def train(net):
    for _ in range(STEPS):  # full-batch gradient descent: no randomness in the updates
        net.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= LR * p.grad  # plain gradient descent, what torch.optim.SGD(lr=LR) does
    return loss.item()


# %% Identical start: every kernel of a layer (and its bias) gets the same numbers.
symmetric = make_net()
with torch.no_grad():
    for layer in (symmetric[0], symmetric[3]):
        layer.weight.copy_(layer.weight[:1, :1].expand_as(layer.weight))  # one 3×3 kernel
        layer.bias.fill_(layer.bias[0].item())
    # The head must not distinguish the channels either: same weight for every channel.
    head = symmetric[6].weight.view(10, 8, 16)
    head.copy_(head[:, :1, :].expand_as(head))
symmetric_loss = train(symmetric)

random_start = make_net()  # PyTorch's default random initialisation
random_loss = train(random_start)

# %% After training: how different are the eight first-layer filters from filter 0?
kernels_symmetric = symmetric[0].weight.detach()[:, 0]
kernels_random = random_start[0].weight.detach()[:, 0]
spread_symmetric = (kernels_symmetric - kernels_symmetric[0]).abs().max().item()
spread_random = (kernels_random - kernels_random[0]).abs().max().item()
print(
    f"identical start: largest difference between kernels {spread_symmetric:.2e}, "
    f"final loss {symmetric_loss:.3f}"
)
print(
    f"random start:    largest difference between kernels {spread_random:.2e}, "
    f"final loss {random_loss:.3f}"
)
assert spread_symmetric == 0.0  # bit-for-bit identical after every step
assert spread_random > 0.1
assert random_loss < symmetric_loss  # eight copies of one filter are worth one filter

# %% The first-layer kernels of both networks after training.
fig, axes = plt.subplots(2, 8, figsize=(8, 2.6))
for row, (kernels, name) in enumerate(
    [(kernels_symmetric, "identical start"), (kernels_random, "random start")]
):
    for k in range(8):
        ax = axes[row, k]
        ax.imshow(kernels[k].numpy(), cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        if row == 0:
            ax.set_title(f"filter {k}", fontsize=8)
    axes[row, 0].set_ylabel(name, fontsize=8)
fig.suptitle(f"First-layer filters (one 3×3 kernel each) after {STEPS} steps of gradient descent")
fig.tight_layout()
plt.show()
