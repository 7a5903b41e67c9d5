"""A learned edge detector beside the fixed ones (snippets/real/learned_edges.py): the claims the
page makes about HED's lines and Canny's, checked beyond the snippet's own asserts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage import color, filters, morphology

from conftest import snippet_module

torch.set_num_threads(1)
edges = snippet_module("real/learned_edges.py")  # runs it: HED on three photos, about 5 s


def test_three_photos_and_one_figure_of_photo_sobel_canny_hed():
    assert list(edges.photos) == ["astronaut", "coffee", "cat"]
    assert all(
        p.shape == (edges.SIDE, edges.SIDE, 3) and p.dtype == np.uint8
        for p in edges.photos.values()
    )
    assert edges.axes.shape == (3, 4)
    assert [ax.get_title() for ax in edges.axes[0]] == list(edges.titles)
    assert edges.fig.get_figwidth() <= 6.4
    for probability in edges.hed_maps:  # a probability map, photo-sized
        assert probability.shape == (edges.SIDE, edges.SIDE)
        assert probability.min() >= 0 and probability.max() <= 1


def test_sobel_panel_is_the_gradient_length_of_the_3x3_sobel_kernels():
    grey = color.rgb2gray(edges.photos["cat"])
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float64)
    stack = torch.stack([kx, kx.T])[:, None]  # d/dx and d/dy (a cross-correlation, as conv2d)
    padded = torch.nn.functional.pad(torch.from_numpy(grey)[None, None], (1, 1, 1, 1), "reflect")
    gx, gy = torch.nn.functional.conv2d(padded, stack)[0].numpy()
    # skimage divides each 3×3 response by 4 and the length by √2
    expected = np.hypot(gx, gy) / 4 / np.sqrt(2)
    assert np.allclose(filters.sobel(grey)[1:-1, 1:-1], expected[1:-1, 1:-1], atol=1e-12)


def test_near_means_within_two_steps_along_rows_and_columns():
    """binary_dilation with its default cross, NEAR times = city-block distance ≤ NEAR."""
    canny = edges.maps["coffee"][2]
    dilated = ndimage.binary_dilation(canny, iterations=edges.NEAR)
    distance = ndimage.distance_transform_cdt(~canny, metric="taxicab")
    assert np.array_equal(dilated, distance <= edges.NEAR)


@pytest.mark.parametrize("name", ["astronaut", "coffee", "cat"])
def test_thinned_hed_lines_are_one_pixel_wide_inside_the_marked_region(name):
    marked = edges.maps[name][3] > edges.HED_THRESHOLD
    lines = morphology.thin(marked)
    assert lines.sum() < 0.25 * marked.sum()  # the thick map, thinned
    assert not (lines & ~marked).any()
    full_2x2 = lines[:-1, :-1] & lines[1:, :-1] & lines[:-1, 1:] & lines[1:, 1:]
    assert full_2x2.sum() <= 0.002 * lines.sum()  # thin() leaves a rare 2×2 knot, no more


def test_the_numbers_the_page_quotes_support_its_sentences():
    span = edges.span
    assert span["hed_on_canny"]["min"] > 0.7  # "most of HED's line pixels lie near a Canny line"
    assert span["above_chance"]["min"] > 1.8
    assert span["canny_rejected"]["max"] == edges.agreement["cat"]["canny_rejected"]
    assert span["canny_rejected"]["max"] < span["hed_on_canny"]["min"]
    for a in edges.agreement.values():  # chance: the share of all pixels that near a Canny line
        assert a["above_chance"] == pytest.approx(a["hed_on_canny"] / a["chance"])


def test_rejected_share_counts_canny_pixels_where_hed_says_no():
    _, _, canny, probability = edges.maps["coffee"]
    by_hand = sum(probability[i, j] <= 0.5 for i, j in zip(*np.nonzero(canny), strict=True))
    assert by_hand / canny.sum() == pytest.approx(edges.agreement["coffee"]["canny_rejected"])


def test_the_paper_scores_are_quoted_as_the_paper_gives_them():
    assert edges.PAPER_ODS == {"hed": 0.782, "canny": 0.600}  # Xie & Tu 2015
    source = Path(edges.__file__).read_text(encoding="utf-8")
    assert "Xie & Tu 2015" in source and "not recomputed here" in source


def non_maximum_suppression(edge_map):
    """The paper's way to thin an edge map (roughly): keep a pixel where the map is at least as
    high as at its two neighbours across the ridge (the direction of strongest curvature)."""
    smooth = ndimage.gaussian_filter(edge_map, 1.0)
    gy, gx = np.gradient(smooth)
    gyy, gyx = np.gradient(gy)
    gxy, gxx = np.gradient(gx)
    theta = 0.5 * np.arctan2(2 * gxy, gxx - gyy)
    c, s = np.cos(theta), np.sin(theta)
    k1 = gxx * c * c + 2 * gxy * c * s + gyy * s * s
    k2 = gxx * s * s - 2 * gxy * c * s + gyy * c * c
    across = k2 < k1  # the other principal direction curves down more steeply
    nx, ny = np.where(across, -s, c), np.where(across, c, s)
    yy, xx = np.mgrid[: edge_map.shape[0], : edge_map.shape[1]].astype(float)
    ahead = ndimage.map_coordinates(edge_map, [yy + ny, xx + nx], order=1, mode="nearest")
    behind = ndimage.map_coordinates(edge_map, [yy - ny, xx - nx], order=1, mode="nearest")
    return (edge_map >= ahead) & (edge_map >= behind)


@pytest.mark.parametrize("thinning", ["thin", "nms"])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("near", [1, 2, 3])
def test_the_claims_do_not_hinge_on_threshold_distance_or_thinning(thinning, threshold, near):
    """HED's lines mostly lie near Canny's, and the cat is where HED turns down most of Canny's
    line pixels: for nearby settings too, and with non-maximum suppression instead of thin()."""
    rejected = {}
    for name, (_, _, canny, probability) in edges.maps.items():
        marked = probability > threshold
        if thinning == "thin":
            lines = morphology.thin(marked)
        else:
            lines = marked & non_maximum_suppression(probability)
        near_canny = ndimage.binary_dilation(canny, iterations=near)
        share = near_canny[lines].mean()
        assert share > 1.6 * near_canny.mean()  # far above chance at every distance
        assert share > 0.6 or near == 1  # and "most", two or more pixels apart
        rejected[name] = (probability[canny] <= threshold).mean()
    assert max(rejected, key=rejected.get) == "cat"
