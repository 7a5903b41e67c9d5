"""How many filters should the first layer have? It is a choice made before training.

The small CNN of `digits_cnn.py` is trained with 1, 2, 4, 8 and 16 first-layer filters (each
filter is one 5 x 5 kernel here, since the input has one channel), ten random starts each; the
figure shows test accuracy (mean ± sd over the starts) against the number of filters. A
difference between two widths counts only when it is larger than both the spread between seeds
and the sampling error of the test set.

Needs `digits_cnn.py` from the same folder.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from digits_cnn import accuracy, load_data, make_cnn, train_together

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
x_train, y_train, x_test, y_test = load_data(standardise=True)  # mean 0, sd 1
n_test = len(x_test)

# %% The same training for every width; only the number of first-layer filters changes.
# The ten seeds of one width are trained together, as one network.
widths = [1, 2, 4, 8, 16]
n_seeds, epochs, learning_rate = 10, 4, 1e-2
accuracy_by_width, parameters_by_width = {}, {}
for width in widths:
    models = []
    for seed in range(n_seeds):
        torch.manual_seed(seed)
        models.append(make_cnn(n_filters=width))
    train_together(models, x_train, y_train, epochs=epochs, lr=learning_rate)
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


# %% Which differences are real? A gap counts when it exceeds the larger of the two widths'
# seed-to-seed sd and the binomial standard error of one accuracy on the n_test test digits.
def noise_level(a, b):
    """The larger of the seed spread and the test set's sampling error, for widths a and b."""
    seed_sd = max(accuracy_by_width[a].std(ddof=1), accuracy_by_width[b].std(ddof=1))
    p = max(accuracy_by_width[a].mean(), accuracy_by_width[b].mean())
    return max(seed_sd, math.sqrt(p * (1 - p) / n_test))


accuracy_with_1, accuracy_with_8, accuracy_with_16 = (
    float(mean[widths.index(w)]) for w in (1, 8, 16)
)
sd_with_8 = float(sd[widths.index(8)])
gain_1_to_8, gain_8_to_16 = accuracy_with_8 - accuracy_with_1, accuracy_with_16 - accuracy_with_8
noise_1_to_8, noise_8_to_16 = noise_level(1, 8), noise_level(8, 16)
test_se = math.sqrt(accuracy_with_8 * (1 - accuracy_with_8) / n_test)
parameters_with_8, parameters_with_16 = parameters_by_width[8], parameters_by_width[16]
print(f"1 -> 8 filters: {gain_1_to_8:+.1%} (noise level {noise_1_to_8:.1%})")
print(f"8 -> 16 filters: {gain_8_to_16:+.1%} (noise level {noise_8_to_16:.1%})")
# What the page says, checked: going from one filter to eight is a real gain, several times the
# noise; going from eight to sixteen is not established (smaller than the noise)
assert gain_1_to_8 > 3 * noise_1_to_8
assert abs(gain_8_to_16) < noise_8_to_16

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
