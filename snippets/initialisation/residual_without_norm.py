"""A deep residual network without normalisation: does the starting point decide if it trains?

Twelve residual blocks (no BatchNorm) learn scikit-learn's 8×8 digits with SGD and momentum,
from three starting points: He initialisation everywhere (the usual recipe for ResNets, minus the
normalisation), PyTorch's built-in default, and He initialisation with each residual branch
multiplied by a learnable scalar that starts at 0 (SkipInit). Each starting point is trained at
three learning rates, ten seeds each: 90 networks, trained at once as one batched network. Seed i
draws the random start and the mini-batches of run i; the runs of a seed share its mini-batches,
and the split into training and test digits is fixed. The fair comparison is each starting point
at its own best learning rate, seed by seed.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from paired import describe, paired, seeds
from seeds_at_once import load_digits_split, order_generator
from torch.func import functional_call, stack_module_state, vmap

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
x_train, y_train, x_test, y_test = load_digits_split()
BLOCKS, WIDTH, STEPS, BATCH, MOMENTUM = 12, 8, 40, 16, 0.9
INITS = {"he": "He", "default": "PyTorch default", "skipinit": "SkipInit"}  # key: label
LRS = {"large": 0.05, "medium": 0.01, "small": 0.002}  # key: name on the page
SEEDS = seeds(10)  # seeds 0-9 (or from FIRST_SEED on)
n_seeds = len(SEEDS)


class Block(nn.Module):
    """x + alpha * conv(relu(x)): the skip connection carries x through unchanged."""

    def __init__(self, skipinit):
        super().__init__()
        self.conv = nn.Conv2d(WIDTH, WIDTH, 3, padding=1)
        # SkipInit: a learnable scalar on the branch that starts at 0. The other networks keep
        # alpha = 1 throughout (the training loop discards its gradient).
        self.alpha = nn.Parameter(torch.tensor(0.0 if skipinit else 1.0))

    def forward(self, x):
        return x + self.alpha * self.conv(F.relu(x))


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


# %% All 90 networks (3 starting points x 3 learning rates x 10 seeds) as one: their parameters
# are stacked, and torch.func.vmap runs the same network once per set of parameters.
RUNS = [(init, lr, seed) for init in INITS for lr in LRS.values() for seed in SEEDS]
start = {}  # the three learning rates of a (starting point, seed) share the same start
for init in INITS:
    for seed in SEEDS:
        torch.manual_seed(seed)
        start[init, seed] = make_net(init)
params, _ = stack_module_state([start[init, seed] for init, _, seed in RUNS])  # one row per run
template = make_net("default").to("meta")  # the architecture, without numbers of its own
n_runs = len(RUNS)
run_lr = torch.tensor([lr for _, lr, _ in RUNS])
frozen_alpha = torch.tensor([init != "skipinit" for init, _, _ in RUNS])


def logits(x):  # x: (networks, images, 1, 8, 8) -> (networks, images, 10)
    return vmap(lambda p, xi: functional_call(template, p, (xi,)))(params, x)


with torch.no_grad():  # how large is each network's output before any training?
    start_logit_std = logits(x_train[:64].expand(n_runs, -1, -1, -1, -1)).std((1, 2))

# %% SGD with momentum, written out so that every network has its own learning rate.
velocity = {name: torch.zeros_like(p) for name, p in params.items()}
generators = [order_generator(seed) for seed in SEEDS]  # seed i draws the mini-batches of run i
run_seed = torch.tensor([SEEDS.index(seed) for _, _, seed in RUNS])
losses = torch.zeros(STEPS, n_runs)  # training loss of every step (its mini-batch) and network
for step in range(STEPS):
    per_seed = torch.stack([torch.randint(len(x_train), (BATCH,), generator=g) for g in generators])
    batch = per_seed[run_seed]  # (runs, BATCH): the runs of a seed see the same images
    loss = F.cross_entropy(logits(x_train[batch]).transpose(1, 2), y_train[batch], reduction="none")
    losses[step] = loss.detach().mean(1)
    for p in params.values():
        p.grad = None
    loss.mean(1).nan_to_num().sum().backward()  # each network: the gradient of its own loss
    with torch.no_grad():
        for name, p in params.items():
            if name.endswith("alpha"):
                p.grad[frozen_alpha] = 0  # only SkipInit trains its branch scale
        if step == 0:  # the length of each network's very first gradient
            grads = [p.grad.reshape(n_runs, -1) for p in params.values()]
            first_gradient_norm = torch.cat(grads, 1).norm(dim=1)
        for name, p in params.items():
            velocity[name].mul_(MOMENTUM).add_(p.grad)
            p.sub_(run_lr.view(-1, *[1] * (p.dim() - 1)) * velocity[name])
with torch.no_grad():
    test_logits = logits(x_test.expand(n_runs, -1, -1, -1, -1))
    test_accuracy = (test_logits.argmax(-1) == y_test).float().mean(1)
    end_spread = test_logits.std(1).mean(1)  # does the answer depend on the image at all?

# %% A run has learned when its last 10 training losses average below 90% of the loss of a
# uniform guess. Each starting point's best learning rate is the one with the lowest mean final
# training loss (the test set plays no part in the choice).
chance_loss = math.log(10)  # cross-entropy of a constant, uniform guess over 10 digits
shape = (len(INITS), len(LRS), n_seeds)  # (starting point, learning rate, seed)
final = losses[-10:].mean(0).view(shape).numpy()  # NaN where a run diverged
acc = test_accuracy.view(shape).numpy()
outcome = np.where(
    ~np.isfinite(final), "diverged (NaN)", np.where(final > 0.9 * chance_loss, "stuck", "learned")
)


def per_lr(values):  # (starting points, learning rates) -> {init: {lr name: value}}
    return {
        i: dict(zip(LRS, map(float, row), strict=True))
        for i, row in zip(INITS, values, strict=True)
    }


learned = {
    i: {k: int(v) for k, v in d.items()} for i, d in per_lr((outcome == "learned").sum(2)).items()
}
mean_accuracy, sd_accuracy = per_lr(acc.mean(2)), per_lr(acc.std(2, ddof=1))
final_loss = per_lr(np.nanmean(final, 2))
diverged = dict(zip(INITS, (outcome == "diverged (NaN)").sum((1, 2)).tolist(), strict=True))
best = {i: min(LRS, key=lambda k: np.nan_to_num(final_loss[i][k], nan=np.inf)) for i in INITS}
best_lr = {i: LRS[k] for i, k in best.items()}
best_accuracy = {i: mean_accuracy[i][k] for i, k in best.items()}
best_sd = {i: sd_accuracy[i][k] for i, k in best.items()}
best_learned = {i: learned[i][k] for i, k in best.items()}
run_init = np.array([init for init, _, _ in RUNS])
start_logit_std_mean = {i: float(start_logit_std[run_init == i].mean()) for i in INITS}
first_gradient = {i: float(first_gradient_norm[run_init == i].mean()) for i in INITS}
# A collapsed run gives (almost) the same output for every image: across the test images its
# outputs spread less than 1% as much as those of the SkipInit runs.
collapsed_runs = end_spread.numpy() < 0.01 * float(end_spread[run_init == "skipinit"].mean())
collapsed = {
    i: {k: int(v) for k, v in d.items()}
    for i, d in per_lr(collapsed_runs.reshape(shape).sum(2)).items()
}
# Each starting point at its own best learning rate, compared seed by seed (percentage points;
# "skipinit_he" is SkipInit minus He).
best_per_seed = {i: 100 * acc[j, list(LRS).index(best[i])] for j, i in enumerate(INITS)}
comparison = {
    f"{a}_{b}": paired(best_per_seed[a], best_per_seed[b])
    for a, b in [("skipinit", "he"), ("default", "he"), ("skipinit", "default")]
}
# He at its two smaller learning rates, seed by seed: is one of them clearly the better one?
he_medium, he_small = (100 * acc[0, list(LRS).index(k)] for k in ("medium", "small"))
comparison["he_medium_small"] = paired(he_medium, he_small)

residual_table = "\n".join(
    [
        "| initialisation | learning rate | runs that learned | runs stuck on one answer "
        f"| final training loss | test accuracy (mean ± sd, {n_seeds} seeds) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    + [
        f"| {label} | {'**' if k == best[i] else ''}{lr}{'**' if k == best[i] else ''} "
        f"| {learned[i][k]} of {n_seeds} | {collapsed[i][k]} | {final_loss[i][k]:.2f} "
        f"| {mean_accuracy[i][k]:.1%} ± {sd_accuracy[i][k]:.1%} |"
        for i, label in INITS.items()
        for k, lr in LRS.items()
    ]
)
print(residual_table)
for i, label in INITS.items():
    print(
        f"{label}: output std at step 0 {start_logit_std_mean[i]:.2f}, first gradient "
        f"{first_gradient[i]:.2f}; best lr {best_lr[i]}: {best_accuracy[i]:.1%} ± {best_sd[i]:.1%}"
    )
for pair in comparison:
    print(f"{pair}: {describe(comparison[pair], unit=1)} points, {comparison[pair]['verdict']}")

# What happened (12 blocks, 8 channels, SGD with momentum 0.9, 40 steps of 16 images):
assert best["skipinit"] == "large" and best_learned["skipinit"] == n_seeds  # SkipInit trained
assert learned["he"]["large"] < n_seeds / 2  # ... at a learning rate where He mostly got stuck
verdicts = {pair: c["verdict"] for pair, c in comparison.items()}
# He and the default need a smaller learning rate (for He, neither of the two smaller ones is
# established as the better: which one is "best" changes with the seeds) ...
assert best["he"] != "large" and best["default"] == "medium"
assert verdicts["he_medium_small"] == "not established"
assert verdicts["skipinit_he"] == "higher"  # ... and He still trails SkipInit, seed by seed;
assert verdicts["default_he"] == verdicts["skipinit_default"] == "higher"  # the default between
assert diverged["he"] == 0 and collapsed["he"]["large"] > 0  # stuck, not NaN: some runs give
assert sum(collapsed["skipinit"].values()) == 0  # one answer for all images; SkipInit never does
assert start_logit_std_mean["he"] > 10 * start_logit_std_mean["skipinit"]  # far too large ...
assert first_gradient["he"] > 10 * first_gradient["skipinit"]  # ... and a huge first step

# %% Left: test accuracy against the learning rate. Right: training loss at each starting
# point's best learning rate (median of the ten seeds, and the range they span).
colours = {"he": "tab:red", "default": "tab:blue", "skipinit": "tab:green"}
curves = losses.view(STEPS, *shape).numpy()  # (steps, starting point, learning rate, seed)
steps = np.arange(1, STEPS + 1)
fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(9.6, 3.8))
for j, (i, label) in enumerate(INITS.items()):
    ax_lr.errorbar(
        list(LRS.values()),
        acc[j].mean(1),
        yerr=acc[j].std(1, ddof=1),
        color=colours[i],
        marker="o",
        capsize=3,
        label=label,
    )
    best_curves = curves[:, j, list(LRS).index(best[i])]  # (steps, seeds)
    ax_loss.semilogy(
        steps,
        np.median(best_curves, 1),
        color=colours[i],
        label=f"{label}, lr {best_lr[i]} ({best_learned[i]}/{n_seeds} learned)",
    )
    ax_loss.fill_between(
        steps, best_curves.min(1), best_curves.max(1), color=colours[i], alpha=0.15
    )
ax_loss.semilogy(
    steps,
    np.median(curves[:, 0, 0], 1),
    color=colours["he"],
    ls=":",
    label=f"He, lr {LRS['large']} ({learned['he']['large']}/{n_seeds} learned)",
)
ax_lr.axhline(0.1, color="0.4", ls="--", lw=0.8, label="chance")
ax_lr.set_xscale("log")
ax_lr.set_xticks(list(LRS.values()), [str(lr) for lr in LRS.values()])
ax_lr.minorticks_off()
ax_lr.set_ylim(0, 1)
ax_lr.set_xlabel("learning rate")
ax_lr.set_ylabel(f"test accuracy after {STEPS} steps")
ax_lr.set_title(f"mean ± sd over {n_seeds} seeds")
ax_lr.legend(fontsize=9, loc="upper left")
ax_loss.axhline(chance_loss, color="0.4", ls="--", lw=0.8, label="chance: ln 10")
ax_loss.set_xlabel(f"SGD step ({BATCH} images)")
ax_loss.set_ylabel("training loss (median of the seeds)")
ax_loss.set_title("at each starting point's best learning rate")
ax_loss.set_ylim(top=60)  # headroom for the legend above the curves
ax_loss.legend(fontsize=9, loc="upper right")
fig.suptitle(f"{BLOCKS} residual blocks, no normalisation")
fig.tight_layout()
plt.show()
