"""Claims of the "Fixed, hand-designed kernels" chapter, checked against reference implementations.

The kernel builders live in snippets/fixed/kernels.py. Comparisons run in float64, where the same
computation agrees to ~1e-15; the tolerances below (1e-12 unless stated) leave room for summation
order only, not for a different kernel, scale, sign or border rule.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage import filters

from conftest import snippet_module

kernels = snippet_module("fixed/kernels.py")

TOL = 1e-12
# PyTorch padding_mode -> the scipy.ndimage mode that extends the image the same way.
# (scipy's default "reflect" repeats the edge pixel: c b a | a b c; PyTorch has no such mode.)
SAME_BORDER = {"zeros": "constant", "reflect": "mirror", "replicate": "nearest", "circular": "wrap"}


@pytest.fixture(scope="module")
def image():
    return kernels.photo(64, dtype=torch.float64)


def apply(kernel, image, padding_mode="reflect"):
    """A kernel (or stack) as a frozen float64 layer, applied to `image`; numpy output."""
    layer = kernels.frozen_conv(kernel, padding_mode=padding_mode, dtype=torch.float64)
    return layer(image)[0].numpy()


# -- bad input: clear ValueErrors -------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: kernels.box(4), "odd"),
        (lambda: kernels.box(0), "odd"),
        (lambda: kernels.box(3.0), "odd"),
        (lambda: kernels.gaussian(0.0), "sigma must be positive"),
        (lambda: kernels.gaussian(-1.0), "sigma must be positive"),
        (lambda: kernels.gaussian_1d(float("nan")), "sigma must be positive"),
        (lambda: kernels.gaussian(1.0, radius=-1), "radius must be an integer"),
        (lambda: kernels.gaussian(1.0, radius=2.5), "radius must be an integer"),
        (lambda: kernels.laplacian_of_gaussian(0.0), "sigma must be positive"),
        (lambda: kernels.difference_of_gaussians(1.0, ratio=1.0), "ratio must be > 1"),
        (lambda: kernels.unsharp_mask(-2.0), "sigma must be positive"),
        (lambda: kernels.gabor(0.0, 0.0), "frequency"),
        (lambda: kernels.gabor(0.7, 0.0), "frequency"),
        (lambda: kernels.gabor(0.2, 0.0, sigma=0.0), "sigma must be positive"),
        (lambda: kernels.gabor_sigma(0.2, bandwidth=0.0), "bandwidth"),
        (lambda: kernels.frozen_conv(torch.ones(4, 4)), "odd"),
        (lambda: kernels.frozen_conv(torch.ones(3, 2)), "odd"),
        (lambda: kernels.frozen_conv(torch.ones(3)), "shape"),
        (lambda: kernels.frozen_conv(torch.ones(1, 2, 3, 3)), "shape"),
        (lambda: kernels.frozen_conv(kernels.gabor(0.2, 0.0)), "real"),
        (lambda: kernels.photo(100), "size"),
    ],
)
def test_builders_reject_bad_input_with_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- the frozen layer -----------------------------------------------------------------------------


def test_frozen_conv_is_a_conv2d_that_no_gradient_can_change(image):
    layer = kernels.frozen_conv(kernels.sobel(), dtype=torch.float64)
    assert isinstance(layer, torch.nn.Conv2d)
    assert layer.weight.shape == (2, 1, 3, 3) and layer.bias is None
    assert not any(p.requires_grad for p in layer.parameters())
    out = layer(image)
    assert out.shape == (1, 2, 64, 64)  # half-kernel padding keeps the size
    assert not out.requires_grad  # nothing to backpropagate into
    assert torch.equal(layer.weight[:, 0], kernels.sobel())


def test_frozen_conv_accepts_odd_non_square_kernels(image):
    out = kernels.frozen_conv(torch.ones(1, 5, dtype=torch.float64) / 5, dtype=torch.float64)(image)
    assert out.shape == image.shape


# -- Gaussian ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.7, 3.0])
def test_gaussian_kernel_is_scipys_kernel(sigma):
    # The impulse response of scipy's filter is its kernel (radius round(4 sigma), sum 1).
    ours = kernels.gaussian(sigma).numpy()
    r = ours.shape[0] // 2
    assert r == int(4 * sigma + 0.5)
    delta = np.zeros((2 * r + 1, 2 * r + 1))
    delta[r, r] = 1.0
    theirs = ndimage.gaussian_filter(delta, sigma, mode="constant")
    assert np.abs(ours - theirs).max() < TOL
    assert abs(ours.sum() - 1.0) < TOL


@pytest.mark.parametrize("padding_mode", list(SAME_BORDER))
@pytest.mark.parametrize("sigma, radius", [(1.0, None), (2.0, None), (2.0, 3), (1.3, 6)])
def test_gaussian_layer_matches_gaussian_filter_with_the_matching_border(
    image, padding_mode, sigma, radius
):
    ours = apply(kernels.gaussian(sigma, radius), image, padding_mode)[0]
    r = kernels.gaussian(sigma, radius).shape[0] // 2
    theirs = ndimage.gaussian_filter(
        image[0, 0].numpy(), sigma, mode=SAME_BORDER[padding_mode], radius=r
    )
    assert np.abs(ours - theirs).max() < TOL


def test_scipys_default_reflect_border_differs_only_near_the_border(image):
    ours = apply(kernels.gaussian(2.0), image)[0]  # PyTorch reflect = scipy mirror
    theirs = ndimage.gaussian_filter(image[0, 0].numpy(), 2.0)  # scipy reflect (edge repeated)
    difference = np.abs(ours - theirs)
    assert difference[8:-8, 8:-8].max() < TOL  # beyond the radius: identical
    assert difference.max() > 1e-4  # at the border: a real difference, not rounding


@pytest.mark.parametrize("sigma", [0.8, 2.0, 4.0])
def test_gaussian_is_rank_one_and_two_1d_passes_equal_the_2d_pass(image, sigma):
    g2 = kernels.gaussian(sigma)
    s = torch.linalg.svdvals(g2)
    assert s[1] < 1e-12 * s[0]
    g = kernels.gaussian_1d(sigma)
    two_passes = apply(g[None, :], torch.from_numpy(apply(g[:, None], image))[None])[0]
    assert np.abs(two_passes - apply(g2, image)[0]).max() < TOL


# -- gradient operators ---------------------------------------------------------------------------


@pytest.mark.parametrize("axis, channel", [(1, 0), (0, 1)])  # d/dx runs along columns (axis 1)
def test_sobel_and_prewitt_match_scipy_ndimage(image, axis, channel):
    x = image[0, 0].numpy()
    assert (
        np.abs(apply(kernels.sobel(), image)[channel] - ndimage.sobel(x, axis, mode="mirror")).max()
        < TOL
    )
    assert (
        np.abs(
            apply(kernels.prewitt(), image)[channel] - ndimage.prewitt(x, axis, mode="mirror")
        ).max()
        < TOL
    )


@pytest.mark.parametrize(
    "builder, reference, gain",
    [
        (kernels.sobel, filters.sobel, 4),  # skimage divides the [1, 2, 1] smoothing by 4
        (kernels.prewitt, filters.prewitt, 3),  # [1, 1, 1] / 3
        (kernels.scharr, filters.scharr, 16),  # [3, 10, 3] / 16
    ],
)
def test_gradients_match_skimage_up_to_its_normalisation(image, builder, reference, gain):
    x = image[0, 0].numpy()
    gx, gy = apply(builder(), image)
    assert np.abs(gx - gain * reference(x, axis=1, mode="mirror")).max() < TOL
    assert np.abs(gy - gain * reference(x, axis=0, mode="mirror")).max() < TOL
    # skimage's magnitude is sqrt((gx**2 + gy**2) / 2), in its own units
    magnitude = reference(x, mode="mirror")
    assert np.abs(np.hypot(gx, gy) - gain * math.sqrt(2) * magnitude).max() < TOL


def test_gradient_sign_follows_increasing_x_and_y():
    n = 9
    ramp_x = torch.arange(n, dtype=torch.float64).repeat(n, 1)  # brighter to the right
    for builder in (kernels.prewitt, kernels.sobel, kernels.scharr):
        gx, gy = apply(builder(), ramp_x[None, None])[:, 1:-1, 1:-1]
        assert (gx > 0).all() and np.abs(gy).max() < TOL
        gx, gy = apply(builder(), ramp_x.T[None, None])[:, 1:-1, 1:-1]  # brighter downwards
        assert (gy > 0).all() and np.abs(gx).max() < TOL


# -- Laplacian, LoG, DoG --------------------------------------------------------------------------


def test_laplacian_matches_ndimage_laplace(image):
    ours = apply(kernels.laplacian(), image)[0]
    assert np.abs(ours - ndimage.laplace(image[0, 0].numpy(), mode="mirror")).max() < TOL


@pytest.mark.parametrize("sigma", [1.0, 2.0, 3.5])
def test_log_matches_ndimage_gaussian_laplace(image, sigma):
    ours = apply(kernels.laplacian_of_gaussian(sigma), image)[0]
    theirs = ndimage.gaussian_laplace(image[0, 0].numpy(), sigma, mode="mirror")
    assert np.abs(ours - theirs).max() < TOL


@pytest.mark.parametrize("sigma", [1.0, 2.0, 3.0])
def test_log_sums_to_almost_zero_and_has_rank_two(sigma):
    k = kernels.laplacian_of_gaussian(sigma)
    # truncated at 4 sigma and not re-centred (like scipy's): a small leak, not exactly 0
    assert 0 < abs(k.sum()) < 1e-3 * k.abs().sum()
    s = torch.linalg.svdvals(k)
    assert s[1] > 1e-3 * s[0] and s[2] < 1e-12 * s[0]


def test_dog_with_ratio_1_6_is_nearly_a_log():
    k = 1.6
    sigma_log = 2.0 * math.sqrt(2 * k**2 * math.log(k) / (k**2 - 1))
    dog = kernels.difference_of_gaussians(2.0, k, radius=13).flatten()
    log = kernels.laplacian_of_gaussian(sigma_log, radius=13).flatten()
    assert torch.nn.functional.cosine_similarity(dog, log, 0) > 0.998
    assert abs(dog.sum()) < TOL


# -- brightness-keeping kernels -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kernel",
    [
        kernels.box(3),
        kernels.box(7),
        kernels.gaussian(1.2),
        kernels.sharpen(),
        kernels.unsharp_mask(1.5, amount=0.7),
        kernels.emboss(),
    ],
)
def test_kernels_that_sum_to_one_keep_a_flat_image(kernel):
    assert abs(kernel.sum().item() - 1.0) < TOL
    flat = torch.full((1, 1, 20, 20), 0.3, dtype=torch.float64)
    assert np.abs(apply(kernel, flat) - 0.3).max() < TOL


def test_unsharp_mask_is_image_plus_amount_times_detail(image):
    one_kernel = apply(kernels.unsharp_mask(1.5, amount=0.7), image)[0]
    blurred = apply(kernels.gaussian(1.5), image)[0]
    x = image[0, 0].numpy()
    assert np.abs(one_kernel - (x + 0.7 * (x - blurred))).max() < TOL


# -- Gabor ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("theta_degrees", [0, 20, 45, 90, 110, 135, 170])
@pytest.mark.parametrize("frequency", [0.05, 0.15, 0.3, 0.5])
def test_gabor_kernel_matches_skimage_on_its_grid(theta_degrees, frequency):
    theta = math.radians(theta_degrees)
    theirs = filters.gabor_kernel(frequency, theta=theta)  # shrinks its grid at oblique angles
    ours = kernels.gabor(frequency, theta).numpy()
    r, (h, w) = ours.shape[0] // 2, theirs.shape
    assert h // 2 <= r and w // 2 <= r
    ours = ours[r - h // 2 : r + h // 2 + 1, r - w // 2 : r + w // 2 + 1]
    assert np.abs(ours - theirs).max() < 1e-15


def test_gabor_sigma_matches_skimage_for_a_given_sigma():
    theirs = filters.gabor_kernel(0.2, theta=0.3, sigma_x=3.0, sigma_y=3.0, n_stds=3)
    ours = kernels.gabor(0.2, 0.3, sigma=3.0, radius=9).numpy()
    assert theirs.shape == ours.shape == (19, 19)
    assert np.abs(ours - theirs).max() < 1e-15


def test_skimage_gabor_convolves_so_its_sine_part_has_the_opposite_sign(image):
    k = kernels.gabor(0.2, 0.0)
    real, imag = apply(torch.stack([k.real, k.imag]), image)
    theirs_real, theirs_imag = filters.gabor(image[0, 0].numpy(), 0.2, mode="mirror")
    assert np.abs(real - theirs_real).max() < TOL  # even (cosine) part: the flip changes nothing
    assert np.abs(imag + theirs_imag).max() < TOL  # odd (sine) part: the flip negates it
    assert np.abs(imag - theirs_imag).max() > 1e-2  # so without the sign they really differ


# -- frequency responses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kernel, dc_gain",
    [
        (kernels.box(5), 1.0),
        (kernels.gaussian(2.0), 1.0),
        (kernels.sharpen(), 1.0),
        (kernels.sobel()[0], 0.0),
        (kernels.scharr()[1], 0.0),
        (kernels.laplacian(), 0.0),
        (kernels.difference_of_gaussians(1.5), 0.0),
    ],
)
def test_dc_gain_is_the_sum_of_the_weights(kernel, dc_gain):
    response = np.fft.fft2(kernel.numpy(), s=(32, 32))
    assert abs(response[0, 0] - dc_gain) < TOL


def test_sobel_x_is_blind_to_patterns_that_vary_only_along_y():
    response = np.abs(np.fft.fft2(kernels.sobel()[0].numpy(), s=(32, 32)))
    assert response[:, 0].max() < TOL  # the whole column fx = 0
    assert response[0, 16] < TOL  # and the Nyquist frequency fx = 0.5
    assert (response[0, 1:16] > 0.01).all()  # but it passes every frequency in between


def test_photo_is_skimage_camera_averaged_over_blocks():
    from skimage import data

    camera = data.camera() / 255.0  # 512 x 512
    photo = kernels.photo(128, dtype=torch.float64)[0, 0].numpy()
    assert np.abs(photo - camera.reshape(128, 4, 128, 4).mean(axis=(1, 3))).max() < TOL
