"""A vision transformer's patch embedding is a convolution whose kernel size equals its stride.

First the identity: `nn.Conv2d(3, D, 16, stride=16)` gives the same numbers as cutting the image
into 16 × 16 patches, flattening each and applying one `nn.Linear`. Then a tiny transformer
(patches of 4 × 4, one attention block) and a small CNN with 4 × 4 kernels are trained on the
8 × 8 digits, 10 seeds each (each seed draws its own starts and batch order), and their learned
4 × 4 filters are compared seed by seed (`paired.py`).

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 scipy==1.17.1 \
    torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from kernel_rows import show_kernel_rows
from paired import describe, paired, seeds
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
torch.manual_seed(0)

# %% [markdown]
# ## Conv2d with kernel = stride = 16 is "cut into patches, then one linear layer"

# %%
D, P = 64, 16  # embedding size, patch size
image = torch.randn(2, 3, 64, 64, dtype=torch.float64)  # a batch of 2 RGB images, 4 x 4 patches
conv = nn.Conv2d(3, D, kernel_size=P, stride=P).double()
linear = nn.Linear(3 * P * P, D).double()
with torch.no_grad():
    linear.weight.copy_(conv.weight.flatten(1))  # each filter, flattened, is one row
    linear.bias.copy_(conv.bias)
# (2, 3, 4, 16, 4, 16) -> (2, 4, 4, 3, 16, 16): patch row, patch column, then its pixels
patches = image.view(2, 3, 4, P, 4, P).permute(0, 2, 4, 1, 3, 5).flatten(3)  # (2, 4, 4, 768)
tokens_by_linear = linear(patches).flatten(1, 2)  # (2, 16 patches, D)
tokens_by_conv = conv(image).flatten(2).transpose(1, 2)  # (2, D, 4, 4) -> (2, 16, D)
assert torch.allclose(tokens_by_conv, tokens_by_linear)
# and unfold (im2col) with stride = kernel size cuts out the same, non-overlapping patches
assert torch.allclose(F.unfold(image, P, stride=P).transpose(1, 2), patches.flatten(1, 2))
embedding_weights = sum(p.numel() for p in conv.parameters())
assert embedding_weights == D * 3 * P * P + D

# %% [markdown]
# ## A tiny transformer and a small CNN on the digits, 10 seeds each

# %%
digits = load_digits()
x_train, x_test, y_train, y_test = train_test_split(
    digits.images / 16, digits.target, test_size=0.3, random_state=0, stratify=digits.target
)
x_train, x_test = (torch.tensor(a, dtype=torch.float32).unsqueeze(1) for a in (x_train, x_test))
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
SEEDS = seeds(10)  # seeds 0-9, or from FIRST_SEED on
N_SEEDS, WIDTH, PATCH, EPOCHS, BATCH, LR = len(SEEDS), 16, 4, 12, 128, 0.02
TOKENS = (8 // PATCH) ** 2  # 4 patches of 4 x 4 pixels


def uniform(*shape, fan_in):
    """PyTorch's default start, uniform within +-1/sqrt(fan_in): each seed draws its own part
    (the first dimension is split evenly between the seeds)."""
    part = (shape[0] // N_SEEDS, *shape[1:])
    draws = [torch.rand(part, generator=g) * 2 - 1 for g in start_generators]
    return (torch.cat(draws) / math.sqrt(fan_in)).requires_grad_()


start_generators = [torch.Generator().manual_seed(seed) for seed in SEEDS]


# Transformer parameters, one set per seed (leading dimension SEEDS)
vit = {
    "patch": uniform(N_SEEDS * WIDTH, 1, PATCH, PATCH, fan_in=PATCH * PATCH),  # patch embedding
    "position": uniform(N_SEEDS, 1, TOKENS, WIDTH, fan_in=WIDTH),
    "query": uniform(N_SEEDS, WIDTH, WIDTH, fan_in=WIDTH),
    "key": uniform(N_SEEDS, WIDTH, WIDTH, fan_in=WIDTH),
    "value": uniform(N_SEEDS, WIDTH, WIDTH, fan_in=WIDTH),
    "mlp_in": uniform(N_SEEDS, WIDTH, 2 * WIDTH, fan_in=WIDTH),
    "mlp_out": uniform(N_SEEDS, 2 * WIDTH, WIDTH, fan_in=2 * WIDTH),
    "head": uniform(N_SEEDS, WIDTH, 10, fan_in=WIDTH),
}


def transformer(x, p):
    """Patch embedding (a strided conv), position embedding, one block of single-head
    self-attention and an MLP (pre-norm, residual), mean over tokens, linear head."""
    b = x.shape[1]  # x: (SEEDS, batch, 1, 8, 8), each seed its own images
    # one grouped convolution: seed s's WIDTH filters see only seed s's images (channel s)
    tokens = F.conv2d(x.squeeze(2).transpose(0, 1), p["patch"], stride=PATCH, groups=N_SEEDS)
    tokens = tokens.view(b, N_SEEDS, WIDTH, TOKENS).permute(1, 0, 3, 2) + p["position"]
    tokens = tokens.reshape(N_SEEDS, b * TOKENS, WIDTH)  # every token of every image, per seed
    h = F.layer_norm(tokens, (WIDTH,))
    q, k, v = ((h @ p[name]).view(N_SEEDS, b, TOKENS, WIDTH) for name in ("query", "key", "value"))
    attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(WIDTH), dim=-1)  # 4 x 4
    tokens = tokens + (attention @ v).view(N_SEEDS, b * TOKENS, WIDTH)
    tokens = tokens + F.gelu(F.layer_norm(tokens, (WIDTH,)) @ p["mlp_in"]) @ p["mlp_out"]
    return tokens.view(N_SEEDS, b, TOKENS, WIDTH).mean(dim=2) @ p["head"]  # (SEEDS, batch, 10)


# CNN parameters: 16 kernels of 4 x 4 (the size of the patches), stride 1, then a classifier.
# Written with unfold (chapter 4's im2col): every 4 x 4 window, then one matrix product.
cnn = {
    "kernels": uniform(N_SEEDS * WIDTH, 1, PATCH, PATCH, fan_in=PATCH * PATCH),
    "bias": uniform(N_SEEDS * WIDTH, fan_in=PATCH * PATCH),
    "head": uniform(N_SEEDS, WIDTH * 4, 10, fan_in=WIDTH * 4),
}
windows = {
    "train": F.unfold(x_train, PATCH).transpose(1, 2),
    "test": F.unfold(x_test, PATCH).transpose(1, 2)[None],
}


def cnn_forward(windows, p):
    """windows: (SEEDS, batch, 25, 16), the 5 x 5 positions of a 4 x 4 kernel on each seed's
    8 x 8 images."""
    s, b = windows.shape[:2]
    kernels = p["kernels"].view(N_SEEDS, WIDTH, -1).transpose(1, 2)  # (SEEDS, 16, WIDTH)
    h = F.relu(windows.flatten(1, 2) @ kernels + p["bias"].view(N_SEEDS, 1, WIDTH))
    h = h.view(s, b, 5, 5, WIDTH)[:, :, :4, :4].reshape(s, b, 2, 2, 2, 2, WIDTH)
    h = h.amax(dim=(3, 5))  # 2 x 2 max-pool: (SEEDS, b, 2, 2, WIDTH)
    return h.permute(0, 1, 4, 2, 3).reshape(s, b, -1) @ p["head"]


def train(model, params, train_inputs, test_inputs):
    """Each seed shuffles the training set with its own generator (the same orders for both
    models)."""
    generators = [torch.Generator().manual_seed(seed) for seed in SEEDS]
    optimiser = torch.optim.Adam(params.values(), lr=LR)
    for _ in range(EPOCHS):
        order = torch.stack([torch.randperm(len(y_train), generator=g) for g in generators])
        for batch in order.split(BATCH, dim=1):  # (SEEDS, batch): each seed its own images
            logits = model(train_inputs[batch], params)
            loss = F.cross_entropy(logits.reshape(-1, 10), y_train[batch].flatten())
            optimiser.zero_grad()
            (loss * N_SEEDS).backward()
            optimiser.step()
    with torch.no_grad():
        logits = model(test_inputs.expand(N_SEEDS, *test_inputs.shape[1:]), params)
        return (logits.argmax(dim=2) == y_test).float().mean(dim=1).numpy()


def smoothness(filters):
    """Mean correlation between horizontally and vertically neighbouring weights of each filter,
    averaged over the filters of one seed: about 0 for noise, near 1 for smooth blobs."""
    f = filters.view(N_SEEDS, WIDTH, PATCH, PATCH)
    f = f - f.mean(dim=(2, 3), keepdim=True)
    pairs = [(f[..., :, 1:], f[..., :, :-1]), (f[..., 1:, :], f[..., :-1, :])]
    corr = [(a * b).sum((2, 3)) / (a.norm(dim=(2, 3)) * b.norm(dim=(2, 3))) for a, b in pairs]
    return ((corr[0] + corr[1]) / 2).mean(dim=1).detach().numpy()  # one number per seed


filters = {"transformer": vit["patch"], "CNN": cnn["kernels"]}
initial = {m: f.detach().clone() for m, f in filters.items()}
start = {m: smoothness(f) for m, f in filters.items()}
accuracy = {
    "transformer": train(transformer, vit, x_train, x_test[None]),
    "CNN": train(cnn_forward, cnn, windows["train"], windows["test"]),
}
# how far training moved each seed's filters from their random start, relative to the start
moved_per_seed = {
    m: (
        (f.detach() - initial[m]).view(N_SEEDS, -1).norm(dim=1)
        / initial[m].view(N_SEEDS, -1).norm(dim=1)
    ).numpy()
    for m, f in filters.items()
}
moved = {m: float(d.mean()) for m, d in moved_per_seed.items()}
learned = {"transformer": smoothness(vit["patch"]), "CNN": smoothness(cnn["kernels"])}
mean_accuracy = {m: float(a.mean()) for m, a in accuracy.items()}
sd_accuracy = {m: float(a.std(ddof=1)) for m, a in accuracy.items()}
mean_smoothness = {m: float(s.mean()) for m, s in learned.items()}
sd_smoothness = {m: float(s.std(ddof=1)) for m, s in learned.items()}
start_smoothness = float(np.concatenate(list(start.values())).mean())
for m in accuracy:
    print(
        f"{m:11s}: test accuracy {mean_accuracy[m]:.1%} ± {sd_accuracy[m]:.1%}; "
        f"neighbour correlation of its 4×4 filters "
        f"{mean_smoothness[m]:.2f} ± {sd_smoothness[m]:.2f}"
    )
print(f"at initialisation (random filters): {start_smoothness:.2f}")
print("distance moved from the random start, relative:", {m: round(v, 2) for m, v in moved.items()})
# CNN against transformer, seed by seed (same seed: same batch order): paired differences
comparison = {
    "accuracy": paired(accuracy["CNN"], accuracy["transformer"]),
    "smoothness": paired(learned["CNN"], learned["transformer"]),
    "moved": paired(moved_per_seed["CNN"], moved_per_seed["transformer"]),
}
for name, result in comparison.items():
    print(
        f"CNN - transformer, {name:10s}: {describe(result, unit=1, digits=2)} {result['verdict']}"
    )

# Random 4 x 4 filters have no smoothness to speak of; the CNN's become smoother than the patch
# embedding's, which stay closer to noise and moved less from where they started.
assert abs(start_smoothness) < 0.15
assert comparison["smoothness"]["verdict"] == "higher"
assert comparison["moved"]["verdict"] == "higher"
assert comparison["accuracy"]["verdict"] == "higher"  # and the CNN is more accurate here

# %%
fig, axes = plt.subplots(2, WIDTH, figsize=(9, 1.6))
rows = [("transformer", vit["patch"]), ("CNN", cnn["kernels"])]
show_kernel_rows(
    axes, [(name, filters[:WIDTH, 0].detach()) for name, filters in rows]
)  # first seed
fig.suptitle(
    "Learned 4×4 filters: patch embedding (top) and CNN first layer (bottom), first seed",
    fontsize=9,
)
fig.tight_layout()
plt.show()
