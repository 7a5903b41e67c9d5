# %% [markdown]
# # 8. Visualising what ConvNets learn
#
# Needs: pip install ipython==9.18.1 matplotlib==3.11.2 numpy==2.4.6 scikit-learn==1.9.1 \
#     scipy==1.17.1 torch==2.13.0
#
# **In short.** This page trains a small convolutional network on handwritten digits (on a CPU, in
# seconds) and then looks inside it in five ways: its kernels drawn as images, the feature maps
# one digit produces layer by layer, synthetic inputs that drive a chosen channel as high as
# possible (*activation maximisation*), and two maps of which pixels mattered for one decision
# (*occlusion sensitivity* and *gradient saliency*). Each picture comes with a number that checks
# it, and the page ends with what such pictures can and cannot tell you.
#
# The whole page is one notebook that ran when the site was built, and every number on it is
# printed by the code above it. Both downloads under the title run as is from an empty folder in
# well under a minute on a laptop CPU: the notebook (`.ipynb`) in Jupyter, with its figures, or
# the same code as a script (`.py`) with `python`, which prints the numbers.

# %%
import time

start = time.process_time()

import copy

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from IPython.display import Markdown, display
from scipy.stats import spearmanr
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

torch.manual_seed(0)
# A network this small runs fastest on one thread, and then repeats exactly.
torch.set_num_threads(1)
# Draw each pixel of an image as a square, never smoothed.
plt.rcParams["image.interpolation"] = "nearest"


# %% [markdown]
# ## A small network, trained here
#
# The data are scikit-learn's 1,797 handwritten digits: 8×8 grey images with ink values 0 to 16.
# We scale the ink to $[0, 1]$ and enlarge each image to 16×16 by bilinear interpolation, so that
# a 5×5 kernel covers part of a stroke rather than half the digit. A quarter of the images are
# held out for testing.

# %%
digits = load_digits()
# (1797, 1, 8, 8) with ink in [0, 1], then enlarged to 16x16
images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
images = F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=False)
labels = torch.tensor(digits.target)
train_idx, test_idx = train_test_split(
    np.arange(len(labels)), test_size=0.25, random_state=0, stratify=labels
)
x_train, y_train = images[train_idx], labels[train_idx]
x_test, y_test = images[test_idx], labels[test_idx]
print(f"{len(x_train)} training and {len(x_test)} test images of shape {tuple(x_test.shape[1:])}")

# %% [markdown]
# Three convolutional layers, each followed by a ReLU, with max-pooling after the first and the
# third, then one linear layer that turns the last feature maps into ten class scores.

# %%
model = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=5, padding=2),  # conv1: 8 filters, 16x16 maps
    nn.ReLU(),
    nn.MaxPool2d(2),  # -> 8x8
    nn.Conv2d(8, 16, kernel_size=3, padding=1),  # conv2: 16 filters of 8 kernels each
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, padding=1),  # conv3: 16 filters of 16 kernels each
    nn.ReLU(),
    nn.MaxPool2d(2),  # -> 4x4
    nn.Flatten(),
    nn.Linear(16 * 4 * 4, 10),  # one score per class
)
conv1, conv2, conv3 = model[0], model[3], model[5]
initial_conv1 = conv1.weight.detach().clone()  # the random start, kept for comparison

optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
for _ in range(10):  # ten passes over the training set
    for batch in torch.randperm(len(x_train)).split(32):
        loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

# Training is over: from here on the kernels stay fixed.
model.eval().requires_grad_(False)
with torch.no_grad():
    test_scores = model(x_test)  # class scores (logits), (450, 10)
predicted = test_scores.argmax(1)
test_accuracy = (predicted == y_test).float().mean().item()
print(f"test accuracy: {test_accuracy:.1%} ({(predicted != y_test).sum()} mistakes)")
assert test_accuracy > 0.95

# %% [markdown]
# ## Kernels drawn as images
#
# The most direct picture of what a layer learned is its weights. Each of the eight first-layer
# filters has a single 5×5 kernel (the input has one channel), so it can be drawn as a small
# image: red where the kernel adds the pixel under it, blue where it subtracts it. Below, the same
# eight kernels before and after training, on one shared colour scale.

