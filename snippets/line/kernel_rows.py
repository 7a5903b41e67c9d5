"""Kernels drawn in labelled rows, shared by this chapter's `patch_embedding.py` and
`scattering_vs_learned.py`.

Each row of axes shows one set of 2-D kernels: red for positive weights, blue for negative, each
kernel on its own symmetric colour scale (white is zero), with the row's label on its left.

Needs: pip install numpy==2.4.6
"""

# %%
import numpy as np


def show_kernel_rows(axes, rows):
    """Draw ``rows``, a list of (label, kernels), into the rows of the 2-D array ``axes``."""
    for row, (label, kernels) in enumerate(rows):
        for ax, kernel in zip(axes[row], kernels, strict=False):
            kernel = np.asarray(kernel)
            lim = np.abs(kernel).max()
            ax.imshow(kernel, cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
