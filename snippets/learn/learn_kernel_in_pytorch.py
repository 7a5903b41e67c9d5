"""Learn a 3 × 3 kernel back by gradient descent, in PyTorch: what the "Learn a kernel" page does.

A photo is filtered with Sobel's x kernel; a 3 × 3 convolution layer starting from PyTorch's
random initialisation is trained with `torch.optim.SGD` to produce the same output. The figure
shows the nine weights moving from their random start to Sobel's numbers, and the loss falling,
with and without momentum. The script also writes the random start to `learn_start.json`, which
the page loads, so that the page and this script begin from the same numbers. `prepare` makes
any photo into the layer's input as the page does with a photo of your own.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 torch==2.13.0
"""

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from skimage import data
from skimage.transform import downscale_local_mean


def prepare(photo):
    """A photo (grey (H, W) or colour (H, W, 3), values 0 to 255) as the layer's input: grey,
    its centre square whose side is a multiple of 128, averaged over blocks to 128 × 128,
    standardised to zero mean and unit variance. Shape (batch, channels, height, width)."""
    if photo.ndim == 3:  # colour: ITU-R BT.601 weights, not rounded
        photo = photo[..., :3] @ np.array([299, 587, 114]) / 1000
    block = min(photo.shape) // 128
    side = 128 * block
    top, left = (photo.shape[0] - side) // 2, (photo.shape[1] - side) // 2
    square = photo[top : top + side, left : left + side] / 255
    image = torch.from_numpy(downscale_local_mean(square, (block, block)))
    return ((image - image.mean()) / image.std(correction=0))[None, None]


# -- the photo: the playground's 256 × 256 cameraman, averaged over 2 × 2 blocks to 128 × 128
camera = downscale_local_mean(data.camera(), (2, 2)).round().astype(np.uint8)  # = camera.png
x = prepare(camera)  # for a photo of your own: prepare(skimage.io.imread("my_photo.jpg"))
assert x.shape == (1, 1, 128, 128)

# -- the target: the output of Sobel's x kernel (cross-correlation, no padding: 126 × 126)
sobel_x = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float64)
target = F.conv2d(x, sobel_x[None, None])

# -- the start: PyTorch's default initialisation of a 1-in, 1-out 3 × 3 convolution
seed = 0
torch.manual_seed(seed)
layer = torch.nn.Conv2d(1, 1, kernel_size=3, bias=False)  # weights drawn from U(-1/3, 1/3)
start = layer.weight.detach().double()  # float64 from here on, like the page's numbers
with open("learn_start.json", "w") as file:
    json.dump({"seed": seed, "kernel": start.flatten().tolist()}, file)


# %%
def learn(target, lr, momentum, steps):
    """Train a copy of the start with SGD; return the kernels (steps + 1, 3, 3) and losses."""
    weight = start.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([weight], lr=lr, momentum=momentum)
    kernels, losses = [weight.detach()[0, 0].clone()], []
    for _ in range(steps):
        loss = F.mse_loss(F.conv2d(x, weight), target)  # mean over the 126 × 126 outputs
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        kernels.append(weight.detach()[0, 0].clone())
        losses.append(loss.item())
    return torch.stack(kernels), losses


lr, momentum, steps = 0.1, 0.9, 300
with_momentum, losses_momentum = learn(target, lr, momentum, steps)
plain, losses_plain = learn(target, lr, momentum=0.0, steps=steps)
distance_momentum = (with_momentum[-1] - sobel_x).abs().max().item()
distance_plain = (plain[-1] - sobel_x).abs().max().item()
print(f"largest |learned - Sobel x| after {steps} steps at lr {lr}:")
print(f"  SGD with momentum {momentum}: {distance_momentum:.1e}, plain SGD: {distance_plain:.2f}")
assert distance_momentum < 1e-3 < 0.05 < distance_plain  # momentum gets there, plain SGD not yet

# -- too large a learning rate: every step overshoots, and the loss grows instead of falling
diverging_lr, diverging_steps = 1.0, 20
losses_diverging = learn(target, diverging_lr, momentum, diverging_steps)[1]
divergence_growth = losses_diverging[-1] / losses_diverging[0]
assert divergence_growth > 1e6
print(f"learning rate {diverging_lr}: the loss grew {divergence_growth:.0e} times")

# -- a target made by true convolution (the flipped kernel): the layer learns the flipped kernel
convolved = F.conv2d(x, sobel_x.flip(0, 1)[None, None])
learned_from_convolution = learn(convolved, lr, momentum, steps)[0][-1]
distance_flipped = (learned_from_convolution - sobel_x.flip(0, 1)).abs().max().item()
assert distance_flipped < 1e-3
print("learned from a convolved target (Sobel x flipped):")
print(np.array2string(learned_from_convolution.numpy(), precision=3, suppress_small=True))

# %%
fig, (ax_w, ax_loss) = plt.subplots(1, 2, figsize=(9, 3.4))
for i in range(3):
    for j in range(3):
        line = ax_w.plot(with_momentum[:, i, j], lw=1.2)[0]
        ax_w.axhline(sobel_x[i, j], color=line.get_color(), ls=":", lw=0.8)
ax_w.set(xlabel="step", ylabel="weight", title="The nine weights (dotted: Sobel x)")
ax_loss.semilogy(losses_momentum, label=f"SGD, momentum {momentum}")
ax_loss.semilogy(losses_plain, label="SGD")
ax_loss.set(xlabel="step", ylabel="mean squared error", title=f"Loss, learning rate {lr}")
ax_loss.legend()
fig.tight_layout()
plt.show()