# %% alt="Two rows of eight 5 by 5 kernels in red and blue: the first-layer kernels at their random start (top) and after training (bottom). Each trained kernel still resembles its random start, with stronger weights in places."
trained_conv1 = conv1.weight.detach()
similarity = F.cosine_similarity(trained_conv1.flatten(1), initial_conv1.flatten(1))
print("cosine similarity of each trained kernel with its random start:")
print(np.round(similarity.numpy(), 2))
assert similarity.min() > 0.5  # training moved the kernels, but not far from where they began

limit = max(trained_conv1.abs().max(), initial_conv1.abs().max())
fig, axes = plt.subplots(2, 8, figsize=(8, 2.3))
for row, (weights, name) in enumerate(
    [(initial_conv1, "random start"), (trained_conv1, "trained")]
):
    for k, ax in enumerate(axes[row]):
        image = ax.imshow(weights[k, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(name)
fig.colorbar(image, ax=axes, shrink=0.8, label="weight")
plt.show()

# %% [markdown]
# The trained kernels are not the clean edge and Gabor detectors seen in the first layer of large
# networks trained on photographs (see [How kernels are learned](../learning/)): each still looks
# much like its random start (the cosine similarities printed above). Ten passes over 1,347 small
# digits change each kernel only as much as lowering the loss requires, and the rest of its
# random start simply stays. Pictures of kernels show what the weights *are*, not which part of
# them matters.
#
# Deeper kernels are harder still to read. A `conv2` filter has one 3×3 kernel per input channel,
# eight in all, and each one weighs a *feature map* of `conv1`, not pixels. Below, every kernel of
# `conv2`: one column per filter (output channel), one row per input channel.

# %% alt="A grid of 128 small 3 by 3 kernels in red and blue, 16 columns (the conv2 filters) by 8 rows (the conv1 feature maps each filter reads). To the eye, most kernels look like noise."
weights = conv2.weight.detach()  # (16 filters, 8 input channels, 3, 3)
n_out, n_in, k, _ = weights.shape
mosaic = torch.full((n_in * (k + 1) - 1, n_out * (k + 1) - 1), float("nan"))
for o in range(n_out):
    for i in range(n_in):
        mosaic[i * (k + 1) : i * (k + 1) + k, o * (k + 1) : o * (k + 1) + k] = weights[o, i]

limit = weights.abs().max()
fig, ax = plt.subplots(figsize=(5.4, 2.9), layout="constrained")
image = ax.imshow(mosaic, cmap="RdBu_r", vmin=-limit, vmax=limit)
ax.set_xticks(np.arange(n_out) * (k + 1) + 1, range(n_out))
ax.set_yticks(np.arange(n_in) * (k + 1) + 1, range(n_in))
ax.set_xlabel("conv2 filter (output channel)")
ax.set_ylabel("conv1 map it reads\n(input channel)")
ax.set_title("conv2 kernels, 3×3 each")
fig.colorbar(image, ax=ax, shrink=0.7, label="weight")
plt.show()

# %% [markdown]
# ## Feature maps: one digit through each layer
#
# A feature map is what one filter outputs over the whole image. A `nn.Sequential` can be cut
# like a list, so `model[:2]` is `conv1` followed by its ReLU; for other models, forward hooks
# (`register_forward_hook`) collect the same tensors. Each row below shares one colour scale:
# black is zero, white the strongest response in that layer.

# %% alt="The first test digit (top left) and the feature maps it produces: 8 maps of 16 by 16 pixels after conv1 in two rows of 4, and 16 maps of 8 by 8 pixels after conv2 and after conv3, each in a 4 by 4 block. The conv1 maps are copies of the digit with different strokes highlighted; deeper maps are coarser blobs, and several are entirely black."
digit = x_test[0]
maps = {
    "conv1": model[:2](digit[None])[0],  # (8, 16, 16)
    "conv2": model[:5](digit[None])[0],  # (16, 8, 8)
    "conv3": model[:7](digit[None])[0],  # (16, 8, 8)
}
for name, value in maps.items():
    silent = (value.amax((1, 2)) == 0).sum().item()
    print(f"{name}: {tuple(value.shape)}, {silent} of {len(value)} maps all zero for this digit")


def mosaic(value, columns=4):
    """The maps of one layer side by side, `columns` to a row, a blank pixel between them."""
    count, size, _ = value.shape
    tiles = np.full((-(-count // columns) * (size + 1) - 1, columns * (size + 1) - 1), np.nan)
    for c in range(count):
        top, left = (c // columns) * (size + 1), (c % columns) * (size + 1)
        tiles[top : top + size, left : left + size] = value[c]
    return tiles


fig, axes = plt.subplots(1, 4, figsize=(6.4, 2.2), width_ratios=[1, 4, 4, 4], layout="constrained")
axes[0].imshow(digit[0], cmap="gray", vmin=0, vmax=1)
axes[0].set_title("input", fontsize=9)
for ax, (name, value) in zip(axes[1:], maps.items(), strict=True):
    ax.imshow(mosaic(value.detach().numpy()), cmap="gray", vmin=0, vmax=value.max().item())
    size = value.shape[-1]
    ax.set_title(f"{name}: {len(value)} maps\nof {size}×{size}", fontsize=9)
for ax in axes:
    ax.set_axis_off()
plt.show()

# %% [markdown]
# The first-layer maps are still recognisably the digit, each brightening different strokes or
# edges. After `conv2` and `conv3` the maps are coarse and sparse: the ReLU sets every negative
# response to zero, and for a given digit many maps are silent. The printed counts say how many.
# Feature maps answer "what does this layer compute on *this* input"; they do not say what a
# channel responds to in general. The next technique asks that question directly.
#
# ## Activation maximisation: the input a channel likes best
#
# Instead of asking how a channel responds to a real digit, search for the input that makes it
# respond most ([Erhan et al. 2009](../references/#erhan-2009);
# [Simonyan et al. 2014](../references/#simonyan-2014)). Let
# $\bar a_c(x)$ be the mean of channel $c$'s feature map (after the ReLU) for input $x$. Starting
# from random noise, gradient ascent on the pixels looks for
#
# $$\max_{0 \le x \le 1} \bar a_c(x)$$
#
# with the network's weights held fixed. Done naively, this finds images much rougher than any
# digit: the gradient is free to set every pixel on its own, and pixel-level patterns aligned
# with the kernels and the pooling grid are the easiest way up. Three regularisers keep the result
# readable ([Yosinski et al. 2015](../references/#yosinski-2015);
# [Olah et al. 2017](../references/#olah-2017) survey many more):
#
# - **Box constraint.** Pixels are clipped to $[0, 1]$, the range of real digits. Without it the
#   activation can be raised without limit simply by scaling the input up, and no comparison
#   with real inputs would mean anything.
# - **Jitter.** Before each step the image is shifted by up to one pixel in a random direction, so
#   the pattern must work wherever it lands rather than at one exact alignment.
# - **Blur.** After each step a small Gaussian blur ($\sigma = 0.5$ pixel) removes the highest
#   spatial frequencies, which the smooth, enlarged digits do not have either. It is the simplest
#   form of a frequency penalty.
#
# Adam with step size 0.05 runs for 200 steps from uniform noise drawn with seed 0, for all
# sixteen channels at once (one image per channel, in one batch).


# %%
def blur(batch, sigma=0.5):
    """Gaussian blur with a 3x3 kernel (separable weights, edge pixels repeated)."""
    t = torch.tensor([-1.0, 0.0, 1.0])
    g = torch.exp(-(t**2) / (2 * sigma**2))
    g = g / g.sum()
    return F.conv2d(F.pad(batch, (1, 1, 1, 1), mode="replicate"), torch.outer(g, g)[None, None])


def maximise(objective, n, steps=200, regularise=True, seed=0):
    """Gradient ascent on n images; objective(images) returns the n values to maximise."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 16, 16, generator=generator).requires_grad_(True)
    optimiser = torch.optim.Adam([x], lr=0.05)
    for _ in range(steps):
        shift = torch.randint(-1, 2, (2,), generator=generator).tolist() if regularise else [0, 0]
        loss = -objective(torch.roll(x, shift, dims=(2, 3))).sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        with torch.no_grad():
            if regularise:
                x.copy_(blur(x))
            x.clamp_(0, 1)  # the box constraint is kept in both versions
    return x.detach()


channels = torch.arange(16)


def conv3_means(x):
    """Mean activation of each conv3 channel after the ReLU: shape (batch, 16)."""
    return model[:7](x).mean((2, 3))


def own_channel(x):
    """For image number c of the batch, the mean activation of conv3 channel c."""
    return conv3_means(x)[channels, channels]


best_inputs = maximise(own_channel, 16)
plain_inputs = maximise(own_channel, 16, regularise=False)

with torch.no_grad():
    reached = own_channel(best_inputs)
    reached_plain = own_channel(plain_inputs)
    strongest_real = conv3_means(x_test).max(0).values  # best test digit, per channel
alive = strongest_real > 0
ratio = reached[alive] / strongest_real[alive]
print(f"{(~alive).sum()} of 16 conv3 channels never fire on any of the {len(x_test)} test digits")
print("activation reached / strongest test digit, per live channel:")
print(np.round(ratio.numpy(), 2))
print(f"median {ratio.median():.2f}, smallest {ratio.min():.2f}")
assert ratio.min() > 1.2 and ratio.median() > 1.8

# %% [markdown]
# For every channel that fires at all, the synthetic input drives it well beyond the strongest
# response among all test digits (the ratios above), while staying inside the same pixel range.
# Channels that never fire on real digits, if any, are *dead*: their ReLU input is negative on
# every test image, so they contribute nothing to the network's decisions on such images.

# %% alt="Sixteen pairs of 16 by 16 grey images, one pair per conv3 channel. Top row, with jitter and blur: mostly smooth stripes, each channel at its own orientation, and a few uniformly bright images; the dead channel stays flat grey. Bottom row, plain gradient ascent: similar patterns with jagged, hard pixel edges."
fig, axes = plt.subplots(2, 16, figsize=(11, 1.8))
for c in range(16):
    for row, batch in enumerate([best_inputs, plain_inputs]):
        axes[row, c].imshow(batch[c, 0], cmap="gray", vmin=0, vmax=1)
        axes[row, c].set_xticks([])
        axes[row, c].set_yticks([])
    axes[0, c].set_title(f"{c}" if alive[c] else f"{c} dead", fontsize=8)
axes[0, 0].set_ylabel("regularised", rotation=0, ha="right", va="center")
axes[1, 0].set_ylabel("plain", rotation=0, ha="right", va="center")
plt.show()


# %%
def total_variation(batch):
    """Mean absolute difference between neighbouring pixels: high for noisy images."""
    dy = (batch[..., 1:, :] - batch[..., :-1, :]).abs().mean()
    dx = (batch[..., :, 1:] - batch[..., :, :-1]).abs().mean()
    return (dx + dy).item()


tv = {
    "real test digits": total_variation(x_test),
    "regularised": total_variation(best_inputs[alive]),
    "plain": total_variation(plain_inputs[alive]),
}
for name, value in tv.items():
    print(f"total variation, {name}: {value:.3f}")
print(f"plain images are {tv['plain'] / tv['real test digits']:.1f} times as rough as real digits")
print(f"median ratio, plain: {(reached_plain[alive] / strongest_real[alive]).median():.2f}")
assert tv["regularised"] < tv["real test digits"] * 1.2 < tv["plain"]

# %% [markdown]
# The regularisers have a price and a payoff, both measured above. Plain ascent reaches higher
# activations, but its images are much rougher than real digits (total variation, the mean jump
# between neighbouring pixels); the regularised images are about as smooth as the digits
# themselves. What a channel "likes" is thus partly decided by the regulariser: the pictures are
# the answer to a question we chose, not a neutral photograph of the channel.
#
# The same search works on a class score instead of a channel, which is how Simonyan et al.
# visualised whole classes: below, for each digit class, the input that maximises the network's
# score (logit) for that class.

# %% alt="Ten 16 by 16 grey images, one per digit class 0 to 9, each synthesised to maximise that class's score. They show scattered stroke fragments rather than whole, legible digits."
class_inputs = maximise(lambda x: model(x)[torch.arange(10), torch.arange(10)], 10)
with torch.no_grad():
    class_scores = model(class_inputs)
print("predicted class of each synthetic input:", class_scores.argmax(1).tolist())
score_ratio = class_scores.diagonal() / test_scores.max(0).values
print("its score / highest score of that class on a test digit:")
print(np.round(score_ratio.numpy(), 2))
assert (class_scores.argmax(1) == torch.arange(10)).all() and score_ratio.min() > 1.3

fig, axes = plt.subplots(1, 10, figsize=(8, 1.1))
for c, ax in enumerate(axes):
    ax.imshow(class_inputs[c, 0], cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"class {c}", fontsize=8)
    ax.axis("off")
plt.show()

# %% [markdown]
# Every synthetic input is classified as the class it was built for, with a score well above any
# real digit's, yet none of them looks like a clean digit: the network's idea of a class is a set
# of local clues, and a picture can satisfy all of them at once without resembling a sample of the
# data. The same gap between "raises the score" and "looks like the class" is what adversarial
# examples exploit.
#
# ## Which pixels mattered? Occlusion and gradient saliency
#
# The last two techniques explain one decision on one input. Let $s_c(x)$ be the network's score
# (logit) for the class $c$ it predicts.
#
# **Occlusion sensitivity** ([Zeiler & Fergus 2014](../references/#zeiler-2014)) covers part of
# the image with a grey square and records how much the score drops:
#
# $$\Delta(i, j) = s_c(x) - s_c(x \text{ with a grey square at } (i, j))$$
#
# We slide a 4×4 square of value 0.5 (halfway between background and ink) over all 169 positions
# and give each pixel the average drop of the squares that cover it.
#
# **Gradient saliency** ([Simonyan et al. 2014](../references/#simonyan-2014)) asks how fast the
# score changes with each pixel. One backward pass gives, for every pixel,
#
# $$M_{ij} = \left| \frac{\partial s_c(x)}{\partial x_{ij}} \right|$$
#
# The gradient describes an infinitesimal change of the input; occlusion describes a large one.

# %% alt="Four test digits (top row) with their true and predicted classes, the last one misclassified. Middle row: occlusion maps in red and blue, red where a grey square lowers the predicted class's score. Bottom row: gradient saliency maps, bright where the score is most sensitive to a pixel. The two maps highlight partly different places."
PATCH, GREY = 4, 0.5
CORNERS = [(i, j) for i in range(16 - PATCH + 1) for j in range(16 - PATCH + 1)]


def occluded_scores(image, target):
    """Score of class `target` with the grey square at each of the 169 positions."""
    batch = image.repeat(len(CORNERS), 1, 1, 1)
    for n, (i, j) in enumerate(CORNERS):
        batch[n, :, i : i + PATCH, j : j + PATCH] = GREY
    return model(batch)[:, target]


def occlusion_map(image, target):
    """Per pixel, the average score drop over the grey squares that cover it."""
    drops = model(image[None])[0, target] - occluded_scores(image, target)
    total, count = torch.zeros(16, 16), torch.zeros(16, 16)
    for drop, (i, j) in zip(drops, CORNERS, strict=True):
        total[i : i + PATCH, j : j + PATCH] += drop
        count[i : i + PATCH, j : j + PATCH] += 1
    return total / count


def gradient_saliency(net, batch, targets):
    """|d score / d pixel| for each image; each image's score depends on that image only."""
    batch = batch.clone().requires_grad_(True)
    scores = net(batch)[torch.arange(len(batch)), targets].sum()
    (gradient,) = torch.autograd.grad(scores, batch)
    return gradient.abs()[:, 0]


saliency = gradient_saliency(model, x_test, predicted)  # (450, 16, 16)
mistake = int((predicted != y_test).nonzero()[0])
examples = [0, 1, 2, mistake]  # three test digits and the first misclassified one
probabilities = test_scores.softmax(1)

fig, axes = plt.subplots(3, 4, figsize=(6, 4.8))
for col, n in enumerate(examples):
    occlusion = occlusion_map(x_test[n], predicted[n])
    axes[0, col].imshow(x_test[n, 0], cmap="gray", vmin=0, vmax=1)
    axes[0, col].set_title(
        f"true {y_test[n]}, predicted {predicted[n]}\n({probabilities[n, predicted[n]]:.0%})",
        fontsize=9,
    )
    limit = occlusion.abs().max()
    axes[1, col].imshow(occlusion, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[2, col].imshow(saliency[n], cmap="magma")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[1, 0].set_ylabel("occlusion")
axes[2, 0].set_ylabel("gradient")
plt.show()

# %% [markdown]
# Red in the occlusion maps marks places where covering the image lowers the predicted class's
# score, blue places where covering it *raises* the score (the grey square hides ink that argued
# for another class, or adds ink that fits the predicted one). The gradient maps are
# speckled: they say which single pixels the score is most sensitive to at this exact input.
#
# ### Do the two maps agree?
#
# If gradient saliency points at what matters, covering the most salient 4×4 square should hurt
# the score more than covering a square chosen at random. We test that on all 450 test digits,
# reusing the 169 occlusions of each.

# %%
with torch.no_grad():
    drops = torch.stack(
        [
            test_scores[n, predicted[n]] - occluded_scores(x_test[n], predicted[n])
            for n in range(450)
        ]
    )  # (450 digits, 169 square positions)
# mean saliency under each square, in the same row-major order as CORNERS
square_saliency = F.avg_pool2d(saliency[:, None], PATCH, stride=1).flatten(1)
salient = square_saliency.argmax(1)
random_square = torch.from_numpy(np.random.default_rng(0).integers(len(CORNERS), size=450))
every_digit = torch.arange(450)
salient_drop = drops[every_digit, salient]
random_drop = drops[every_digit, random_square]
salient_wins = (salient_drop > random_drop).float().mean()
beaten = (drops < salient_drop[:, None]).float().mean(1)  # share of positions it beats

print(f"mean score drop, most salient square: {salient_drop.mean():.2f}")
print(f"mean score drop, random square:       {random_drop.mean():.2f}")
print(f"the salient square hurts more than the random one on {salient_wins:.0%} of digits")
print(f"median share of the 169 positions the salient square beats: {beaten.median():.0%}")
assert salient_drop.mean() > 1.3 * random_drop.mean() and beaten.median() > 0.6
assert 0.5 < salient_wins < 0.7  # better than chance, but not by much

# %% [markdown]
# On average the gradient does point somewhere that matters: the salient square costs more score
# than a random one, and it beats most other positions. But the agreement is loose. Digit by digit,
# the salient square beats the random one only a little more often than a coin toss would, because
# the gradient describes an infinitesimal change and a grey square is a large one.
#
# ### A sanity check: does the map depend on what the network learned?
#
# [Adebayo et al. 2018](../references/#adebayo-2018) proposed a simple test for any saliency
# method: re-draw the network's weights at random and see whether the map changes. If it does not,
# the method shows the input (edges, say), not the model. Here the same architecture gets fresh
# random weights, and we compare its gradient maps with the trained network's by rank correlation
# (Spearman), digit by digit, for the same target classes.

# %% alt="Gradient saliency maps of the same four digits for a network with random weights: speckled maps whose bright pixels fall in other places than in the trained network's maps."
random_model = copy.deepcopy(model)
torch.manual_seed(1)
for layer in random_model:
    if hasattr(layer, "reset_parameters"):
        layer.reset_parameters()  # the same random draw PyTorch uses at construction
random_saliency = gradient_saliency(random_model, x_test, predicted)

rho = np.array(
    [spearmanr(saliency[n].flatten(), random_saliency[n].flatten())[0] for n in range(450)]
)
rho_input = np.array([spearmanr(saliency[n].flatten(), x_test[n].flatten())[0] for n in range(450)])
print(f"rank correlation, trained vs random-weight saliency: median {np.median(rho):.2f}")
print(f"rank correlation, trained saliency vs the input itself: median {np.median(rho_input):.2f}")
assert np.median(rho) < 0.4

fig, axes = plt.subplots(1, 4, figsize=(6, 1.7))
for ax, n in zip(axes, examples, strict=True):
    ax.imshow(random_saliency[n], cmap="magma")
    ax.set_xticks([])
    ax.set_yticks([])
axes[0].set_ylabel("random\nweights")
plt.show()

# %% [markdown]
# The trained network's gradient maps are only weakly related to those of a random network, so
# here plain gradient saliency passes the weight-randomisation check, as it did in Adebayo et al.'s
# experiments (some popular variants, such as guided backpropagation, did not).
#
# <div class="admonition warning">
# <p class="admonition-title">What these pictures can and cannot tell you</p>
# <ul>
# <li><strong>Kernels</strong> are exact, but only the first layer is in pixel space; deeper
# kernels weigh feature maps, and a kernel's look says little about which of its parts matter.</li>
# <li><strong>Feature maps</strong> are exact too, but only for the input you chose.</li>
# <li><strong>Activation maximisation</strong> shows what a channel responds to <em>within the
# images your regulariser allows</em>; change the regulariser and the picture changes. A channel
# may also respond to several unrelated patterns, and one picture shows only one of them.</li>
# <li><strong>Saliency and occlusion maps</strong> explain one decision on one input, depend on
# choices (the square's size and grey value, the score used, absolute values), and need not agree
# with each other, as measured above. A map that looks plausible is not evidence that it is
# faithful: check it against the model, for instance by randomising weights or labels
# (<a href="../references/#adebayo-2018">Adebayo et al. 2018</a>).</li>
# </ul>
# </div>
#
# ## Further reading
#
# - [Zeiler & Fergus 2014](../references/#zeiler-2014): deconvolution pictures and occlusion
#   experiments on a large ImageNet network.
# - [Simonyan et al. 2014](../references/#simonyan-2014): class visualisation and gradient
#   saliency maps.
# - [Yosinski et al. 2015](../references/#yosinski-2015): live feature maps and regularised
#   activation maximisation for every layer.
# - [Olah et al. 2017](../references/#olah-2017), *Feature Visualization*: how the choice of
#   regulariser and parametrisation shapes the pictures, with many interactive examples.
# - [Olah et al. 2020](../references/#olah-2020), *An Overview of Early Vision in InceptionV1*:
#   the first five layers of a large network, channel by channel.
#
# [Up close, a real network](../real/#from-edges-to-parts-the-five-stages) takes the first of
# these tools to a large trained network: the photo patches that most excite a few units deep
# inside VGG16, and what each of its five stages draws.
#
# ## The numbers of this run

# %%
summary = [
    ("test accuracy", f"{test_accuracy:.1%}"),
    ("dead conv3 channels (never fire on a test digit)", f"{(~alive).sum()} of 16"),
    ("activation maximisation / strongest test digit", f"median {ratio.median():.2f}"),
    ("... smallest over live channels", f"{ratio.min():.2f}"),
    (
        "total variation, real digits / regularised / plain",
        " / ".join(f"{v:.3f}" for v in tv.values()),
    ),
    (
        "score drop, most salient / random square",
        f"{salient_drop.mean():.2f} / {random_drop.mean():.2f}",
    ),
    ("digits where the salient square hurts more", f"{salient_wins:.0%}"),
    ("saliency rank correlation, trained vs random weights", f"median {np.median(rho):.2f}"),
    ("CPU time of the whole notebook", f"{time.process_time() - start:.1f} s"),
]
table = "| measurement | value |\n|---|---|\n"
table += "\n".join(f"| {name} | {value} |" for name, value in summary)
display(Markdown(table))
