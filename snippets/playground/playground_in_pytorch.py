"""What the playground computes, in PyTorch: pad the image, then cross-correlate each colour
channel with the same kernel.

The figure shows a 7 × 7 box blur of a 64 × 64 colour detail with the four padding modes:
they agree in the middle and differ only in a band as wide as the kernel's radius.

Needs: pip install matplotlib==3.11.2 scikit-image==0.26.0 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from skimage import data


def playground_filter(image, kernel, padding="reflect", flip=False):
    """Filter ``image`` (channels, height, width) with ``kernel`` (k, k), like the playground.

    ``flip=True`` turns PyTorch's cross-correlation into a true convolution.
    """
    if flip:
        kernel = kernel.flip(0, 1)
    channels, k = image.shape[0], kernel.shape[0]
    p = k // 2  # same-size output
    mode = "constant" if padding == "zeros" else padding  # F.pad's name for zero padding
    padded = F.pad(image[None], (p, p, p, p), mode=mode)
    weight = kernel.expand(channels, 1, k, k)  # one copy of the kernel per channel...
    return F.conv2d(padded, weight, groups=channels)[0]  # ...each sees only its own channel


# %%
# The playground's 64 × 64 detail, as float64 values in [0, 1], channels first.
eyes = torch.from_numpy(data.astronaut()[60:124, 190:254]).permute(2, 0, 1).double() / 255
box = torch.full((7, 7), 1 / 49, dtype=torch.float64)
modes = ["zeros", "reflect", "replicate", "circular"]
blurred = {mode: playground_filter(eyes, box, mode) for mode in modes}

# Away from the border (3 pixels = the kernel's radius) the padding is never read.
inner = (slice(None), slice(3, -3), slice(3, -3))
for mode in modes:
    assert torch.allclose(blurred[mode][inner], blurred["zeros"][inner])

# Zero padding mixes black into the border; the other modes keep its brightness.
border = torch.ones(64, 64, dtype=torch.bool)
border[3:-3, 3:-3] = False
border_darkening = {
    mode: round(255 * (eyes[:, border].mean() - blurred[mode][:, border].mean()).item(), 1)
    for mode in modes
}
assert border_darkening["zeros"] > 20
assert all(abs(border_darkening[mode]) < 1 for mode in modes[1:])

# The flip matters only for kernels that are not symmetric, such as Sobel's.
sobel_x = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float64)
assert torch.allclose(
    playground_filter(eyes, sobel_x, flip=True), -playground_filter(eyes, sobel_x)
)
assert torch.allclose(playground_filter(eyes, box, flip=True), playground_filter(eyes, box))
print("mean change of the border pixels, in grey levels:", border_darkening)

# %%
fig, axes = plt.subplots(1, 5, figsize=(8, 2))
# "nearest" draws each pixel as a sharp square
axes[0].imshow(eyes.permute(1, 2, 0).numpy(), interpolation="nearest")
axes[0].set_title("input", fontsize=9)
for ax, mode in zip(axes[1:], modes, strict=True):
    ax.imshow(blurred[mode].permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
    ax.set_title(f"box blur, {mode}", fontsize=9)
for ax in axes:
    ax.axis("off")
fig.tight_layout()
plt.show()
