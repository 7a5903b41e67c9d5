"""Convolution is linear, commutative and associative, checked numerically. Associativity has a
practical consequence: blurring with a Gaussian of width sigma1 and then sigma2 is one blur with
width sqrt(sigma1^2 + sigma2^2), up to the error of sampling and truncating the kernels.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scipy==1.17.1
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.signal import convolve2d, correlate2d

rng = np.random.default_rng(0)
f, f2 = rng.normal(size=(2, 32, 32))  # two images
h, h2 = rng.normal(size=(2, 5, 5))  # two kernels
a, b = 2.5, -0.7


def conv(x, y):
    return convolve2d(x, y, mode="full")  # full: no border cropping, so the laws hold exactly


# %% [markdown]
# ## Linearity, commutativity, associativity

# %%
assert np.allclose(conv(a * f + b * f2, h), a * conv(f, h) + b * conv(f2, h))  # linear
assert np.allclose(conv(f, h), conv(h, f))  # commutative: image and kernel can swap roles
assert np.allclose(conv(conv(f, h), h2), conv(f, conv(h, h2)))  # associative
# Cross-correlation is linear too, but not commutative: swapping gives the flipped result.
assert not np.allclose(correlate2d(f, h), correlate2d(h, f))
assert np.allclose(correlate2d(f, h), correlate2d(h, f)[::-1, ::-1])


# %% [markdown]
# ## Two Gaussian blurs make one wider Gaussian blur


# %%
def gaussian(sigma, radius):
    """Sampled 2-D Gaussian on a (2 radius + 1)^2 grid, normalised to sum 1."""
    x = np.arange(-radius, radius + 1)
    g = np.exp(-(x**2) / (2 * sigma**2))
    return np.outer(g, g) / g.sum() ** 2


sigma1, sigma2 = 1.0, 1.5
sigma_combined = np.hypot(sigma1, sigma2)
truncations = [1.5, 2, 3, 4]  # kernel radius, in units of each sigma
errors = []
for t in truncations:
    two_blurs = conv(gaussian(sigma1, round(t * sigma1)), gaussian(sigma2, round(t * sigma2)))
    radius = two_blurs.shape[0] // 2
    one_blur = gaussian(sigma_combined, radius)
    errors.append(float(np.abs(two_blurs - one_blur).max()))
    print(f"truncated at {t} sigma: max |two blurs - one blur| = {errors[-1]:.1e}")
error_at_4_sigma = errors[-1]
largest_entry = one_blur.max()  # for scale: the errors are absolute
assert error_at_4_sigma < 1e-4 and errors == sorted(errors, reverse=True)

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
x = np.arange(-radius, radius + 1)
axes[0].plot(x, two_blurs[radius], "o", label=f"σ={sigma1:g}, then σ={sigma2:g}")
axes[0].plot(x, one_blur[radius], "-", label=f"one blur, σ={sigma_combined:.2f}")
axes[0].set(title="middle row of the kernels (truncated at 4σ)", xlabel="offset (pixels)")
axes[0].legend(fontsize=9)
axes[1].semilogy(truncations, errors, "o-")
axes[1].set(title="largest difference", xlabel="truncation radius (in σ)", ylabel="max |error|")
plt.show()
