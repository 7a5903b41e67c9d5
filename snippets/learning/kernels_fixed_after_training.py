"""After training, the kernels are fixed numbers; freezing and fine-tuning reuse them.

A network trained on the digits 0-4 gives identical outputs every time it is evaluated, and
using it never changes its weights. Its kernels are then reused for a new task, the digits 5-9
with only 5 or 20 labelled examples per class: kept frozen, fine-tuned, or not reused at all.

Needs `digits_cnn.py` from the same folder.
"""

# %%
import numpy as np
import torch
from digits_cnn import accuracy, load_data, make_cnn, train

x_train, y_train, x_test, y_test = load_data()
old_task_train, old_task_test = y_train < 5, y_test < 5  # task A: digits 0-4

torch.manual_seed(0)
pretrained = make_cnn(n_classes=5)
train(pretrained, x_train[old_task_train], y_train[old_task_train], epochs=10)
old_task_accuracy = accuracy(pretrained, x_test[old_task_test], y_test[old_task_test])

# %% Using a trained network does not change it, and in eval() mode it is deterministic
weights_before = {name: w.clone() for name, w in pretrained.state_dict().items()}
pretrained.eval()  # switches dropout off
with torch.no_grad():
    first, second = pretrained(x_test), pretrained(x_test)
assert torch.equal(first, second)
assert all(torch.equal(w, weights_before[name]) for name, w in pretrained.state_dict().items())
pretrained.train()  # in training mode dropout zeroes random features: outputs differ
with torch.no_grad():
    assert not torch.equal(pretrained(x_test), pretrained(x_test))
pretrained.eval()

# %% Task B: digits 5-9 (relabelled 0-4), with 5 or 20 labelled training images per class
rng = np.random.default_rng(0)
x_new_test, y_new_test = x_test[y_test >= 5], y_test[y_test >= 5] - 5


def new_task_network(strategy, seed):
    torch.manual_seed(seed)
    model = make_cnn(n_classes=5)
    if strategy != "from scratch":
        model.load_state_dict(pretrained.state_dict())  # reuse the kernels learned on task A
        model[-1].reset_parameters()  # but start a new classifier
    frozen = {"first layer frozen": model[:1], "both conv layers frozen": model[:4]}
    if strategy in frozen:
        frozen[strategy].requires_grad_(False)  # the optimiser will leave these kernels alone
    return model


strategies = ["from scratch", "first layer frozen", "both conv layers frozen", "all fine-tuned"]
labels_per_class = [5, 20]
seeds = [0, 1, 2]
transfer_mean, transfer_sd = {}, {}
for n_labels in labels_per_class:
    chosen = np.concatenate(
        [
            rng.choice(np.flatnonzero(y_train == d), size=n_labels, replace=False)
            for d in range(5, 10)
        ]
    )
    for strategy in strategies:
        runs = []
        for seed in seeds:
            model = new_task_network(strategy, seed)
            kernels_at_start = model[0].weight.detach().clone()
            train(model, x_train[chosen], y_train[chosen] - 5, epochs=40, seed=seed)
            runs.append(accuracy(model, x_new_test, y_new_test))
            # frozen kernels are bit for bit the ones learned on task A; the others moved
            frozen = strategy in ("first layer frozen", "both conv layers frozen")
            assert torch.equal(model[0].weight, kernels_at_start) == frozen
        transfer_mean[f"{strategy}, {n_labels}"] = float(np.mean(runs))
        transfer_sd[f"{strategy}, {n_labels}"] = float(np.std(runs, ddof=1))

# Reusing kernels is worth more when labels are scarce (best reuse strategy minus from scratch)
reuse_gain = {
    n: max(transfer_mean[f"{s}, {n}"] for s in strategies[1:]) - transfer_mean[f"from scratch, {n}"]
    for n in labels_per_class
}
assert reuse_gain[5] > reuse_gain[20]
reuse_gain_5, reuse_gain_20 = reuse_gain[5], reuse_gain[20]

# %% A Markdown table for the page
transfer_table = (
    "| kernels on the new task | "
    + " | ".join(f"{n} labels per class" for n in labels_per_class)
    + " |\n|---|---|---|\n"
)
for strategy in strategies:
    cells = [
        f"{transfer_mean[f'{strategy}, {n}']:.3f} ± {transfer_sd[f'{strategy}, {n}']:.3f}"
        for n in labels_per_class
    ]
    transfer_table += f"| {strategy} | " + " | ".join(cells) + " |\n"
print(f"task A (digits 0-4) test accuracy: {old_task_accuracy:.3f}")
print("task B (digits 5-9) test accuracy, mean ± sd over 3 seeds:")
print(transfer_table)
