"""Export the playground's test images from photos bundled with scikit-image.

The script writes four small files into the current folder: two grey photos, one colour photo
and a 64 × 64 colour detail whose pixels are big enough to see one by one.

Needs: pip install numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0
"""

# %%
import numpy as np
from PIL import Image
from skimage import data
from skimage.transform import downscale_local_mean


def half_size(image):
    """Halve width and height by averaging 2 × 2 blocks, back to 8-bit integers."""
    factors = (2, 2, 1)[: image.ndim]
    return downscale_local_mean(image, factors).round().astype(np.uint8)


# -- grey photos: PNG is lossless, so the browser sees exactly these pixel values
camera = half_size(data.camera())  # 512 × 512 -> 256 × 256
brick = half_size(data.brick())  # a texture with horizontal and vertical edges
Image.fromarray(camera).save("camera.png", optimize=True)
Image.fromarray(brick).save("brick.png", optimize=True)

# -- a colour photo: JPEG keeps it small; the playground filters each colour channel
coffee = half_size(data.coffee())  # 400 × 600 -> 200 × 300
Image.fromarray(coffee).save("coffee.jpg", quality=90)

# -- a 64 × 64 colour detail (the eyes), lossless: the tests compare against PyTorch on it
eyes = data.astronaut()[60:124, 190:254]
Image.fromarray(eyes).save("astronaut_eyes.png", optimize=True)


# %%
# PNG reads back exactly; JPEG changes each value by a few grey levels (out of 255).
def read(name):
    with Image.open(name) as image:
        return np.asarray(image)


assert np.array_equal(read("camera.png"), camera)
assert np.array_equal(read("astronaut_eyes.png"), eyes)
jpeg_error = np.abs(read("coffee.jpg").astype(float) - coffee).mean()
assert 0 < jpeg_error < 5, jpeg_error
print(f"coffee.jpg: {coffee.shape}, mean JPEG error {jpeg_error:.2f} grey levels")
