"""The same photo filtered by a hand-made Sobel kernel and by a kernel that a small CNN learned.

A two-layer CNN is trained for a few seconds on scikit-learn's 8x8 handwritten digits, from 20
seeds at once; seed i draws network i's random start and the order of its mini-batches (the
split into training and test digits is fixed). Nobody tells it what an edge is, yet its
first-layer 3x3 kernels end up closer to a Sobel edge detector than they started. How much closer
is measured seed by seed (after training minus before), and against the best match among many
sets of fresh random kernels: random kernels already contain some edge-like ones. The first
figure shows a typical seed (the median one); the second, how the learned match compares with
chance.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 scikit-learn==1.9.1 \
    scipy==1.17.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from paired import paired, seeds
from skimage import data, transform
from sklearn.datasets import load_digits
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)

# %% [markdown]
# ## A kernel designed by hand
# Sobel's kernel, and the same kernel turned by multiples of 45 degrees (8 edge directions).

# %%
sobel = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])  # responds to vertical edges
sobel_diagonal = np.array([[2.0, 1, 0], [1, 0, -1], [0, -1, -2]])
compass = [np.rot90(k, r) for k in (sobel, sobel_diagonal) for r in range(4)]

# %% [markdown]
# ## Kernels learned from data
# A tiny CNN; its first layer has 8 kernels of 3x3 weights that start random. Twenty copies,
# each from its own seed, are trained at once: `vmap` runs the 20 networks as one.

# %%
digits = load_digits()
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16  # (1797, 1, 8, 8)
labels = torch.tensor(digits.target)
split = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
train, test = split[:1400], split[1400:]  # one fixed split, the same for every seed


def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1),  # the kernels we will look at
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 2 * 2, 10),
    )


SEEDS = seeds(20)  # seeds 0-19 (or from FIRST_SEED on)
EPOCHS, BATCH, LR, WEIGHT_DECAY = 5, 50, 1e-2, 1e-3  # Adam
n_seeds = len(SEEDS)
models, generators = [], []
for seed in SEEDS:
    torch.manual_seed(seed)  # each network's random start ...
    models.append(make_cnn())
    # ... and, from the same seed's stream continued, the order of its mini-batches
    generators.append(torch.Generator().set_state(torch.get_rng_state()))
params, _ = stack_module_state(models)  # every weight with a leading axis of 20 networks
initial_kernels = params["0.weight"].detach()[:, :, 0].numpy().copy()  # (20, 8, 3, 3)
skeleton = make_cnn().to("meta")  # the architecture only, no numbers


def all_scores(params, x):  # x: (20, batch, 1, 8, 8), one batch per network -> (20, batch, 10)
    return vmap(lambda p, xi: functional_call(skeleton, p, (xi,)))(params, x)


optimizer = torch.optim.Adam(params.values(), lr=LR, weight_decay=WEIGHT_DECAY)
for _epoch in range(EPOCHS):
    orders = torch.stack([train[torch.randperm(len(train), generator=g)] for g in generators])
    for batch in orders.split(BATCH, dim=1):  # (20, BATCH): each network's own images
        scores = all_scores(params, images[batch])
        # the mean over all networks times their number: the sum of each network's own mean
        # loss, so each network gets exactly the gradient it would get if trained alone
        loss = F.cross_entropy(scores.transpose(1, 2), labels[batch]) * n_seeds
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

with torch.no_grad():
    predicted = all_scores(params, images[test].expand(n_seeds, -1, -1, -1, -1)).argmax(2)
accuracies = (predicted == labels[test]).float().mean(1).numpy()
test_accuracy, test_accuracy_sd = float(accuracies.mean()), float(accuracies.std(ddof=1))
learned_kernels = params["0.weight"].detach()[:, :, 0].numpy()  # (20, 8, 3, 3)


# %% [markdown]
# ## Which learned kernel looks most like an edge detector?
# The similarity is a correlation: the cosine of the angle between the two kernels after each
# has its mean removed, so brightness offsets and overall scale do not count.


# %%
def similarity(a, b):
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def best_match(kernels):
    """The highest correlation between any of the kernels and any of the 8 Sobel kernels."""
    return max(similarity(k, c) for k in kernels for c in compass)


learned_best = np.array([best_match(k) for k in learned_kernels])  # one per seed
initial_best = np.array([best_match(k) for k in initial_kernels])
learned_mean, learned_sd = float(learned_best.mean()), float(learned_best.std(ddof=1))
initial_mean, initial_sd = float(initial_best.mean()), float(initial_best.std(ddof=1))
training = paired(learned_best, initial_best)  # seed by seed: after training minus before

# The baseline: the best match among 8 fresh 3x3 kernels drawn by PyTorch's default
# initialisation, for many draws (vectorised: all correlations as one matrix product). It is a
# fixed reference, drawn from its own stream (a seed far from any network's), whatever the seeds.
torch.manual_seed(2**32 - 1)
n_draws = 20_000
fresh = nn.Conv2d(1, 8 * n_draws, 3).weight.detach().view(n_draws, 8, 9).double().numpy()
fresh -= fresh.mean(axis=2, keepdims=True)
fresh /= np.linalg.norm(fresh, axis=2, keepdims=True)
unit_compass = np.array([c.ravel() / np.linalg.norm(c) for c in compass])  # already zero-mean
random_best = (fresh @ unit_compass.T).max(axis=(1, 2))  # (n_draws,)
random_median = float(np.median(random_best))
tail = 0.05  # the luckiest 5 % of random draws
random_95th = float(np.quantile(random_best, 1 - tail))
chance_of_learned_mean = float(np.mean(random_best >= learned_mean))
seeds_above_95th = float(np.mean(learned_best > random_95th))

print(f"test accuracy over {n_seeds} seeds: {test_accuracy:.1%} ± {test_accuracy_sd:.1%}")
print(
    f"best correlation with a Sobel kernel: after training {learned_mean:.2f} ± "
    f"{learned_sd:.2f}, at the random start {initial_mean:.2f} ± {initial_sd:.2f}"
)
print(
    f"after minus before, seed by seed: {training['mean']:+.3f} ± {training['se']:.3f} "
    f"(p = {training['p']:.2g}, higher in {training['wins']} of {n_seeds} seeds)"
)
print(
    f"8 fresh random kernels: median best {random_median:.2f}, 95th percentile "
    f"{random_95th:.2f}; they reach the trained mean in {chance_of_learned_mean:.0%} of draws"
)
assert test_accuracy > 0.9
# Training makes the best match higher, seed by seed ...
assert training["verdict"] == "higher"
# ...yet chance alone gets there now and then: the effect is real but modest
assert 0.01 < chance_of_learned_mean < 0.2

# The figure shows a typical network: the seed whose best match is the median one
shown_seed = int(np.argsort(learned_best)[n_seeds // 2])
scores = np.array([[similarity(k, c) for c in compass] for k in learned_kernels[shown_seed]])
best_kernel, best_direction = np.unravel_index(scores.argmax(), scores.shape)
learned = learned_kernels[shown_seed, best_kernel]
matching_sobel = compass[best_direction]
learned_similarity = float(scores.max())
# A Sobel kernel sums to 0, so flat regions give 0 (+ 0.0 turns a rounded -0.0 into 0.0)
learned_kernel_sum = round(float(learned.sum()), 2) + 0.0

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
    (f"learned by the CNN (correlation {learned_similarity:.2f})", learned, by_learned),
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

# %% [markdown]
# ## How far from chance?
# The best match among 8 random kernels, over many draws, against the 20 trained networks.

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.hist(random_best, bins=np.linspace(0.3, 1, 71), density=True, color="lightgrey",
        label=f"8 fresh random kernels ({n_draws:,} draws)")  # fmt: skip
ax.plot(initial_best, np.full(n_seeds, -0.5), "|", color="tab:blue", markersize=14,
        label=f"the {n_seeds} networks at their random start")  # fmt: skip
ax.plot(learned_best, np.full(n_seeds, -1.2), "|", color="tab:red", markersize=14,
        label=f"the same {n_seeds} networks after training")  # fmt: skip
ax.axvline(random_95th, color="black", linestyle=":", label=f"reached by {tail:.0%} of draws")
ax.axhline(0, color="grey", linewidth=0.5)
ax.set_ylim(-1.6, None)
ax.set_xlabel("best correlation between a first-layer kernel and a Sobel kernel")
ax.set_yticks([])
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()
