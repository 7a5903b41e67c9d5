"""For a learned kernel the flip does not matter: a layer that convolves and a layer that
cross-correlates, trained on the same data from the same start, learn kernels that are
180-degree rotations of each other and fit the data equally well.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
torch.manual_seed(0)

# %% [markdown]
# ## Data: random images, and the same images passed through an unknown filter, plus noise

# %%
inputs = torch.randn(8, 1, 32, 32)
unknown = torch.tensor(  # the "unknown" system: a lopsided blur, not symmetric
    [[0.0, 0.0, 0.1], [0.0, 0.3, 0.2], [0.1, 0.4, -0.2]]
)
targets = F.conv2d(inputs, unknown[None, None])
targets += 0.05 * torch.randn_like(targets)  # measurement noise: no kernel fits exactly


# %% [markdown]
# ## Two layers that differ only in the flip


# %%
def cross_correlation_layer(x, kernel):
    return F.conv2d(x, kernel[None, None])  # what deep-learning libraries compute


def convolution_layer(x, kernel):
    return F.conv2d(x, kernel.flip(0, 1)[None, None])  # textbook convolution


start = 0.1 * torch.randn(3, 3)
learned, losses = {}, {}
for name, layer in [
    ("cross-correlation", cross_correlation_layer),
    ("convolution", convolution_layer),
]:
    kernel = start.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([kernel], lr=0.5)
    for _step in range(200):
        loss = F.mse_loss(layer(inputs, kernel), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    learned[name], losses[name] = kernel.detach(), loss.item()

flip_difference = (
    (learned["convolution"] - learned["cross-correlation"].flip(0, 1)).abs().max().item()
)
loss_correlation, loss_convolution = losses["cross-correlation"], losses["convolution"]
print(f"final loss: cross-correlation {loss_correlation:.6f}, convolution {loss_convolution:.6f}")
print(
    f"max |learned by convolution - flipped learned by cross-correlation| = {flip_difference:.1e}"
)
assert abs(loss_correlation - loss_convolution) < 1e-7  # equally good fits
assert flip_difference < 1e-5  # of kernels that are each other's flip

# %%
fig, axes = plt.subplots(1, 3, figsize=(8, 3), layout="constrained")
panels = [
    ("unknown filter (the data)", unknown),
    ("learned by a\ncross-correlation layer", learned["cross-correlation"]),
    ("learned by a\nconvolution layer", learned["convolution"]),
]
for ax, (title, kernel) in zip(axes, panels, strict=True):
    ax.imshow(kernel.numpy(), cmap="RdBu_r", vmin=-0.45, vmax=0.45)
    for (i, j), w in np.ndenumerate(kernel.numpy()):
        ax.text(j, i, f"{round(float(w), 2) + 0.0:.2f}", ha="center", va="center", fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()
