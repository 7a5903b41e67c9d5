"""Separable kernels: a 2-D kernel that is the outer product of two 1-D kernels (rank 1) can be
applied as two 1-D passes, one down the columns and one along the rows. The singular value
decomposition tells which kernels qualify: Gaussian and Sobel do, the Laplacian does not.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scipy==1.17.1
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.signal import convolve2d

x = np.arange(-3, 4)
gaussian_1d = np.exp(-(x**2) / 2) / np.exp(-(x**2) / 2).sum()
kernels = {
    "Gaussian 7x7": np.outer(gaussian_1d, gaussian_1d),
    "Sobel 3x3": np.outer(
        [1, 2, 1], [1, 0, -1]
    ),  # smooth down the columns, differentiate along rows
    "Laplacian 3x3": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "random 7x7": np.random.default_rng(0).normal(size=(7, 7)),
}

# %% [markdown]
# ## Rank by SVD: one non-zero singular value means separable

# %%
singular_values = {name: np.linalg.svd(k, compute_uv=False) for name, k in kernels.items()}
ranks = {name: int((s > 1e-10 * s[0]).sum()) for name, s in singular_values.items()}
print("rank:", ranks)
assert ranks == {"Gaussian 7x7": 1, "Sobel 3x3": 1, "Laplacian 3x3": 2, "random 7x7": 7}

# %% [markdown]
# ## Two 1-D passes give the same image as one 2-D pass

# %%
image = np.random.default_rng(1).normal(size=(64, 64))
u, s, vt = np.linalg.svd(kernels["Gaussian 7x7"])
column = (u[:, 0] * np.sqrt(s[0]))[:, None]  # a 7x1 kernel
row = (vt[0] * np.sqrt(s[0]))[None, :]  # a 1x7 kernel
two_passes = convolve2d(convolve2d(image, column), row)
one_pass = convolve2d(image, kernels["Gaussian 7x7"])
separable_error = np.abs(two_passes - one_pass).max()
print(f"max |two 1-D passes - one 2-D pass| = {separable_error:.1e}")
assert separable_error < 1e-12
multiplications_2d, multiplications_separable = 7 * 7, 7 + 7  # per output pixel

# %%
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
for name, s in singular_values.items():
    ax.semilogy(np.arange(1, len(s) + 1), np.maximum(s / s[0], 1e-16), "o-", label=name)
ax.axhline(1e-16, color="0.5", linestyle=":")
ax.text(7, 3e-16, "zero, up to rounding", ha="right", fontsize=8)
ax.set(
    xlabel="index of singular value",
    ylabel="singular value / largest",
    title="Singular values of each kernel",
    ylim=(3e-17, 3),
)
ax.legend(fontsize=8)
plt.show()
