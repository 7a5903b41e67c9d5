"""HED's five stages (snippets/real/stages.py): receptive fields checked by autograd on the same
layer geometry, map sizes, side outputs and the stage-4 patches behave as the page says."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from conftest import snippet_module  # noqa: E402


@pytest.fixture(scope="module")
def stages():
    torch.set_num_threads(1)  # as in the build
    module = snippet_module("real/stages.py")
    plt.close("all")
    return module


def measured_receptive_fields(size=256):
    """VGG16's geometry with all-ones 3×3 kernels and average pooling (every path counts): the
    pixels of the input that reach the centre unit of each stage, found by autograd."""
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    ones = torch.ones(1, 1, 3, 3)
    h, fields = x, []
    for i, n in enumerate((2, 2, 3, 3, 3)):
        if i:
            h = F.avg_pool2d(h, 2, ceil_mode=True)
        for _ in range(n):
            h = F.conv2d(h, ones, padding=1)
        centre = h.shape[-1] // 2
        (grad,) = torch.autograd.grad(h[0, 0, centre, centre], x, retain_graph=True)
        rows = torch.nonzero(grad[0, 0].abs().sum(1)).flatten()
        fields.append(int(rows.max() - rows.min() + 1))
    return fields


def test_receptive_fields_match_autograd(stages):
    assert stages.receptive_field == measured_receptive_fields()


def test_maps_halve_per_stage_and_side_outputs_are_upsampled(stages):
    assert stages.map_size == [192, 96, 48, 24, 12]
    assert all(s.shape == (stages.SIZE, stages.SIZE) for s in stages.sides)
    assert all(float(s.min()) >= 0 and float(s.max()) <= 1 for s in stages.sides)


def test_line_width_grows_from_fine_to_coarse(stages):
    widths = stages.line_width
    assert widths == sorted(widths) and widths[0] <= 5 and widths[-1] >= 2 * widths[0]
    # Each profile peaks at the step (columns 47/48 of the image, 31/32 of the profile) or
    # within a few pixels of it for the coarse stages.
    peaks = [int(np.argmax(p)) for p in stages.profiles]
    assert all(abs(p - 31.5) < 8 for p in peaks)


def test_units_are_the_side_outputs_strongest_weights_for_and_against(stages):
    w = stages.hed.sides[3].weight.detach().flatten().numpy()
    order = np.argsort(w)
    assert stages.units[:3] == order[::-1][:3].tolist()
    assert stages.units[3:] == order[:3].tolist()
    assert all(w[u] > 0 for u in stages.units[:3]) and all(w[u] < 0 for u in stages.units[3:])


def test_each_patch_is_the_receptive_field_of_a_strong_unit(stages):
    field = stages.receptive_field[3]
    for unit, patches in stages.patches.items():
        assert len(patches) == 4 and all(p.shape == (field, field, 3) for p in patches)
        # the strongest patch: the same pixels, run through the network alone, still excite the
        # unit (its centre unit, away from the crop's borders, sees the same pixels)
        with torch.inference_mode():
            alone = stages.hed(stages.to_input(patches[0]), stages=4)[2][3][0, unit]
        centre = alone.shape[-1] // 2
        assert float(alone[centre - 1 : centre + 1, centre - 1 : centre + 1].max()) > 0
        assert stages.peak[unit] > 0
