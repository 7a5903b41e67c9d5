"""HED's first layer swapped out (snippets/real/swap_first_layer.py): the bases, the projection,
the random and shuffled draws and the similarity do what the page says, checked against numpy's
QR projection, numpy's correlation and scipy's correlate; the quoted numbers hold."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy import ndimage  # noqa: E402

from conftest import snippet_module  # noqa: E402


@pytest.fixture(scope="module")
def swap():
    torch.set_num_threads(1)  # as in the build
    module = snippet_module("real/swap_first_layer.py")  # 25 forward passes (seconds)
    plt.close("all")
    return module


def test_bank_is_blur_sobel_and_laplacian_on_each_colour_channel(swap):
    bank = swap.per_channel(swap.bank)
    assert bank.shape == (12, 3, 3, 3)
    np.testing.assert_allclose(bank.flatten(1).norm(dim=1), 1, atol=1e-6)
    assert (bank.flatten(2).abs().sum(2) > 0).sum(1).tolist() == [1] * 12  # one channel each
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    np.testing.assert_allclose(swap.bank[1], sobel_x)
    np.testing.assert_allclose(swap.bank[2], sobel_x.T)
    # A bank kernel applied by the network's conv2d is scipy's correlation of its channel.
    image = torch.rand(1, 3, 9, 11, generator=torch.Generator().manual_seed(0))
    out = F.conv2d(image, bank, padding=1)[0]
    for i in (0, 4, 11):
        channel = int(bank[i].flatten(1).abs().sum(1).argmax())
        expected = ndimage.correlate(
            image[0, channel].double().numpy(), bank[i, channel].double().numpy(), mode="constant"
        )
        np.testing.assert_allclose(out[i].numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("name", ["blur_sobel", "bank", "bank_second", "all"])
def test_energy_kept_is_the_orthogonal_projection_onto_the_basis(swap, name):
    basis = swap.per_channel(swap.basis_kernels[name]).flatten(1).double().numpy()
    w = swap.learned.flatten(1).double().numpy()
    q, _ = np.linalg.qr(basis.T)  # an orthonormal basis of the same span
    kept = np.square(w @ q).sum() / np.square(w).sum()
    assert swap.similarity_of[name]["energy"] == pytest.approx(kept, abs=1e-6)
    _, projected = swap.project(swap.per_channel(swap.basis_kernels[name]))
    np.testing.assert_allclose(projected.flatten(1).numpy(), w @ q @ q.T, atol=1e-5)


def test_basis_sizes_grow_to_every_3x3x3_kernel(swap):
    sizes = [v["kernels"] for v in swap.similarity_of.values()]
    assert sizes == [9, 12, 18, 27]
    full = swap.per_channel(swap.basis_kernels["all"]).flatten(1).numpy()
    assert np.linalg.matrix_rank(full) == 27


def test_similarity_is_pearsons_correlation(swap):
    g = torch.Generator().manual_seed(1)
    maps = swap.original + 0.05 * torch.rand(swap.original.shape, generator=g)
    expected = [
        np.corrcoef(m.flatten().numpy(), o.flatten().numpy())[0, 1]
        for m, o in zip(maps, swap.original, strict=True)
    ]
    np.testing.assert_allclose(swap.similarity(maps), expected, atol=1e-5)
    np.testing.assert_allclose(swap.similarity(3 * swap.original + 1), 1, atol=1e-5)


def test_random_draws_keep_each_kernels_length_and_differ_by_seed(swap):
    draws = []
    for seed in (0, 1):
        g = torch.Generator().manual_seed(seed)
        direction = torch.randn(64, 27, generator=g)
        kernels = direction / direction.norm(dim=1, keepdim=True) * swap.lengths[:, None]
        np.testing.assert_allclose(kernels.norm(dim=1), swap.lengths, rtol=1e-5)
        draws.append(kernels)
    assert not torch.allclose(*draws)
    order = torch.randperm(64, generator=torch.Generator().manual_seed(0))
    assert sorted(order.tolist()) == list(range(64))


def test_only_conv1_1_was_changed_and_it_is_put_back(swap):
    fresh = swap.load_hed()
    for mine, theirs in zip(swap.hed.parameters(), fresh.parameters(), strict=True):
        assert torch.equal(mine, theirs)


def test_quoted_numbers(swap):
    of, draws = swap.similarity_of, swap.draws
    assert 0.85 < of["bank"]["energy"] < 0.92  # "about nine tenths of the energy"
    assert 0.8 < of["blur_sobel"]["energy"] < of["bank"]["energy"]
    assert of["bank_second"]["energy"] > 0.97
    assert of["blur_sobel"]["mean"] < of["bank"]["mean"] < of["bank_second"]["mean"]
    assert of["bank"]["mean"] > 0.95 and of["bank_second"]["mean"] > 0.999
    assert max(of[k]["sd"] for k in of) < 0.02
    for kind in ("random", "shuffled"):
        assert 0.4 < draws[kind]["min"] <= draws[kind]["mean"] <= draws[kind]["max"] < 0.8
    for name in ("bank_random", "bank_shuffled"):
        result = swap.comparison[name]
        assert result["verdict"] == "higher" and result["n"] == 10 and result["wins"] == 10
