"""After training, the kernels are fixed numbers; freezing and fine-tuning reuse them.

A network trained on the digits 0-4 gives identical outputs every time it is evaluated, and
using it never changes its weights. Its kernels are then reused for a new task, the digits 5-9
with only 5 or 20 labelled examples per class: kept frozen, fine-tuned, or not reused at all.
Every variant runs from ten random starts (ten networks trained on 0-4, ten different sets of
labelled examples), trained together as one network per variant.

Needs `digits_cnn.py` from the same folder.

Needs: pip install numpy==2.4.6 scikit-learn==1.9.1 torch==2.13.0
"""

# %%
import math

import numpy as np
import torch
from digits_cnn import accuracy, load_data, make_cnn, train_together

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
x_train, y_train, x_test, y_test = load_data(standardise=True)  # mean 0, sd 1
old_task_train, old_task_test = y_train < 5, y_test < 5  # task A: digits 0-4
n_seeds = 10

pretrained = []
for seed in range(n_seeds):
    torch.manual_seed(seed)
    pretrained.append(make_cnn(n_classes=5))
train_together(pretrained, x_train[old_task_train], y_train[old_task_train], epochs=6)
old_task_accuracy = float(
    np.mean([accuracy(m, x_test[old_task_test], y_test[old_task_test]) for m in pretrained])
)

# %% Using a trained network does not change it, and in eval() mode it is deterministic
network = pretrained[0]
weights_before = {name: w.clone() for name, w in network.state_dict().items()}
network.eval()  # switches dropout off
with torch.no_grad():
    first, second = network(x_test), network(x_test)
assert torch.equal(first, second)
assert all(torch.equal(w, weights_before[name]) for name, w in network.state_dict().items())
network.train()  # in training mode dropout zeroes random features: outputs differ
with torch.no_grad():
    assert not torch.equal(network(x_test), network(x_test))
network.eval()

# %% Task B: digits 5-9 (relabelled 0-4), with 5 or 20 labelled training images per class.
# Seed s reuses the network pretrained with seed s and draws its own labelled images.
x_new_test, y_new_test = x_test[y_test >= 5], y_test[y_test >= 5] - 5
n_new_test = len(y_new_test)
strategies = ["from scratch", "first layer frozen", "both conv layers frozen", "all fine-tuned"]
frozen_layers = {"first layer frozen": 1, "both conv layers frozen": 4}  # model[:n] is frozen


def new_task_network(strategy, seed):
    torch.manual_seed(seed)
    model = make_cnn(n_classes=5)
    if strategy != "from scratch":
        model.load_state_dict(pretrained[seed].state_dict())  # reuse the kernels of task A
        model[-1].reset_parameters()  # but start a new classifier
    if strategy in frozen_layers:
        model[: frozen_layers[strategy]].requires_grad_(False)  # the optimiser leaves these
    return model


labels_per_class = [5, 20]
steps = 40  # full-batch Adam steps: every step sees all the labelled images of task B
accuracies = {}  # (strategy, labels per class) -> array of n_seeds test accuracies
for n_labels in labels_per_class:
    chosen = np.stack(
        [
            np.concatenate(
                [
                    np.random.default_rng(seed).choice(
                        np.flatnonzero(y_train == d), size=n_labels, replace=False
                    )
                    for d in range(5, 10)
                ]
            )
            for seed in range(n_seeds)
        ]
    )  # (n_seeds, 5 * n_labels): one set of labelled images per seed
    x_few, y_few = x_train[chosen], y_train[chosen] - 5  # (n_seeds, 5 * n_labels, 1, 8, 8)
    for strategy in strategies:
        models = [new_task_network(strategy, seed) for seed in range(n_seeds)]
        kernels_at_start = [model[0].weight.detach().clone() for model in models]
        train_together(models, x_few, y_few, epochs=steps, batch_size=5 * n_labels)
        accuracies[strategy, n_labels] = np.array(
            [accuracy(model, x_new_test, y_new_test) for model in models]
        )
        # frozen kernels are bit for bit the ones learned on task A; the others moved
        for model, start in zip(models, kernels_at_start, strict=True):
            assert torch.equal(model[0].weight, start) == (strategy in frozen_layers)


# %% Which differences from training from scratch are real? A gap counts only when it is
# larger than the seed-to-seed sd of both variants and the binomial SE of one test accuracy.
def compare(strategy, n_labels):
    reused, scratch = accuracies[strategy, n_labels], accuracies["from scratch", n_labels]
    gap = reused.mean() - scratch.mean()
    p = max(reused.mean(), scratch.mean())
    noise = max(reused.std(ddof=1), scratch.std(ddof=1), math.sqrt(p * (1 - p) / n_new_test))
    return float(gap), float(noise)


gaps = {f"{s}, {n}": compare(s, n) for s in strategies[1:] for n in labels_per_class}
print(f"task A (digits 0-4) test accuracy, mean over {n_seeds} seeds: {old_task_accuracy:.1%}")
for key, (gap, noise) in gaps.items():
    verdict = "a difference" if abs(gap) > noise else "not established"
    print(f"{key} labels: {gap:+.1%} vs from scratch (noise {noise:.1%}): {verdict}")
# What the page says, checked. No way of reusing the kernels beats training from scratch by
# more than the noise, with 5 or with 20 labels per class...
assert all(gap <= noise for gap, noise in gaps.values())
best_reuse_gap_5 = max(gaps[f"{s}, 5"][0] for s in strategies[1:])
best_reuse_gap_20 = max(gaps[f"{s}, 20"][0] for s in strategies[1:])
# ...and freezing both convolution layers (only the classifier learns) costs accuracy
both_frozen_gap_5, both_frozen_noise_5 = gaps["both conv layers frozen, 5"]
both_frozen_gap_20, both_frozen_noise_20 = gaps["both conv layers frozen, 20"]
both_frozen_cost_5, both_frozen_cost_20 = -both_frozen_gap_5, -both_frozen_gap_20
assert both_frozen_gap_20 < -both_frozen_noise_20
scratch_5, scratch_20 = (float(accuracies["from scratch", n].mean()) for n in labels_per_class)
scratch_sd_5, scratch_sd_20 = (
    float(accuracies["from scratch", n].std(ddof=1)) for n in labels_per_class
)
test_se_20 = math.sqrt(scratch_20 * (1 - scratch_20) / n_new_test)

# %% A Markdown table for the page: mean ± sd over seeds, and the gap to training from scratch
transfer_table = (
    "| kernels on the new task | "
    + " | ".join(f"{n} labels per class | gap to scratch" for n in labels_per_class)
    + " |\n|---|---|---|---|---|\n"
)
for strategy in strategies:
    cells = []
    for n in labels_per_class:
        a = accuracies[strategy, n]
        cells.append(f"{a.mean():.1%} ± {a.std(ddof=1):.1%}")
        if strategy == "from scratch":
            cells.append("")
        else:
            gap, noise = gaps[f"{strategy}, {n}"]
            cells.append(f"{gap:+.1%}" + (" (beyond the noise)" if abs(gap) > noise else ""))
    transfer_table += f"| {strategy} | " + " | ".join(cells) + " |\n"
print(transfer_table)
