"""A Gabor layer whose few numbers are learned: width σ, orientation θ, wavelength λ and a gain.

The kernel's shape is fixed by a formula; gradient descent only moves its four parameters. It is
trained, from 64 random starting points at once, to reproduce the output of a hidden Gabor
kernel, and compared with a free 11 × 11 kernel (121 learned numbers) trained on the same data.
Then both are asked to reproduce a kernel that is not a Gabor function.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
generator = torch.Generator().manual_seed(0)
SIZE, N_STARTS, N_CORNER, STEPS = 11, 64, 16, 300
LR_GABOR, LR_FREE = 0.1, 0.02  # Adam's learning rates for the Gabor parameters, the free kernels
r = torch.arange(SIZE, dtype=torch.float32) - SIZE // 2
yy, xx = torch.meshgrid(r, r, indexing="ij")


def gabor(sigma, theta, wavelength, gain):
    """One SIZE x SIZE Gabor kernel per entry of the 1-D parameter tensors: (n, 1, SIZE, SIZE)."""
    s, t, lam, a = (p.view(-1, 1, 1) for p in (sigma, theta, wavelength, gain))
    along = xx * torch.cos(t) + yy * torch.sin(t)  # coordinate across the stripes
    envelope = torch.exp(-(xx**2 + yy**2) / (2 * s**2))
    return (a * envelope * torch.cos(2 * math.pi * along / lam))[:, None]


def fit(target_kernel, images, n_starts):
    """Train `n_starts` Gabor layers and `n_starts` free kernels to map `images` to the target's
    output. All 2 * n_starts kernels are output channels of one convolution, so they train
    together, each on its own loss."""
    # Gabor layers: random theta in [0, pi), sigma in [1.5, 3], wavelength in [3, 8] pixels.
    # The wavelength is kept above 2 pixels: shorter stripes cannot be drawn on the pixel grid
    # (they alias into longer ones in another direction, and theta would lose its meaning).
    theta = torch.rand(n_starts, generator=generator) * math.pi
    log_sigma = torch.empty(n_starts).uniform_(math.log(1.5), math.log(3), generator=generator)
    log_excess = torch.empty(n_starts).uniform_(0, math.log(6), generator=generator)
    gain = torch.ones(n_starts)
    free = (torch.rand(n_starts, 1, SIZE, SIZE, generator=generator) - 0.5) / SIZE  # like PyTorch
    start_theta = theta.clone()
    gabor_parameters = [p.requires_grad_() for p in (theta, log_sigma, log_excess, gain)]
    optimiser = torch.optim.Adam(
        [
            {"params": gabor_parameters, "lr": LR_GABOR},
            {"params": [free.requires_grad_()], "lr": LR_FREE},
        ]
    )
    target = F.conv2d(images, target_kernel)

    def all_kernels():
        return torch.cat([gabor(log_sigma.exp(), theta, 2 + log_excess.exp(), gain), free])

    for _ in range(STEPS):
        loss = ((F.conv2d(images, all_kernels()) - target) ** 2).mean(dim=(0, 2, 3))
        optimiser.zero_grad()
        loss.sum().backward()  # the sum of independent losses: each kernel gets its own gradient
        optimiser.step()
    with torch.no_grad():
        kernels = all_kernels()
        train_error = loss.sqrt() / target.pow(2).mean().sqrt()
        # How well each kernel does on images it has never seen: relative error of its output.
        new = torch.randn(4, 1, 32, 32, generator=generator)
        wanted = F.conv2d(new, target_kernel)
        error = (F.conv2d(new, kernels) - wanted).flatten(2).norm(dim=2).mean(0) / wanted.norm(
            dim=(2, 3)
        ).mean()
    learned = (start_theta, theta.detach(), log_sigma.exp().detach(), 2 + log_excess.exp().detach())
    return kernels, error[:n_starts], error[n_starts:], learned, train_error[:n_starts]


# %% [markdown]
# ## Learning the orientation of a hidden Gabor kernel from one small image

# %%
TRUE_THETA, TRUE_SIGMA, TRUE_WAVELENGTH = math.pi / 3, 2.0, 5.0  # 60 degrees
truth = (TRUE_SIGMA, TRUE_THETA, TRUE_WAVELENGTH, 1.0)
hidden = gabor(*(torch.tensor([value]) for value in truth))
one_image = torch.randn(1, 1, 16, 16, generator=generator)  # 6 x 6 = 36 outputs to learn from
kernels, gabor_error, free_error, learned, gabor_train_error = fit(hidden, one_image, N_STARTS)
start_theta, theta, sigma_learned, wavelength_learned = learned

# The stripes of a Gabor kernel look the same after a half turn: compare angles modulo 180.
theta_error = ((theta - TRUE_THETA + math.pi / 2) % math.pi - math.pi / 2).abs()
theta_error_degrees = torch.rad2deg(theta_error)
# The loss of a parametric kernel is not convex in its parameters: a few starts get stuck (the
# kernel settles on other stripes). Their training error stays high, so a failed start is
# visible and can be restarted. Every start that fits well has the right angle.
fitted = gabor_train_error < 0.01
n_fitted = int(fitted.sum())
max_theta_error = theta_error_degrees[fitted].max().item()
assert n_fitted >= 0.9 * N_STARTS
assert max_theta_error < 0.5
assert (gabor_train_error[~fitted] > 0.1).all()  # no borderline cases: stuck is clearly stuck
assert torch.allclose(sigma_learned[fitted], torch.tensor(TRUE_SIGMA), atol=0.05)
assert torch.allclose(wavelength_learned[fitted], torch.tensor(TRUE_WAVELENGTH), atol=0.05)
gabor_parameters, free_parameters = 4, SIZE * SIZE
equations = (16 - SIZE + 1) ** 2
# 36 equations cannot pin down 121 numbers: the free kernel fits the training image but not
# new images. Three numbers can be pinned down.
gabor_new_error = gabor_error[fitted].max().item()
free_new_error, free_new_error_sd = free_error.mean().item(), free_error.std().item()
assert gabor_new_error < 0.01 and free_error.min() > 0.5
print(
    f"Gabor layer ({gabor_parameters} parameters): {n_fitted} of {N_STARTS} starts fit; their "
    f"orientation is off by at most {max_theta_error:.3f}°, error on new images "
    f"at most {gabor_new_error:.4f}"
)
print(
    f"free kernel ({free_parameters} parameters): error on new images "
    f"{free_new_error:.2f} ± {free_new_error_sd:.2f}"
)

# %% [markdown]
# ## A target that is not a Gabor function, with plenty of data

# %%
corner = torch.zeros(1, 1, SIZE, SIZE)
corner[0, 0, 3:8, 3] = corner[0, 0, 7, 3:8] = 1.0  # an L-shaped stroke
corner -= corner.mean()
many_images = torch.randn(2, 1, 24, 24, generator=generator)  # 2 x 14 x 14 outputs
corner_kernels, corner_gabor_error, corner_free_error, _, _ = fit(corner, many_images, N_CORNER)
corner_gabor_best = corner_gabor_error.min().item()
corner_free_worst = corner_free_error.max().item()
# No setting of the four numbers makes an L; the free kernel has room for any 11 x 11 pattern.
assert corner_gabor_best > 0.5 and corner_free_worst < 0.01
print(
    f"L-shaped target: best Gabor layer error {corner_gabor_best:.2f}, "
    f"worst free kernel {corner_free_worst:.4f}"
)

# %%
fig, axes = plt.subplots(2, 4, figsize=(8, 4.3))
best = int(torch.argmin(corner_gabor_error))
panels = [
    (hidden[0, 0], "hidden Gabor, 60°"),
    (kernels[0, 0], f"Gabor layer\n(4 numbers), error {gabor_error[0]:.3f}"),
    (kernels[N_STARTS, 0], f"free kernel\n(121 numbers), error {free_error[0]:.2f}"),
    (None, None),
    (corner[0, 0], "hidden L-shaped kernel"),
    (corner_kernels[best, 0], f"best Gabor layer\nerror {corner_gabor_error[best]:.2f}"),
    (corner_kernels[N_CORNER, 0], f"free kernel\nerror {corner_free_error[0]:.3f}"),
]
for ax, (kernel, title) in zip(axes.flat, panels, strict=False):
    ax.set_xticks([])
    ax.set_yticks([])
    if kernel is None:
        continue
    lim = kernel.abs().max().item()
    ax.imshow(kernel.detach().numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_title(title, fontsize=8)
axes[0, 0].set_ylabel("1 image of 16×16", fontsize=8)
axes[1, 0].set_ylabel("2 images of 24×24", fontsize=8)
ax = axes[0, 3]
for ok, style in ((True, "o"), (False, "x")):
    chosen = fitted == ok
    ax.plot(
        np.rad2deg(start_theta[chosen].numpy()),
        np.rad2deg(theta[chosen].numpy() % math.pi),
        style,
        ms=4,
        label="fits" if ok else "stuck",
    )
ax.legend(fontsize=7, loc="upper left")
ax.axhline(60, color="k", lw=0.8, ls=":")
ax.set_xticks([0, 90, 180])
ax.set_yticks([0, 60, 120, 180])
ax.set_xlim(0, 180)
ax.set_ylim(0, 180)
ax.set_title(f"θ of the {N_STARTS} Gabor layers", fontsize=8)
ax.set_xlabel("at the start (degrees)", fontsize=8)
ax.set_ylabel("learned (mod 180)", fontsize=8)
ax.tick_params(labelsize=7)
axes[1, 3].axis("off")
fig.suptitle("Errors: relative output error on new noise images", fontsize=9)
fig.tight_layout()
plt.show()
