"""Train the small CNN of `digits_cnn.py` on 8 x 8 handwritten digits, on the CPU, from twenty
different random starts at once.

The first figure shows the first layer's eight 5 x 5 kernels before training (random) and after,
for the network whose test accuracy is the median of the twenty; the second shows what its
trained kernels make of one test digit: the first layer's feature maps.

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
n_train, n_test = len(x_train), len(x_test)
n_images = n_train + n_test

# %% Twenty networks, one per seed, trained together (as one network with grouped convolutions)
n_seeds, epochs, batch_size, learning_rate = 20, 6, 64, 1e-2
models = []
for seed in range(n_seeds):
    torch.manual_seed(seed)  # draws the random initial kernels of this network
    models.append(make_cnn(n_filters=8))
kernels_before = torch.stack([model[0].weight.detach().clone() for model in models])
# network i draws its own order of mini-batches and its own dropout masks from seed i
train_together(
    models, x_train, y_train, epochs, batch_size=batch_size, lr=learning_rate, seed=range(n_seeds)
)
kernels_after = torch.stack([model[0].weight.detach() for model in models])  # (20, 8, 1, 5, 5)

accuracies = np.array([accuracy(model, x_test, y_test) for model in models])
accuracy_mean, accuracy_sd = float(accuracies.mean()), float(accuracies.std(ddof=1))
accuracy_min, accuracy_max = float(accuracies.min()), float(accuracies.max())
# The test set's own sampling error: one accuracy measured on n_test digits (binomial SE)
test_se = math.sqrt(accuracy_mean * (1 - accuracy_mean) / n_test)
print(f"test accuracy over {n_seeds} seeds: {accuracy_mean:.3f} ± {accuracy_sd:.3f} (sd)")
print(f"range {accuracy_min:.3f} to {accuracy_max:.3f}; binomial SE of one accuracy {test_se:.3f}")
assert accuracy_min > 0.9

# The network to look at: the one with the median accuracy (a typical seed, not the best)
shown_seed = int(np.argsort(accuracies)[n_seeds // 2])
network = models[shown_seed]

# %% How far did training move the kernels? Two measures for each of the 160 kernels
before, after = kernels_before.flatten(2), kernels_after.flatten(2)  # (20, 8, 25)
relative_change = ((after - before).norm(dim=2) / before.norm(dim=2)).flatten()
cosine = torch.nn.functional.cosine_similarity(after, before, dim=2).flatten()
smallest_relative_change = relative_change.min().item()
median_relative_change = relative_change.median().item()
median_cosine = cosine.median().item()
print(
    f"change of a kernel relative to its start: median {median_relative_change:.1f}, "
    f"smallest {smallest_relative_change:.2f}; cosine similarity with the start: "
    f"median {median_cosine:.2f}"
)
assert smallest_relative_change > 0.5
# Why so far: Adam moves every weight by about the learning rate at each step, and there are
# n_steps steps; PyTorch draws the initial weights of a 5 x 5 kernel within ±1/sqrt(25)
n_steps = epochs * math.ceil(n_train / batch_size)
initial_bound = 1 / math.sqrt(5 * 5)
assert kernels_before.abs().max() <= initial_bound

# %% Figure 1: the first-layer kernels of the median network before and after training
shown = {
    "before": kernels_before[shown_seed, :, 0].numpy(),
    "after": kernels_after[shown_seed, :, 0].numpy(),
}
fig, axes = plt.subplots(2, 8, figsize=(8, 2.4))
for row, (label, kernels) in enumerate(shown.items()):
    for k, ax in enumerate(axes[row]):
        limit = np.abs(kernels[k]).max()  # each kernel on its own symmetric colour scale
        ax.imshow(kernels[k], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="none")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(label)
for k in range(8):
    axes[0, k].set_title(f"kernel {k}", fontsize=8)
fig.suptitle("First-layer kernels before and after training (red > 0, blue < 0)", fontsize=10)
fig.tight_layout()

# %% Figure 2: one test digit through the trained first layer (convolution + ReLU)
digit = x_test[:1]
with torch.no_grad():
    maps = network[:2](digit)[0].numpy()  # shape (8, 8, 8): one feature map per kernel
fig, axes = plt.subplots(2, 9, figsize=(9, 2.4))
axes[0, 0].imshow(digit[0, 0].numpy(), cmap="gray_r", interpolation="none")
axes[0, 0].set_title(f"input: {y_test[0].item()}", fontsize=8)
axes[1, 0].axis("off")
for k in range(8):
    kernel = shown["after"][k]
    limit = np.abs(kernel).max()
    axes[0, k + 1].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="none")
    axes[0, k + 1].set_title(f"kernel {k}", fontsize=8)
    axes[1, k + 1].imshow(maps[k], cmap="magma", interpolation="none")
    axes[1, k + 1].set_title(f"map {k}", fontsize=8)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
