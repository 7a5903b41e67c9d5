"""After training, the kernels are fixed numbers; freezing and fine-tuning reuse them.

A network trained on the digits 0-4 gives identical outputs every time it is evaluated, and
using it never changes its weights. Its kernels are then reused for a new task, the digits 5-9
with only 5 or 20 labelled examples per class: kept frozen, fine-tuned, or not reused at all.
Every variant runs from the same thirty seeds (seed s draws the network trained on 0-4, its
mini-batches and dropout masks, and the labelled examples of 5-9), trained together as one
network per variant, and each is compared with training from scratch seed by seed (`paired.py`).

Needs `digits_cnn.py` and `paired.py` from the same folder.

Needs: pip install numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 torch==2.13.0
"""

# %%
import numpy as np
import torch
from digits_cnn import accuracy, load_data, make_cnn, train_together
from paired import describe, paired, seeds

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
x_train, y_train, x_test, y_test = load_data(standardise=True)  # mean 0, sd 1
old_task_train, old_task_test = y_train < 5, y_test < 5  # task A: digits 0-4
SEEDS = seeds(30)  # differences of a point or two need many seeds to be seen
n_seeds = len(SEEDS)

pretrained = []
for seed in SEEDS:
    torch.manual_seed(seed)
    pretrained.append(make_cnn(n_classes=5))
# network i draws its mini-batches and dropout masks from SEEDS[i]
pretrain_epochs = 6  # on task A: mini-batches of 64, Adam, learning rate 1e-2 (train_together's)
train_together(
    pretrained, x_train[old_task_train], y_train[old_task_train], pretrain_epochs, seed=SEEDS
)
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


def new_task_network(strategy, i):
    torch.manual_seed(SEEDS[i])
    model = make_cnn(n_classes=5)
    if strategy != "from scratch":
        model.load_state_dict(pretrained[i].state_dict())  # reuse the kernels of task A
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
            for seed in SEEDS
        ]
    )  # (n_seeds, 5 * n_labels): one set of labelled images per seed
    x_few, y_few = x_train[chosen], y_train[chosen] - 5  # (n_seeds, 5 * n_labels, 1, 8, 8)
    for strategy in strategies:
        models = [new_task_network(strategy, i) for i in range(n_seeds)]
        kernels_at_start = [model[0].weight.detach().clone() for model in models]
        train_together(models, x_few, y_few, epochs=steps, batch_size=5 * n_labels, seed=SEEDS)
        accuracies[strategy, n_labels] = np.array(
            [accuracy(model, x_new_test, y_new_test) for model in models]
        )
        # frozen kernels are bit for bit the ones learned on task A; the others moved
        for model, start in zip(models, kernels_at_start, strict=True):
            assert torch.equal(model[0].weight, start) == (strategy in frozen_layers)


# %% Which differences from training from scratch are real? Each variant against training from
# scratch on the same seed (same labelled images): the paired difference of test accuracy
comparison = {
    f"{s.replace(' ', '_').replace('-', '_')}_{n}": paired(
        accuracies[s, n], accuracies["from scratch", n]
    )
    for s in strategies[1:]
    for n in labels_per_class
}
# Fine-tuning everything with 20 labels per class differs from training from scratch by less than
# a point, and whether that is a loss changed with the batch of seeds (seeds from 0 and from 1000
# disagreed, also with 40 seeds): reported as mean ± standard error only, without a verdict.
fine_tuned_20 = comparison.pop("all_fine_tuned_20")
fine_tuned_20 = {"mean": fine_tuned_20["mean"], "se": fine_tuned_20["se"]}
print(f"task A (digits 0-4) test accuracy, mean over {n_seeds} seeds: {old_task_accuracy:.1%}")
for key, result in comparison.items():
    print(f"{key} labels per class, minus from scratch: {describe(result)} {result['verdict']}")
print(
    f"all_fine_tuned_20 labels per class, minus from scratch: {100 * fine_tuned_20['mean']:+.1f}"
    f" ± {100 * fine_tuned_20['se']:.1f} (no verdict: it changes with the seeds)"
)
# What the page says, checked. No way of reusing the kernels beats training from scratch, with 5
# or with 20 labels per class...
assert all(result["verdict"] != "higher" for result in comparison.values())
# ...and freezing kernels costs accuracy: the first layer, or both convolution layers (only the
# classifier learns), with 5 and with 20 labels per class
for n in labels_per_class:
    assert comparison[f"first_layer_frozen_{n}"]["verdict"] == "lower"
    assert comparison[f"both_conv_layers_frozen_{n}"]["verdict"] == "lower"
scratch_5, scratch_20 = (float(accuracies["from scratch", n].mean()) for n in labels_per_class)
scratch_sd_5 = float(accuracies["from scratch", 5].std(ddof=1))  # the spread of one variant

# %% A Markdown table for the page: mean ± sd over seeds, and the paired difference from
# training from scratch (mean ± standard error over seeds, and the verdict)
transfer_table = (
    "| kernels on the new task | "
    + " | ".join(f"{n} labels per class | minus from scratch" for n in labels_per_class)
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
            key = f"{strategy.replace(' ', '_').replace('-', '_')}_{n}"
            result = comparison.get(key, fine_tuned_20)
            verdict = result.get("verdict", "not settled by the seeds")
            cells.append(
                f"{100 * result['mean']:+.1f} ± {100 * result['se']:.1f} points, {verdict}"
            )
    transfer_table += f"| {strategy} | " + " | ".join(cells) + " |\n"
print(transfer_table)
