"""How many filters should the first layer have? It is a choice made before training.

The small CNN of `digits_cnn.py` is trained with 1, 4, 8 and 16 first-layer filters (each
filter is one 5 x 5 kernel here, since the input has one channel), from thirty seeds each; the
figure shows test accuracy (mean ± sd over the seeds) against the number of filters. Seed s
draws a network's random start, its order of mini-batches and its dropout masks, and every width
gets the same seeds, so two widths are compared seed by seed (`paired.py`).

Needs `digits_cnn.py` and `paired.py` from the same folder.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from digits_cnn import accuracy, load_data, make_cnn, train_together
from paired import describe, paired, seeds

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
x_train, y_train, x_test, y_test = load_data(standardise=True)  # mean 0, sd 1

# %% The same training for every width; only the number of first-layer filters changes.
# The seeds of one width are trained together, as one network.
widths = [1, 4, 8, 16]
widths_text = ", ".join(map(str, widths[:-1])) + f" and {widths[-1]}"
SEEDS = seeds(30)  # a gain of a fraction of a point needs many seeds to be seen
n_seeds, epochs, batch_size, learning_rate = len(SEEDS), 4, 64, 1e-2
accuracy_by_width, parameters_by_width = {}, {}
for width in widths:
    models = []
    for seed in SEEDS:
        torch.manual_seed(seed)  # the random start of this seed's network
        models.append(make_cnn(n_filters=width))
    # network i draws its mini-batches and dropout masks from SEEDS[i]
    train_together(
        models, x_train, y_train, epochs, batch_size=batch_size, lr=learning_rate, seed=SEEDS
    )
    accuracy_by_width[width] = np.array([accuracy(model, x_test, y_test) for model in models])
    parameters_by_width[width] = sum(p.numel() for p in models[0].parameters())

mean = np.array([accuracy_by_width[w].mean() for w in widths])
sd = np.array([accuracy_by_width[w].std(ddof=1) for w in widths])
width_table = "| first-layer filters | parameters | test accuracy (mean ± sd) |\n|---|---|---|\n"
width_table += "\n".join(
    f"| {w} | {parameters_by_width[w]:,} | {m:.1%} ± {s:.1%} |"
    for w, m, s in zip(widths, mean, sd, strict=True)
)
print(width_table)


# %% Which differences are real? Width a against width b, seed by seed: the paired difference
# of test accuracy (mean ± standard error over seeds, paired t-test)
accuracy_with_1, accuracy_with_8, accuracy_with_16 = (
    float(accuracy_by_width[w].mean()) for w in (1, 8, 16)
)
comparison = {
    "filters_8_1": paired(accuracy_by_width[8], accuracy_by_width[1]),
    "filters_16_8": paired(accuracy_by_width[16], accuracy_by_width[8]),
}
parameters_with_8, parameters_with_16 = parameters_by_width[8], parameters_by_width[16]
print(
    f"8 - 1 filters: {describe(comparison['filters_8_1'])} {comparison['filters_8_1']['verdict']}"
)
print(
    f"16 - 8 filters: {describe(comparison['filters_16_8'])} "
    f"{comparison['filters_16_8']['verdict']}"
)
# What the page says, checked: going from one filter to eight is a large gain; going from eight
# to sixteen, a gain too, but several times smaller
assert comparison["filters_8_1"]["verdict"] == "higher"
assert comparison["filters_16_8"]["verdict"] == "higher"
assert comparison["filters_16_8"]["mean"] < comparison["filters_8_1"]["mean"] / 5

# %% Figure: accuracy against the number of filters
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.errorbar(widths, mean, yerr=sd, marker="o", capsize=3, label="mean ± sd over seeds")
for w in widths:
    ax.plot([w] * n_seeds, accuracy_by_width[w], ".", color="grey", alpha=0.5)
ax.plot([], [], ".", color="grey", label="one seed")
ax.set_xscale("log", base=2)
ax.set_xticks(widths, [str(w) for w in widths])
ax.set_xlabel("number of first-layer filters (5 x 5)")
ax.set_ylabel("test accuracy")
ax.set_title(f"Digits, {n_seeds} random starts per width, {epochs} epochs each")
ax.legend(loc="lower right")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
