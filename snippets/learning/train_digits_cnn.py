"""Train the small CNN of `digits_cnn.py` on 8 x 8 handwritten digits, on the CPU, from five
different random starts.

The first figure shows the first layer's eight 5 x 5 kernels before training (random) and after;
the second shows what the trained kernels make of one test digit: the first layer's feature maps.

Needs `digits_cnn.py` from the same folder.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from digits_cnn import accuracy, load_data, make_cnn, train

x_train, y_train, x_test, y_test = load_data()
n_train, n_test = len(x_train), len(x_test)
n_images = n_train + n_test

# %% Train from five random starts; keep the first network to look at
seeds = [0, 1, 2, 3, 4]
epochs = 10
accuracies = []
for seed in seeds:
    torch.manual_seed(seed)  # draws the random initial kernels
    model = make_cnn(n_filters=8)
    initial_kernels = model[0].weight.detach().clone()
    train(model, x_train, y_train, epochs=epochs, seed=seed)
    accuracies.append(accuracy(model, x_test, y_test))
    if seed == seeds[0]:
        network, kernels_before = model, initial_kernels
kernels_after = network[0].weight.detach()

n_seeds = len(seeds)
accuracy_mean = float(np.mean(accuracies))
accuracy_sd = float(np.std(accuracies, ddof=1))
print(f"test accuracy over {len(seeds)} seeds: {accuracy_mean:.3f} ± {accuracy_sd:.3f}")
print("per seed:", [round(a, 3) for a in accuracies])
assert accuracy_mean > 0.9

# Training moved every kernel far from where it started: size of the change of each 5 x 5
# kernel, relative to the kernel's initial size
change = (kernels_after - kernels_before).flatten(1).norm(dim=1)
change /= kernels_before.flatten(1).norm(dim=1)
smallest_relative_change = change.min().item()
assert smallest_relative_change > 0.5

# %% Figure 1: the first-layer kernels before and after training
shown = {"before": kernels_before[:, 0].numpy(), "after": kernels_after[:, 0].numpy()}
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
