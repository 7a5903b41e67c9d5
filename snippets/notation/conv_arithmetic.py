"""Convolution arithmetic drawn in the style of Dumoulin and Visin's guide (arXiv:1603.07285):
the input (blue, padding dashed), the kernel's first position (dark) and second position
(orange outline), and the output above it. Each output size comes from the formula and is
checked against PyTorch.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scipy==1.17.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import torch
from conv_by_hand import output_size, transposed_output_size
from matplotlib.patches import Rectangle
from torch import nn

INPUT, PADDING, KERNEL, OUTPUT, NEXT = "#9cc3e6", "white", "#1f4e79", "#7fc9b5", "#d95f02"
WIDTH, HEIGHT = 9, 17.5  # the same scale in every panel: the widest grid has 9 cells


def cell(ax, x, y, face, dashed=False, edge="0.3", width=0.8):
    ax.add_patch(
        Rectangle(
            (x, y),
            1,
            1,
            facecolor=face,
            edgecolor=edge,
            linewidth=width,
            linestyle="--" if dashed else "-",
        )
    )


def draw(ax, title, n, k, padding=0, stride=1, dilation=1, holes=1):
    """Input of n cells (every `holes`-th cell real, the others inserted zeros), padded by
    `padding`; a k x k kernel, dilated, moved by `stride`; output above."""
    size = (n - 1) * holes + 1 + 2 * padding  # cells in the drawn input grid
    out = output_size(size, k, 0, stride, dilation)  # padding is already drawn as cells
    span = dilation * (k - 1) + 1
    ax.set_xlim(-0.5 - (WIDTH - size) / 2, size + 0.5 + (WIDTH - size) / 2)
    for i in range(size):
        for j in range(size):
            real = all(padding <= v < size - padding and (v - padding) % holes == 0 for v in (i, j))
            cell(ax, j, size - 1 - i, INPUT if real else PADDING, dashed=not real)
    for a in range(k):  # the kernel taps at the first position
        for b in range(k):
            cell(ax, b * dilation, size - 1 - a * dilation, KERNEL)
    if out > 1:  # the window at the next position along the row
        ax.add_patch(
            Rectangle(
                (stride, size - span),
                span,
                span,
                fill=False,
                edgecolor=NEXT,
                linewidth=2.2,
                linestyle="--",
            )
        )
    base = size + 1.5  # the output grid sits above the input
    shift = (size - out) / 2
    for i in range(out):
        for j in range(out):
            first, second = (i, j) == (0, 0), (i, j) == (0, 1)
            cell(
                ax,
                shift + j,
                base + out - 1 - i,
                KERNEL if first else OUTPUT,
                edge=NEXT if second else "0.3",
                width=2.2 if second else 0.8,
            )
    ax.set_title(f"{title}\noutput {out} x {out}", fontsize=9)
    ax.set_ylim(-0.5, HEIGHT + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return out


# %% [markdown]
# ## Five cases; each drawn output size is checked against PyTorch


# %%
def torch_size(layer, n):
    return layer(torch.zeros(1, 1, n, n)).shape[-1]


fig, axes = plt.subplots(1, 5, figsize=(12, 4.8), layout="constrained")
drawn = [
    draw(axes[0], "n=4, k=3\nno padding, stride 1", 4, 3),
    draw(axes[1], "n=5, k=3, p=1\n'same' size", 5, 3, padding=1),
    draw(axes[2], "n=5, k=3, p=1\nstride 2", 5, 3, padding=1, stride=2),
    draw(axes[3], "n=7, k=3\ndilation 2", 7, 3, dilation=2),
    # A transposed convolution (n=3, k=3, stride 2) equals a stride-1 convolution of the input
    # with s - 1 zeros inserted between pixels and k - 1 zeros of padding around it.
    draw(
        axes[4],
        "transposed: n=3, k=3, stride 2\n(zeros inserted, padding 2)",
        3,
        3,
        padding=2,
        holes=2,
    ),
]
expected = [
    torch_size(nn.Conv2d(1, 1, 3), 4),
    torch_size(nn.Conv2d(1, 1, 3, padding=1), 5),
    torch_size(nn.Conv2d(1, 1, 3, padding=1, stride=2), 5),
    torch_size(nn.Conv2d(1, 1, 3, dilation=2), 7),
    torch_size(nn.ConvTranspose2d(1, 1, 3, stride=2), 3),
]
assert drawn == expected == [2, 5, 3, 3, transposed_output_size(3, 3, stride=2)]
plt.show()
