"""Translation equivariance: shifting the input of a convolution layer shifts its output. It holds
exactly with circular padding, everywhere except near the borders with zero padding, and only for
shifts that are multiples of the stride when the layer has a stride.

Needs: pip install matplotlib==3.11.2 scikit-image==0.26.0 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import skimage.data
import torch

torch.manual_seed(0)

image = skimage.data.camera()[::8, ::8] / 255.0  # 64x64 grey photo
x = torch.tensor(image, dtype=torch.float64)[None, None]
shift = (5, 3)  # down 5 pixels, right 3 pixels


def translate(t, dy, dx):
    """Move the content of t down by dy and right by dx; pixels moving in are zeros."""
    out = torch.zeros_like(t)
    h, w = t.shape[-2:]
    out[..., dy:, dx:] = t[..., : h - dy, : w - dx]
    return out


def layer(padding_mode, stride=1):
    torch.manual_seed(1)  # the same 8 random 5x5 filters every time
    conv = torch.nn.Conv2d(1, 8, 5, stride=stride, padding=2, padding_mode=padding_mode)
    return conv.double().requires_grad_(False)


# %% [markdown]
# ## Circular padding: exact
# The image is treated as a torus, so shifting it with `torch.roll` loses nothing.

# %%
conv = layer("circular")
rolled_first = conv(torch.roll(x, shift, dims=(2, 3)))
rolled_after = torch.roll(conv(x), shift, dims=(2, 3))
circular_max_error = (rolled_first - rolled_after).abs().max().item()
assert torch.allclose(rolled_first, rolled_after, atol=1e-12)
print(f"circular padding: max |conv(shift x) - shift conv(x)| = {circular_max_error:.1e}")

# %% [markdown]
# ## Zero padding: exact away from the borders only
# Near a border the kernel covers padding zeros, and what it sees there changes with the shift.

# %%
conv = layer("zeros")
shifted_first = conv(translate(x, *shift))
shifted_after = translate(conv(x), *shift)
zero_pad_error = (shifted_first - shifted_after).abs().amax(dim=1)[0]  # max over the 8 filters
margin = 2  # kernel radius: output pixels whose 5x5 window touches the padding
interior = zero_pad_error[shift[0] + margin : -margin, shift[1] + margin : -margin]
zero_pad_interior_max_error = interior.max().item()
zero_pad_border_max_error = zero_pad_error.max().item()
zero_pad_wrong_pixels = int((zero_pad_error > 1e-9).sum())
zero_pad_total_pixels = zero_pad_error.numel()
assert zero_pad_interior_max_error < 1e-12 and zero_pad_border_max_error > 0.01
print(
    f"zero padding: interior max error {zero_pad_interior_max_error:.1e}, "
    f"border max error {zero_pad_border_max_error:.2f} "
    f"({zero_pad_wrong_pixels} of {zero_pad_total_pixels} output pixels differ)"
)

# %% [markdown]
# ## Stride 2: only even shifts survive
# With stride 2 the output grid is coarser than the input grid: an input shift of 2 pixels is an
# output shift of 1, but an odd shift lands between output pixels. We measure the relative error
# against the best whole-pixel shift of the output (circular padding, so borders play no role).

# %%
shifts = list(range(9))
relative_error = {1: [], 2: []}
for stride in (1, 2):
    conv = layer("circular", stride)
    y = conv(x)
    for s in shifts:
        y_shifted_input = conv(torch.roll(x, (s, s), dims=(2, 3)))
        errors = []
        for t in (s // stride, (s + stride - 1) // stride):  # output shifts around s/stride
            diff = y_shifted_input - torch.roll(y, (t, t), dims=(2, 3))
            errors.append((diff.norm() / y.norm()).item())
        relative_error[stride].append(min(errors))
assert max(relative_error[1]) < 1e-12 and max(relative_error[2][0::2]) < 1e-12
stride2_odd_shift_error = min(relative_error[2][1::2])  # the smallest error of any odd shift
assert stride2_odd_shift_error > 0.1
print(f"stride 2, odd shifts: relative error at least {stride2_odd_shift_error:.0%}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), gridspec_kw={"width_ratios": [1, 1, 1.4]})
axes[0].imshow(image, cmap="gray")
axes[0].set_title("input (64x64)")
im = axes[1].imshow(zero_pad_error.numpy(), cmap="magma")
fig.colorbar(im, ax=axes[1], shrink=0.8)
axes[1].set_title(f"zero padding, shift {shift}:\n|conv(shift x) - shift conv(x)|", fontsize=9)
for ax in axes[:2]:
    ax.set_xticks([])
    ax.set_yticks([])
axes[2].plot(shifts, relative_error[1], "o-", label="stride 1")
axes[2].plot(shifts, relative_error[2], "s-", label="stride 2")
axes[2].set_xlabel("input shift (pixels, both axes)")
axes[2].set_ylabel("relative error")
axes[2].set_title("circular padding: error after shifting", fontsize=9)
axes[2].legend()
fig.tight_layout()
plt.show()
