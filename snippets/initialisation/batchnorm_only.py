"""Training only BatchNorm on top of random kernels: how far do two numbers per channel go?

Everything is frozen at its random initialisation (the 5×5 kernels and the final linear layer)
except BatchNorm's scale γ and shift β, one pair per channel. With more random channels there are
more random features to scale and shift, and more trainable pairs. Test accuracy on 8×8 digits
for several widths, three seeds each.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split(
    digits.images / 16.0, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)
x_train, x_test = (torch.tensor(a, dtype=torch.float32).unsqueeze(1) for a in (x_train, x_test))
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
WIDTHS, SEEDS, EPOCHS, BATCH, LR = (16, 64, 128), range(3), 10, 128, 0.05


def batchnorm_only(width, seed):
    torch.manual_seed(seed)
    conv = nn.Conv2d(1, width, 5, padding=2)  # random kernels, frozen: their output never
    with torch.no_grad():  # changes during training, so it is computed once
        z_train, z_test = conv(x_train), conv(x_test)
    batchnorm = nn.BatchNorm2d(width)  # γ = 1, β = 0 at the start; the only trained part
    rest = nn.Sequential(nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(width * 4 * 4, 10))
    rest.requires_grad_(False)  # the classifier stays at its random initialisation
    optimiser = torch.optim.Adam(batchnorm.parameters(), lr=LR)
    for _ in range(EPOCHS):
        batchnorm.train()
        for batch in torch.randperm(len(z_train)).split(BATCH):
            optimiser.zero_grad()
            F.cross_entropy(rest(batchnorm(z_train[batch])), y_train[batch]).backward()
            optimiser.step()
    batchnorm.eval()  # use the running statistics
    with torch.no_grad():
        accuracy = (rest(batchnorm(z_test)).argmax(1) == y_test).float().mean().item()
    return accuracy, (batchnorm.weight.abs() < 0.1).float().mean().item()


results = {w: [batchnorm_only(w, seed) for seed in SEEDS] for w in WIDTHS}
accuracy_mean = {str(w): float(np.mean([a for a, _ in r])) for w, r in results.items()}
accuracy_sd = {str(w): float(np.std([a for a, _ in r], ddof=1)) for w, r in results.items()}
# Channels whose scale γ ended near zero: features that BatchNorm learned to switch off.
switched_off = {str(w): float(np.mean([s for _, s in r])) for w, r in results.items()}
trainable = {str(w): 2 * w for w in WIDTHS}
for w in WIDTHS:
    k = str(w)
    print(
        f"{w:4d} channels, {trainable[k]:3d} trainable numbers: "
        f"{accuracy_mean[k]:.1%} ± {accuracy_sd[k]:.1%}, |γ| < 0.1 for {switched_off[k]:.0%}"
    )
narrowest, widest = str(WIDTHS[0]), str(WIDTHS[-1])
assert accuracy_mean[narrowest] > 0.1  # better than guessing, even with 32 numbers
assert accuracy_mean[widest] > accuracy_mean[narrowest] + 0.2  # more random features help

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.errorbar(
    WIDTHS,
    [accuracy_mean[str(w)] for w in WIDTHS],
    yerr=[accuracy_sd[str(w)] for w in WIDTHS],
    marker="o",
    capsize=4,
    label="train only BatchNorm γ, β",
)
ax.axhline(0.1, color="0.5", ls="--", label="chance (10 classes)")
ax.set_xscale("log", base=2)
ax.set_xticks(WIDTHS, [f"{w}\n({2 * w} trained)" for w in WIDTHS])
ax.set_ylim(0, 1)
ax.set_xlabel("random 5×5 kernels (trainable numbers)")
ax.set_ylabel("test accuracy")
ax.set_title("Only BatchNorm trained, kernels and classifier random")
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()
