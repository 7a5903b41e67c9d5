"""Training only BatchNorm on top of random filters: how far do two numbers per channel go?

Everything is frozen at its random initialisation (the 5×5 filters and the final linear layer)
except BatchNorm's scale γ and shift β, one pair per channel. With more random filters there are
more random features to scale and shift, and more trainable pairs. Test accuracy on 8×8 digits
for several widths, ten seeds each; the ten networks of a width are trained at once. Seed i draws
network i's random layers and its mini-batches (the same mini-batches at every width); the split
into training and test digits is fixed. Two widths are compared seed by seed.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import itertools

import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
from paired import describe, paired, seeds
from seeds_at_once import Adam, load_digits_split, order_generator

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
x_train, y_train, x_test, y_test = load_digits_split()
n_train = len(x_train)
WIDTHS, SEEDS, STEPS, BATCH, LR = (16, 64, 128), seeds(10), 40, 128, 0.1  # seeds 0-9 by default
n_seeds = len(SEEDS)
# The 5×5 convolution (no padding, output 4×4) as a matrix product over image patches.
patches_train, patches_test = (F.unfold(x, 5).transpose(1, 2) for x in (x_train, x_test))


def batchnorm_only(width):
    """Train only γ and β of `width` random filters, for every seed at once."""
    convs, heads = [], []
    for seed in SEEDS:  # each network starts exactly like fresh nn.Conv2d and nn.Linear layers
        torch.manual_seed(seed)
        convs.append(nn.Conv2d(1, width, 5))
        heads.append(nn.Linear(width * 4 * 4, 10))
    with torch.no_grad():  # the frozen part: filters (n, 25, width) and classifiers
        filters = torch.stack([c.weight.reshape(width, 25).T for c in convs])
        bias = torch.stack([c.bias for c in convs])[:, None]
        head_weight = torch.stack([h.weight for h in heads])  # (n, 10, width·16)
        head_bias = torch.stack([h.bias for h in heads])[:, None]
        # The frozen filters' outputs never change, so BatchNorm's normalisation is computed
        # once, with each channel's mean and standard deviation over the training set (what
        # its running statistics converge to, and what it uses at test time).
        z_train, z_test = (
            p.reshape(-1, 25) @ filters + bias for p in (patches_train, patches_test)
        )
        mean = z_train.mean(1, keepdim=True)
        std = ((z_train - mean).square().mean(1, keepdim=True) + 1e-5).sqrt()
        z_train, z_test = ((z - mean) / std for z in (z_train, z_test))  # (n, images·16, width)
    gamma = torch.ones(n_seeds, 1, width, requires_grad=True)  # the only trained numbers
    beta = torch.zeros(n_seeds, 1, width, requires_grad=True)

    def logits(z):  # normalised conv output (n, images·16, width) -> (n, images, 10)
        h = F.relu(gamma * z + beta).reshape(n_seeds, -1, 16 * width)
        return (head_weight @ h.mT).mT + head_bias  # W h + b, as nn.Linear computes it

    optimiser = Adam([gamma, beta], lr=LR)  # same numbers as torch.optim.Adam
    generators = [order_generator(seed) for seed in SEEDS]  # network i: seed i's mini-batches
    positions = torch.arange(16)
    for _ in range(STEPS):  # each network draws its own mini-batch
        batch = torch.stack([torch.randperm(n_train, generator=g)[:BATCH] for g in generators])
        rows = (batch[..., None] * 16 + positions).flatten(1)  # the 16 positions of each image
        z = z_train[torch.arange(n_seeds)[:, None], rows]
        loss = F.cross_entropy(logits(z).transpose(1, 2), y_train[batch], reduction="none")
        optimiser.zero_grad()
        loss.mean(1).sum().backward()  # the sum of each network's own mean loss
        optimiser.step()
    with torch.no_grad():
        accuracy = (logits(z_test).argmax(-1) == y_test).float().mean(1)
    return accuracy.numpy(), (gamma.detach().abs() < 0.1).float().mean((1, 2)).numpy()


results = {w: batchnorm_only(w) for w in WIDTHS}
accuracy_mean = {str(w): float(a.mean()) for w, (a, _) in results.items()}
accuracy_sd = {str(w): float(a.std(ddof=1)) for w, (a, _) in results.items()}
# Channels whose scale γ ended near zero: features that BatchNorm learned to switch off.
switched_off = {str(w): float(s.mean()) for w, (_, s) in results.items()}
trainable = {str(w): 2 * w for w in WIDTHS}
# A step up in width, seed by seed: the wider network's accuracy minus the narrower one's, in
# percentage points (seed i of both widths saw the same mini-batches).
gain = {
    f"{b}_{a}": paired(100 * results[b][0], 100 * results[a][0])
    for a, b in itertools.pairwise(WIDTHS)
}
for w in WIDTHS:
    k = str(w)
    print(
        f"{w:4d} filters, {trainable[k]:3d} trainable numbers: "
        f"{accuracy_mean[k]:.1%} ± {accuracy_sd[k]:.1%}, |γ| < 0.1 for {switched_off[k]:.0%}"
    )
for pair in gain:
    wider, narrower = pair.split("_")
    print(f"{wider} against {narrower} filters: {describe(gain[pair], unit=1)} points, "
          f"{gain[pair]['verdict']}")  # fmt: skip
narrowest = str(WIDTHS[0])  # above chance (10%) with 32 numbers, by 3 standard errors of the mean
assert accuracy_mean[narrowest] - 0.1 > 3 * accuracy_sd[narrowest] / n_seeds**0.5
assert all(c["verdict"] == "higher" for c in gain.values())  # every step up in width helps

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.errorbar(
    WIDTHS,
    [accuracy_mean[str(w)] for w in WIDTHS],
    yerr=[accuracy_sd[str(w)] for w in WIDTHS],
    marker="o",
    capsize=4,
    label=f"train only BatchNorm γ, β (mean ± sd, {n_seeds} seeds)",
)
ax.axhline(0.1, color="0.5", ls="--", label="chance (10 classes)")
ax.set_xscale("log", base=2)
ax.set_xticks(WIDTHS, [f"{w}\n({2 * w} trained)" for w in WIDTHS])
ax.set_ylim(0, 1)
ax.set_xlabel("random 5×5 filters (trainable numbers)")
ax.set_ylabel("test accuracy")
ax.set_title("Only BatchNorm trained, filters and classifier random")
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()
