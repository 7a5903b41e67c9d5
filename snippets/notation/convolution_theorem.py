"""The convolution theorem: convolution in space is multiplication of Fourier transforms. With
enough zero padding the FFT route gives exactly the spatial convolution; without it, the
discrete Fourier transform computes a circular convolution and the image wraps around its edges.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 scipy==1.17.1
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.signal import convolve2d
from skimage import data, transform

image = transform.resize(data.camera(), (128, 128), anti_aliasing=True)
kernel = np.full((1, 15), 1 / 15)  # horizontal motion blur, 15 pixels long

# %% [markdown]
# ## Spatial convolution versus FFT product, with and without padding

# %%
spatial = convolve2d(image, kernel, mode="full")  # shape (128, 128 + 15 - 1)

padded_shape = spatial.shape  # pad both to the size of the full result
by_fft = np.fft.irfft2(
    np.fft.rfft2(image, padded_shape) * np.fft.rfft2(kernel, padded_shape), padded_shape
)
fft_error = np.abs(by_fft - spatial).max()

# Without padding: same-size transforms, i.e. circular convolution on a 128 x 128 torus.
circular = np.fft.irfft2(np.fft.rfft2(image) * np.fft.rfft2(kernel, image.shape), image.shape)
# The full result folded back onto 128 x 128 (indices modulo 128) is exactly that.
folded = np.zeros_like(image)
for i in range(spatial.shape[0]):
    for j in range(spatial.shape[1]):
        folded[i % 128, j % 128] += spatial[i, j]
circular_error = np.abs(circular - folded).max()
unpadded_vs_spatial = np.abs(circular - spatial[:128, :128]).max()
print(f"padded FFT vs spatial:        {fft_error:.1e}")
print(f"unpadded FFT vs wrapped sum:  {circular_error:.1e}")
print(f"unpadded FFT vs spatial:      {unpadded_vs_spatial:.2f}  (wrap-around at the border)")
assert fft_error < 1e-12 and circular_error < 1e-12 and unpadded_vs_spatial > 0.1

# Aligned like mode="same", the two differ only in the 7 columns nearest the left and right edges.
same = spatial[:, 7:135]
circular_same = np.roll(circular, -7, axis=1)
difference = np.abs(circular_same - same)
assert difference[:, 7:-7].max() < 1e-12 and difference[:, :7].max() > 0.1

# %%
fig, axes = plt.subplots(1, 4, figsize=(11, 3.2), layout="constrained")
panels = [
    ("spatial convolution", same),
    ("FFT, zero padded: identical", by_fft[:, 7:135]),
    ("FFT, no padding: wraps around", circular_same),
    ("difference: only at the edges", difference),
]
for ax, (title, values) in zip(axes, panels, strict=True):
    ax.imshow(values, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=10)
    ax.axis("off")
plt.show()
