"""A deep residual network without normalisation: does the starting point decide if it trains?

Twenty residual blocks (40 convolutions, no BatchNorm) learn scikit-learn's 8×8 digits with plain
SGD, from three starting points: He initialisation everywhere (the usual recipe for ResNets, minus
the normalisation), PyTorch's built-in default, and He initialisation with each residual branch
multiplied by a learnable scalar that starts at 0 (SkipInit). Training loss over three seeds.
"""

# %%
import math

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
BLOCKS, WIDTH, STEPS, BATCH, LR = 20, 8, 40, 32, 0.05
SEEDS = range(3)


class Block(nn.Module):
    """x + alpha * conv(relu(conv(relu(x)))): the skip connection carries x through unchanged."""

    def __init__(self, skipinit):
        super().__init__()
        self.conv1 = nn.Conv2d(WIDTH, WIDTH, 3, padding=1)
        self.conv2 = nn.Conv2d(WIDTH, WIDTH, 3, padding=1)
        # SkipInit: a learnable scalar on the branch, 0 at the start (a fixed 1 otherwise).
        self.alpha = nn.Parameter(torch.zeros(())) if skipinit else 1.0

    def forward(self, x):
        return x + self.alpha * self.conv2(F.relu(self.conv1(F.relu(x))))


def make_net(init):
    net = nn.Sequential(
        nn.Conv2d(1, WIDTH, 3, stride=2, padding=1),  # 8×8 -> 4×4
        *[Block(skipinit=init == "skipinit") for _ in range(BLOCKS)],
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(WIDTH * 4 * 4, 10),
    )
    if init in ("he", "skipinit"):
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
    return net  # "default": leave nn.Conv2d's own initialisation


def train(init, seed):
    torch.manual_seed(seed)
    net = make_net(init)
    with torch.no_grad():  # how large is the output before any training?
        logit_std = net(x_train[:256]).std().item()
    optimiser = torch.optim.SGD(net.parameters(), lr=LR, momentum=0.9)
    losses = []
    for step in range(STEPS):
        batch = torch.randint(len(x_train), (BATCH,))
        loss = F.cross_entropy(net(x_train[batch]), y_train[batch])
        losses.append(loss.item())
        if not math.isfinite(loss.item()):
            losses += [math.nan] * (STEPS - step - 1)  # diverged: stop here
            break
        optimiser.zero_grad()
        loss.backward()
        if step == 0:  # size of the very first update direction
            first_gradient = torch.cat([p.grad.flatten() for p in net.parameters()]).norm().item()
        optimiser.step()
    with torch.no_grad():
        logits = net(x_test)
        accuracy = (logits.argmax(1) == y_test).float().mean().item()
        spread = logits.std(0).mean().item()  # does the answer depend on the image at all?
    return losses, logit_std, accuracy, spread, first_gradient


INITS = {"he": "He", "default": "PyTorch default", "skipinit": "SkipInit"}  # key: label
curves, start_logit_std, accuracy, end_spread, first_gradient = {}, {}, {}, {}, {}
for init in INITS:
    runs = [train(init, seed) for seed in SEEDS]
    curves[init] = np.array([r[0] for r in runs])  # (seeds, steps), NaN after a divergence
    start_logit_std[init] = float(np.mean([r[1] for r in runs]))
    accuracy[init] = [r[2] for r in runs]
    end_spread[init] = float(np.nanmean([r[3] for r in runs]))
    first_gradient[init] = float(np.mean([r[4] for r in runs]))

# %% Sort every run into one of three outcomes, from its last 10 losses.
chance_loss = math.log(10)  # cross-entropy of a constant, uniform guess over 10 digits


def outcome(losses):
    if not np.isfinite(losses).all():
        return "diverged (NaN)"
    if losses[-10:].mean() > 0.9 * chance_loss:
        return "stuck at chance"
    return "learned"


outcomes = {init: [outcome(c) for c in curves[init]] for init in INITS}
final_loss = {init: float(np.nanmean(curves[init][:, -10:])) for init in INITS}
mean_accuracy = {init: float(np.mean(accuracy[init])) for init in INITS}
sd_accuracy = {init: float(np.std(accuracy[init], ddof=1)) for init in INITS}
learned = {init: outcomes[init].count("learned") for init in INITS}
residual_table = "\n".join(
    [
        "| initialisation | output std at step 0 | first gradient norm | runs that learned "
        f"| final training loss | test accuracy (mean ± sd, {len(SEEDS)} seeds) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    + [
        f"| {label} | {start_logit_std[init]:.2f} | {first_gradient[init]:.2f} "
        f"| {learned[init]} of {len(SEEDS)} "
        f"| {final_loss[init]:.2f} | {mean_accuracy[init]:.1%} ± {sd_accuracy[init]:.1%} |"
        for init, label in INITS.items()
    ]
)
print(residual_table)
for init, label in INITS.items():
    print(f"{label}: {', '.join(outcomes[init])}")

# What happened at this small scale (20 blocks, 8 channels, SGD with momentum, lr 0.05):
assert learned["skipinit"] == len(SEEDS)  # the zero-initialised branches always trained
assert learned["he"] == 0  # He init without normalisation never got off the ground ...
assert "diverged (NaN)" not in outcomes["he"]  # ... though it did not blow up to NaN either
assert start_logit_std["he"] > 10 * start_logit_std["skipinit"]  # it started far too large
assert first_gradient["he"] > 10 * first_gradient["skipinit"]  # took a huge first step ...
assert end_spread["he"] < 0.05 * end_spread["skipinit"]  # ... and ended up giving (almost) the
# same output for every image: its prediction no longer depends on the input.
assert mean_accuracy["skipinit"] > 0.8

# %% Training loss of every run (log scale: the first He steps are far off the chart).
fig, ax = plt.subplots(figsize=(7, 3.5))
colours = {"he": "tab:red", "default": "tab:blue", "skipinit": "tab:green"}
for init, label in INITS.items():
    for seed, losses in enumerate(curves[init]):
        ax.semilogy(
            losses,
            color=colours[init],
            alpha=0.8,
            lw=1,
            label=f"{label} ({learned[init]}/{len(SEEDS)} learned)" if seed == 0 else None,
        )
ax.axhline(chance_loss, color="0.4", ls="--", lw=0.8, label="chance: ln 10")
ax.set_xlabel("SGD step (batch of 32)")
ax.set_ylabel("training loss")
ax.set_title(f"{BLOCKS} residual blocks, no normalisation: three seeds per initialisation")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
