"""A convolution layer is a matrix multiplication: we build the layer's matrix entry by entry,
check that it reproduces ``F.conv2d``, and draw it beside the matrix of a dense layer.
Uses the helper module ``conv_matrix.py`` from the same folder.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from conv_matrix import conv_matrix, conv_matrix_indices
from matplotlib.colors import ListedColormap

torch.manual_seed(0)

# %% [markdown]
# ## A multi-channel layer with padding and stride, as one matrix
# Input: 3 channels of 6x5 pixels. Layer: 2 filters of 3 channels x 3x3, padding 1, stride 2.

# %%
x = torch.randn(1, 3, 6, 5, dtype=torch.float64)
weight = torch.randn(2, 3, 3, 3, dtype=torch.float64)

W = conv_matrix(weight, (6, 5), padding=1, stride=2)
y_matrix = W @ x.flatten()  # one matrix-vector product
y_conv = F.conv2d(x, weight, padding=1, stride=2)  # what PyTorch computes
matrix_max_error = (y_matrix - y_conv.flatten()).abs().max().item()
assert torch.allclose(y_matrix, y_conv.flatten(), atol=1e-12)

matrix_rows, matrix_cols = W.shape
matrix_entries = W.numel()
matrix_nonzeros = int((W != 0).sum())
matrix_parameters = weight.numel()
print(f"layer matrix: {matrix_rows} x {matrix_cols} = {matrix_entries} entries")
print(f"non-zero entries: {matrix_nonzeros}, distinct values among them: {matrix_parameters}")
print(f"max |W @ x - conv2d(x, w)| = {matrix_max_error:.1e}")

# %% [markdown]
# ## The simplest case: one channel, stride 1, no padding
# The matrix is *doubly block Toeplitz*: constant along diagonals inside each block, and the
# blocks themselves repeat along block diagonals. Each non-zero entry is one of the 9 kernel
# entries; a dense layer of the same shape has a separate weight in every cell.

# %%
kernel = torch.arange(1.0, 10.0, dtype=torch.float64).reshape(1, 1, 3, 3)
index_simple = conv_matrix_indices((1, 1, 3, 3), (5, 5))  # 9 x 25, entries in -1..8
W_simple = conv_matrix(kernel, (5, 5))
image = torch.randn(1, 1, 5, 5, dtype=torch.float64)
assert torch.allclose(W_simple @ image.flatten(), F.conv2d(image, kernel).flatten())
# Toeplitz structure: shifting one output pixel to the right shifts its row by one column
assert torch.equal(index_simple[1, 1:], index_simple[0, :-1])

index_multi = conv_matrix_indices(tuple(weight.shape), (6, 5), padding=1, stride=2)
position_multi = torch.where(index_multi >= 0, index_multi % 9, -1)  # which (i, j) of the 3x3

# %%
# 9 colours for the 9 kernel positions, white for structural zeros
colours = ListedColormap(["white", *plt.get_cmap("tab10").colors[:9]])
fig = plt.figure(figsize=(5.5, 5.2))
grid = fig.add_gridspec(3, 2, width_ratios=[1, 2.8], height_ratios=[1.4, 1.1, 1])
ax_kernel, ax_simple = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
ax_multi, ax_dense = fig.add_subplot(grid[1, :]), fig.add_subplot(grid[2, :])

ax_kernel.imshow(np.arange(9).reshape(3, 3) + 1, cmap=colours, vmin=0, vmax=9)
for i in range(3):
    for j in range(3):
        ax_kernel.text(j, i, f"$w_{{{i}{j}}}$", ha="center", va="center", fontsize=11)
ax_kernel.set_title("colour =\nkernel entry")

ax_simple.imshow(index_simple.numpy() + 1, cmap=colours, vmin=0, vmax=9)
ax_simple.set_title("conv, 1 channel, 5x5 in, 3x3 out:\n9x25 matrix, 9 parameters")
ax_simple.set_xlabel("input pixel (column)")
ax_simple.set_ylabel("output pixel (row)")

ax_multi.imshow(position_multi.numpy() + 1, cmap=colours, vmin=0, vmax=9)
for k in range(1, 3):  # separate the 3 input-channel blocks ...
    ax_multi.axvline(k * 30 - 0.5, color="black", lw=0.8)
ax_multi.axhline(matrix_rows / 2 - 0.5, color="black", lw=0.8)  # ... and the 2 output channels
ax_multi.set_title(
    f"conv, 3 to 2 channels, padding 1, stride 2:\n{matrix_rows}x{matrix_cols} matrix, "
    f"{matrix_parameters} parameters"
)

dense = torch.nn.Linear(matrix_cols, matrix_rows, bias=False)
ax_dense.imshow(dense.weight.detach().numpy(), cmap="viridis")
ax_dense.set_title(
    f"dense layer, same sizes: {matrix_rows}x{matrix_cols} matrix, "
    f"{dense.weight.numel()} parameters"
)
for ax in fig.axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
plt.show()
