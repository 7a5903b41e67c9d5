"""The same photo filtered by a hand-made Sobel kernel and by a kernel that a small CNN learned.

A two-layer CNN is trained for a few seconds on scikit-learn's 8x8 handwritten digits. Nobody
tells it what an edge is, yet one of its first-layer 3x3 kernels ends up close to a Sobel edge
detector; applied to a photo it finds much the same edges.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from skimage import data, transform
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)

# %% [markdown]
# ## A kernel designed by hand
# Sobel's kernel, and the same kernel turned by multiples of 45 degrees (8 edge directions).

# %%
sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])  # responds to vertical edges
sobel_diagonal = np.array([[2.0, 1, 0], [1, 0, -1], [0, -1, -2]])
compass = [np.rot90(k, r) for k in (sobel, sobel_diagonal) for r in range(4)]

# %% [markdown]
# ## Kernels learned from data
# A tiny CNN; its first layer has 8 kernels of 3x3 weights that start random.

# %%
digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16  # (1797, 1, 8, 8)
labels = torch.tensor(digits.target)
order = torch.randperm(len(labels))
train, test = order[:1400], order[1400:]

model = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, padding=1),  # the kernels we will look at
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(8, 16, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 2 * 2, 10),
)
initial_kernels = model[0].weight.detach()[:, 0].numpy().copy()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
for _epoch in range(20):
    for batch in train[torch.randperm(len(train))].split(50):
        loss = F.cross_entropy(model(images[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

with torch.no_grad():
    test_accuracy = (model(images[test]).argmax(1) == labels[test]).float().mean().item()
learned_kernels = model[0].weight.detach()[:, 0].numpy()


# %% [markdown]
# ## Which learned kernel looks most like an edge detector?
# Cosine similarity after removing the mean, so brightness offsets do not count.


# %%
def similarity(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


scores = np.array([[similarity(k, c) for c in compass] for k in learned_kernels])
best_kernel, best_direction = np.unravel_index(scores.argmax(), scores.shape)
learned = learned_kernels[best_kernel]
matching_sobel = compass[best_direction]
learned_similarity = scores.max()
learned_kernel_sum = learned.sum()  # a Sobel kernel sums to 0: flat regions give 0
initial_similarity = max(similarity(k, c) for k in initial_kernels for c in compass)
print(f"test accuracy of the CNN: {test_accuracy:.1%}")
print(
    f"best cosine similarity to a Sobel kernel: learned {learned_similarity:.2f}, "
    f"at initialisation {initial_similarity:.2f}"
)
assert learned_similarity > 0.8 and test_accuracy > 0.9

# %% [markdown]
# ## Both kernels on a photo
# scikit-image's camera man, downscaled to 256 x 256. `F.conv2d` slides the kernel over the image.

# %%
photo = transform.resize(data.camera(), (256, 256), anti_aliasing=True).astype(np.float32)
photo_t = torch.from_numpy(photo)[None, None]


def filtered(kernel):
    weight = torch.tensor(kernel.copy(), dtype=torch.float32)[None, None]
    return F.conv2d(photo_t, weight, padding=1)[0, 0].numpy()


by_sobel, by_learned = filtered(matching_sobel), filtered(learned)
response_correlation = float(np.corrcoef(by_sobel.ravel(), by_learned.ravel())[0, 1])
print(f"correlation between the two filtered photos: {response_correlation:.2f}")

fig, axes = plt.subplots(2, 3, figsize=(8, 5.5))
axes[0, 0].imshow(photo, cmap="gray")
axes[0, 0].set_title("photo (256 x 256)")
axes[1, 0].imshow(np.hstack([digits.images[i] for i in range(6)]), cmap="gray_r")
axes[1, 0].set_title("what the CNN saw: 8x8 digits")
rows = [
    ("Sobel kernel, designed by hand", matching_sobel, by_sobel),
    (f"kernel learned by the CNN (cos {learned_similarity:.2f})", learned, by_learned),
]
for row, (name, kernel, response) in enumerate(rows):
    limit = np.abs(kernel).max()
    axes[row, 1].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (i, j), w in np.ndenumerate(kernel):
        colour = "white" if abs(w) > 0.6 * limit else "black"
        axes[row, 1].text(j, i, f"{w:.2g}", ha="center", va="center", fontsize=9, color=colour)
    axes[row, 1].set_title(name, fontsize=10)
    axes[row, 2].imshow(response, cmap="gray")
    axes[row, 2].set_title("photo filtered by it")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
