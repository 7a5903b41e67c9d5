"""Learn a known kernel back from examples.

A photo filtered with the Sobel kernel is the target; a single `Conv2d`, started from random
numbers, is trained by gradient descent until its output matches. The figures show the kernel
taking shape over the iterations and the loss falling on a log scale. Run twice, once with a
target made by true convolution and once by cross-correlation, it shows that the flip does not
matter to a network: it learns whichever kernel the operation needs.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from scipy import signal
from skimage import color, data, transform

# %% The data: a grey photo, standardised, and two filtered versions of it
photo = transform.resize(color.rgb2gray(data.astronaut()), (128, 128), anti_aliasing=True)
photo = ((photo - photo.mean()) / photo.std()).astype(np.float32)
sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
targets = {  # "valid" mode: no padding, so every target pixel sees a full 3 x 3 window
    "convolution": signal.convolve2d(photo, sobel_x, mode="valid"),
    "cross-correlation": signal.correlate2d(photo, sobel_x, mode="valid"),
}
# Conv2d computes a cross-correlation, so the kernel it needs for each target is:
needed = {"convolution": sobel_x[::-1, ::-1], "cross-correlation": sobel_x}
x = torch.from_numpy(photo)[None, None]  # shape (batch, channels, height, width)

# %% Gradient descent on the mean squared error, from the same random start for both targets
n_steps = 600
snapshot_steps = [0, 10, 30, 100, 300, n_steps]
snapshots, losses, learned = {}, {}, {}
for name, target in targets.items():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 1, kernel_size=3, bias=False)  # PyTorch's random initialisation
    optimizer = torch.optim.SGD(conv.parameters(), lr=0.05, momentum=0.95)
    y = torch.from_numpy(target)[None, None]
    snapshots[name], losses[name] = [], []
    for step in range(n_steps + 1):
        if step in snapshot_steps:
            snapshots[name].append(conv.weight.detach()[0, 0].numpy().copy())
        if step == n_steps:
            break
        loss = F.mse_loss(conv(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses[name].append(loss.item())
    learned[name] = snapshots[name][-1]

# %% The kernel is recovered, and it is the one the operation needs
error_bound = 1e-3
max_error = {name: float(np.abs(learned[name] - needed[name]).max()) for name in targets}
assert all(error < error_bound for error in max_error.values()), max_error
max_error_convolution = max_error["convolution"]
max_error_correlation = max_error["cross-correlation"]
# For the convolution target the network learned the flipped Sobel, which is not Sobel itself
# (rotating Sobel-x by 180 degrees changes its sign).
assert np.abs(learned["convolution"] - sobel_x).max() > 1
initial_loss = losses["convolution"][0]
final_loss = losses["convolution"][-1]
print(f"after {n_steps} steps, max |learned - needed|:")
for name, error in max_error.items():
    print(f"  target by {name}: {error:.1e}")
print("learned for the convolution target:")
print(np.array2string(learned["convolution"], precision=4, suppress_small=True))

# %% Figure 1: the kernel over the iterations; figure 2: the loss
fig, axes = plt.subplots(2, len(snapshot_steps) + 1, figsize=(10, 3.4))
for row, name in enumerate(targets):
    panels = [*snapshots[name], needed[name]]
    titles = [f"step {s}" for s in snapshot_steps] + ["needed"]
    for ax, kernel, title in zip(axes[row], panels, titles, strict=True):
        ax.imshow(kernel, cmap="RdBu_r", vmin=-2.5, vmax=2.5, interpolation="none")
        for (i, j), v in np.ndenumerate(kernel):
            label = f"{v:.1f}".replace("-0.0", "0.0")
            colour = "white" if abs(v) > 1.5 else "black"
            ax.text(j, i, label, ha="center", va="center", fontsize=7, color=colour)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(f"target by\n{name}", fontsize=9)
fig.tight_layout()

fig, ax = plt.subplots(figsize=(6, 3))
for name, style in zip(targets, ["-", "--"], strict=True):
    ax.semilogy(losses[name], style, label=f"target by {name}")
ax.set_xlabel("gradient descent step")
ax.set_ylabel("mean squared error")
ax.set_title("Loss while learning the kernel")
ax.legend()
fig.tight_layout()
plt.show()
