"""Grey, whitened natural photos shipped with scikit-image, for this chapter's Gabor snippets.

Whitening flattens the photos' power spectrum (natural images have far more power at low
spatial frequencies), as Olshausen & Field (1996) did before learning their filters. Run as a
script, it checks that the spectrum is indeed flatter after whitening.

Needs: pip install numpy==2.4.6 scikit-image==0.26.0
"""

# %%
import numpy as np
from skimage import color, data, transform

PHOTOS = ["camera", "astronaut", "coffee", "chelsea", "rocket"]


def grey_photos(scale=0.5):
    """The photos as grey float arrays in [0, 1], downscaled by `scale`."""
    photos = []
    for name in PHOTOS:
        image = getattr(data, name)()
        image = color.rgb2gray(image) if image.ndim == 3 else image / 255
        photos.append(transform.rescale(image, scale, anti_aliasing=True))
    return photos


def whiten(image, cutoff=0.25):
    """Multiply the spectrum by |f| (flattens a 1/f amplitude spectrum) times a smooth low-pass
    that stops the highest frequencies, mostly noise, from being amplified; unit variance out."""
    fy = np.fft.fftfreq(image.shape[0])[:, None]
    fx = np.fft.fftfreq(image.shape[1])[None, :]
    f = np.hypot(fx, fy)  # spatial frequency in cycles per pixel
    whitened = np.real(
        np.fft.ifft2(np.fft.fft2(image - image.mean()) * f * np.exp(-((f / cutoff) ** 4)))
    )
    return whitened / whitened.std()


def random_patches(images, size, n, rng):
    """n square patches of side `size` at random positions, as an array (n, size, size).

    Patch i comes from image i % len(images), so every image gives about as many patches."""
    patches = np.empty((n, size, size))
    for j, image in enumerate(images):
        count = len(range(j, n, len(images)))
        rows = rng.integers(0, image.shape[0] - size + 1, size=count)
        cols = rng.integers(0, image.shape[1] - size + 1, size=count)
        offsets = np.arange(size)
        patches[j :: len(images)] = image[
            (rows[:, None] + offsets)[:, :, None], (cols[:, None] + offsets)[:, None, :]
        ]
    return patches


# %% Whitening flattens the spectrum: low and mid frequencies end up with similar power
if __name__ == "__main__":
    photo = grey_photos()[0]

    def band_power(image, low, high):
        f = np.hypot(
            np.fft.fftfreq(image.shape[0])[:, None], np.fft.fftfreq(image.shape[1])[None, :]
        )
        power = np.abs(np.fft.fft2(image - image.mean())) ** 2
        return power[(f >= low) & (f < high)].mean()

    before = band_power(photo, 0.02, 0.04) / band_power(photo, 0.16, 0.20)
    after = band_power(whiten(photo), 0.02, 0.04) / band_power(whiten(photo), 0.16, 0.20)
    print(f"power ratio low/mid frequencies: {before:.0f} before whitening, {after:.2f} after")
    assert before > 20 and 0.1 < after < 10
