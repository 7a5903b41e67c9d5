"""How many kernels should the first layer have? It is a choice made before training.

The small CNN of `digits_cnn.py` is trained with 1, 2, 4, 8, 16 and 32 first-layer kernels,
three random starts each; the figure shows test accuracy (mean ± sd over the starts) against
the number of kernels, and the number of parameters it costs.

Needs `digits_cnn.py` from the same folder.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from digits_cnn import accuracy, load_data, make_cnn, train

x_train, y_train, x_test, y_test = load_data()

# %% The same training for every width; only the number of first-layer kernels changes
widths = [1, 2, 4, 8, 16, 32]
seeds = [0, 1, 2]
accuracy_by_width, parameters_by_width = {}, {}
for width in widths:
    runs = []
    for seed in seeds:
        torch.manual_seed(seed)
        model = make_cnn(n_filters=width)
        train(model, x_train, y_train, epochs=10, seed=seed)
        runs.append(accuracy(model, x_test, y_test))
    accuracy_by_width[width] = runs
    parameters_by_width[width] = sum(p.numel() for p in model.parameters())

mean = np.array([np.mean(accuracy_by_width[w]) for w in widths])
sd = np.array([np.std(accuracy_by_width[w], ddof=1) for w in widths])
width_table = "| first-layer kernels | parameters | test accuracy (mean ± sd) |\n|---|---|---|\n"
width_table += "\n".join(
    f"| {w} | {parameters_by_width[w]:,} | {m:.3f} ± {s:.3f} |"
    for w, m, s in zip(widths, mean, sd, strict=True)
)
print(width_table)
accuracy_with_1, accuracy_with_8, accuracy_with_32 = (float(mean[i]) for i in (0, 3, 5))
parameters_with_8, parameters_with_32 = parameters_by_width[8], parameters_by_width[32]
# What the page says about this measurement, checked: a few kernels help a lot, many add little
assert accuracy_with_8 - accuracy_with_1 > 0.03
assert abs(accuracy_with_32 - accuracy_with_8) < 0.02

# %% Figure: accuracy against the number of kernels
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.errorbar(widths, mean, yerr=sd, marker="o", capsize=3)
ax.set_xscale("log", base=2)
ax.set_xticks(widths, [str(w) for w in widths])
ax.set_xlabel("number of first-layer kernels (5 x 5)")
ax.set_ylabel("test accuracy")
ax.set_title(f"Digits, mean ± sd over {len(seeds)} random starts")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
