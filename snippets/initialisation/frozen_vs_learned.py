"""Frozen random kernels, a frozen Gabor bank, or learned kernels: which features does a linear
classifier need?

One small network (a 5×5 convolution with 16 kernels, batch normalisation, ReLU, 2×2 pooling, a
linear layer) classifies scikit-learn's 8×8 digits. Only the trainable parts change between rows:
the kernels may be random and frozen, a hand-made Gabor bank and frozen, or learned; a further row
trains *only* the two BatchNorm parameters per channel on top of random kernels (and a random,
frozen classifier). Test accuracy over five seeds.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from skimage.filters import gabor_kernel
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split(
    digits.images / 16.0, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)
x_train, x_test = (torch.tensor(a, dtype=torch.float32).unsqueeze(1) for a in (x_train, x_test))
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
n_train, n_test = len(x_train), len(x_test)
SEEDS, EPOCHS, BATCH, LR = range(5), 10, 128, 0.05

# %% A bank of 16 Gabor kernels, 5×5: 4 orientations x 2 frequencies x (cosine, sine) phase.
gabors = []
for frequency in (0.15, 0.3):
    for theta in np.arange(4) * np.pi / 4:
        g = gabor_kernel(frequency, theta=theta, sigma_x=1.0, sigma_y=1.0, n_stds=2)
        gabors += [g.real, g.imag]
gabor_bank = torch.tensor(np.stack(gabors), dtype=torch.float32).unsqueeze(1)
gabor_bank /= gabor_bank.flatten(1).norm(dim=1).view(-1, 1, 1, 1)  # unit length each
assert gabor_bank.shape == (16, 1, 5, 5)


def make_net():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )


# What each row trains: the parts of make_net() that keep requires_grad=True.
VARIANTS = {  # key: (label, starting kernels, trained parts)
    "random": ("random kernels, frozen; train classifier", "random", ["classifier"]),
    "gabor": ("Gabor bank, frozen; train classifier", "gabor", ["classifier"]),
    "learned": ("learned kernels: train everything", "random", ["kernels", "bn", "classifier"]),
    "bn_only": ("random kernels, frozen; train BatchNorm only", "random", ["bn"]),
}


def run(kernels, trained, seed):
    torch.manual_seed(seed)
    net = make_net()
    if kernels == "gabor":
        with torch.no_grad():
            net[0].weight.copy_(gabor_bank)
            net[0].bias.zero_()
    parts = {"kernels": net[0], "bn": net[1], "classifier": net[5]}
    for name, module in parts.items():
        module.requires_grad_(name in trained)
    params = [p for p in net.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(params, lr=LR)
    for _ in range(EPOCHS):
        net.train()
        for batch in torch.randperm(len(x_train)).split(BATCH):
            optimiser.zero_grad()
            F.cross_entropy(net(x_train[batch]), y_train[batch]).backward()
            optimiser.step()
    net.eval()  # BatchNorm now uses its running statistics
    with torch.no_grad():
        accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    return accuracy, sum(p.numel() for p in params), net[0].weight.detach()[:, 0]


# %% Every variant, every seed.
accuracy, trainable, kernels_seed0 = {}, {}, {}
for name, (_, kernels, trained) in VARIANTS.items():
    runs = [run(kernels, trained, seed) for seed in SEEDS]
    accuracy[name] = [a for a, _, _ in runs]
    trainable[name] = runs[0][1]
    kernels_seed0[name] = runs[0][2]
mean = {name: float(np.mean(a)) for name, a in accuracy.items()}
sd = {name: float(np.std(a, ddof=1)) for name, a in accuracy.items()}
# Reference point without any convolution: a linear classifier on the 64 raw pixels.
torch.manual_seed(0)
pixels = nn.Linear(64, 10)
optimiser = torch.optim.Adam(pixels.parameters(), lr=LR)
for _ in range(EPOCHS):
    for batch in torch.randperm(len(x_train)).split(BATCH):
        optimiser.zero_grad()
        F.cross_entropy(pixels(x_train[batch].flatten(1)), y_train[batch]).backward()
        optimiser.step()
pixels_parameters = sum(p.numel() for p in pixels.parameters())
with torch.no_grad():
    pixels_accuracy = (pixels(x_test.flatten(1)).argmax(1) == y_test).float().mean().item()

accuracy_table = "\n".join(
    [
        "| what is trained | trainable parameters "
        f"| test accuracy (mean ± sd over {len(SEEDS)} seeds) |",
        "|---|---:|---:|",
    ]
    + [
        f"| {label} | {trainable[name]:,} | {mean[name]:.1%} ± {sd[name]:.1%} |"
        for name, (label, _, _) in VARIANTS.items()
    ]
    + [
        f"| no convolution: linear classifier on raw pixels | {pixels_parameters} "
        f"| {pixels_accuracy:.1%} |"
    ]
)
print(accuracy_table)

# Random features already carry most of what a linear classifier needs on these digits.
assert mean["random"] > 0.95 and mean["gabor"] > 0.95
assert mean["learned"] > pixels_accuracy  # learning the kernels beats raw pixels
assert abs(mean["learned"] - mean["random"]) < 0.02  # ... but random comes close
assert 0.1 < mean["bn_only"] < 0.5  # 32 numbers: above chance, far below the rest

# %% The 16 kernels of seed 0 after training, for the three kinds of first layer.
fig, axes = plt.subplots(3, 16, figsize=(9, 2.4))
rows = {"random": "random\n(frozen)", "gabor": "Gabor\n(frozen)", "learned": "learned"}
for row, (name, label) in enumerate(rows.items()):
    for k in range(16):
        axes[row, k].imshow(kernels_seed0[name][k].numpy(), cmap="gray")
        axes[row, k].set_xticks([])
        axes[row, k].set_yticks([])
    axes[row, 0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
fig.suptitle("The 5×5 kernels after training (seed 0): random and Gabor were frozen")
fig.tight_layout()
plt.show()
