"""im2col: copy every input patch into a column, then compute the whole layer with one matrix
product. The result equals ``F.conv2d``: each output pixel is a dot product of a patch with a
filter.

Needs: pip install torch==2.13.0
"""

# %%
import torch
import torch.nn.functional as F

torch.manual_seed(0)

x = torch.randn(2, 3, 32, 32)  # a batch of 2 RGB-like images
conv = torch.nn.Conv2d(3, 16, kernel_size=5, padding=2, stride=2)

# %%
# im2col: one column per output pixel, holding the 3*5*5 input values under the kernel
columns = F.unfold(x, kernel_size=5, padding=2, stride=2)  # (batch, 3*5*5, number of patches)
print("patch matrix:", tuple(columns.shape))

# Each filter, flattened the same way, is one row of a (16, 75) weight matrix
filters = conv.weight.reshape(16, -1)
out = filters @ columns + conv.bias[:, None]  # (batch, 16, number of patches)
out = out.reshape(2, 16, 16, 16)  # back to feature maps: 32 pixels, stride 2 -> 16x16

reference = conv(x)
im2col_max_error = (out - reference).abs().max().item()
assert torch.allclose(out, reference, atol=1e-5)
print(f"max |im2col - conv2d| = {im2col_max_error:.1e}")

# %%
# The price: every input pixel is copied into up to 5*5/(2*2) columns
im2col_patch_rows, im2col_patches = columns.shape[1:]
im2col_copies = columns[0].numel() / x[0].numel()
print(f"the patch matrix holds {im2col_copies:.1f} times as many numbers as the input")
