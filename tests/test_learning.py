"""Claims of the "How kernels are learned" chapter that go beyond the snippets' own asserts.

The Gabor fitter (snippets/learning/gabor_fit.py) is checked on bad input, against
scikit-image's Gabor kernel, on synthetic Gabors with known parameters (it must recover them)
and on noise (it must reject it); fitting many kernels at once must give the fits one by one.
The digit helpers are checked for the behaviour the chapter relies on: frozen kernels never
change, the parameter count follows the formula, training networks together is training them
one by one. Learning a kernel back is repeated for kernels whose flip is not just a change of
sign.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import signal
from skimage.filters import gabor_kernel

from conftest import snippet_module

gabor_fit = snippet_module("learning/gabor_fit.py")
digits_cnn = snippet_module("learning/digits_cnn.py")
natural_images = snippet_module("learning/natural_images.py")

R2_THRESHOLD = 0.8  # the chapter's criterion for "a Gabor fits well"


# -- the Gabor fitter: bad input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "message"),
    [
        (np.empty((0, 0)), "empty"),
        (np.zeros(9), "2-D"),
        (np.zeros((3, 3, 3)), "2-D"),
        (np.ones((5, 7)), "square"),
        (np.ones((2, 2)), "at least 3 x 3"),
        (np.where(np.eye(5) > 0, np.nan, 1.0), "NaN"),
        (np.where(np.eye(5) > 0, np.inf, 1.0), "infinite"),
        (np.full((5, 5), 0.3), "constant"),
    ],
    ids=["empty", "1-D", "3-D", "non-square", "too small", "NaN", "inf", "constant"],
)
def test_fit_gabor_rejects_bad_input_with_a_clear_message(kernel, message):
    with pytest.raises(ValueError, match=message):
        gabor_fit.fit_gabor(kernel)


def test_fit_gabor_accepts_lists_and_integer_arrays():
    kernel = np.round(10 * gabor_fit.gabor(9, 1.0, 4, 4, 0.3, 2.0, 2.0, 0.15, 0.0)).astype(int)
    assert gabor_fit.fit_gabor(kernel.tolist()).r2 > 0.95


def test_fit_gabors_rejects_kernels_of_different_sizes():
    with pytest.raises(ValueError, match="same size"):
        gabor_fit.fit_gabors([np.eye(5), np.eye(7)])


def test_fit_gabors_of_nothing_is_an_empty_list():
    assert gabor_fit.fit_gabors([]) == []


def test_fit_gabors_names_the_bad_kernel_among_good_ones():
    good = gabor_fit.gabor(9, 1.0, 4, 4, 0.3, 2.0, 2.0, 0.15, 0.0)
    with pytest.raises(ValueError, match="NaN"):
        gabor_fit.fit_gabors([good, np.where(np.eye(9) > 0, np.nan, 1.0)])


def test_fitting_many_kernels_at_once_gives_the_fits_one_by_one():
    rng = np.random.default_rng(3)
    kernels = [gabor_fit.gabor(11, **KNOWN[1]) + 0.05 * rng.standard_normal((11, 11))]
    kernels += list(rng.standard_normal((3, 11, 11)))
    together = gabor_fit.fit_gabors(kernels)
    for kernel, fit in zip(kernels, together, strict=True):
        alone = gabor_fit.fit_gabor(kernel)
        assert fit.r2 == pytest.approx(alone.r2, abs=1e-9)
        np.testing.assert_allclose(fit.fitted, alone.fitted, atol=1e-9)


def test_fits_per_seed_keep_each_seeds_kernels_in_its_row():
    rng = np.random.default_rng(4)
    stack = rng.standard_normal((2, 3, 9, 9))  # (seeds, kernels, size, size)
    stack[1, 2] = gabor_fit.gabor(9, **KNOWN[0])  # the one clean Gabor: seed 1, kernel 2
    fits, r2 = gabor_fit.fit_per_seed(stack)
    assert r2.shape == (2, 3) and len(fits) == 6
    assert np.unravel_index(r2.argmax(), r2.shape) == (1, 2)
    assert r2[1, 2] == pytest.approx(fits[5].r2) and r2[1, 2] > 0.99


def test_gabor_takes_arrays_of_parameters():
    params = np.array([list(k.values()) for k in KNOWN])  # (4, 9)
    many = gabor_fit.gabor(13, *params.T)
    assert many.shape == (4, 13, 13)
    for one, known in zip(many, KNOWN, strict=True):
        np.testing.assert_array_equal(one, gabor_fit.gabor(13, **known))


@pytest.mark.parametrize(
    ("r2", "thresholds", "expected"),
    [
        ([0.1, 0.5, 0.9, 0.95], [0.0, 0.5, 0.9, 0.96], [1.0, 0.75, 0.5, 0.0]),
        ([[0.2, 0.8], [0.8, 0.9]], [0.8], [[0.5], [1.0]]),  # one row per seed
    ],
)
def test_fraction_at_least_counts_values_at_or_above_each_cutoff(r2, thresholds, expected):
    np.testing.assert_allclose(gabor_fit.fraction_at_least(r2, thresholds), expected)


# -- the Gabor function itself ---------------------------------------------------------------


@pytest.mark.parametrize("theta", [0.0, 0.4, np.pi / 2, 2.5])
@pytest.mark.parametrize("phase", [0.0, 1.0])
def test_gabor_matches_scikit_image_gabor_kernel(theta, phase):
    frequency, sigma = 0.2, 2.5
    reference = gabor_kernel(frequency, theta=theta, sigma_x=sigma, sigma_y=sigma, offset=phase)
    size = reference.shape[0]
    assert reference.shape == (size, size)
    centre = (size - 1) / 2
    ours = gabor_fit.gabor(
        size, 1 / (2 * np.pi * sigma**2), centre, centre, theta, sigma, sigma, frequency, phase
    )
    np.testing.assert_allclose(ours, reference.real, atol=1e-12)


def test_jacobian_matches_finite_differences():
    p = np.array([1.3, 5.2, 6.1, 0.7, 2.1, 3.2, 0.17, 0.4, 0.1])
    analytic = gabor_fit._jacobian(p, 12)
    step = 1e-6
    numeric = np.stack(
        [
            (gabor_fit.gabor(12, *(p + step * e)) - gabor_fit.gabor(12, *(p - step * e))).ravel()
            / (2 * step)
            for e in np.eye(len(p))
        ],
        axis=1,
    )
    np.testing.assert_allclose(analytic, numeric, atol=1e-7)


# -- the Gabor fitter recovers known Gabors ---------------------------------------------------

KNOWN = [
    dict(amplitude=1.0, x0=6.0, y0=6.0, theta=0.0, sigma_x=2.0, sigma_y=2.0, frequency=0.2,
         phase=0.0, offset=0.0),
    dict(amplitude=0.3, x0=5.2, y0=7.1, theta=1.1, sigma_x=1.6, sigma_y=3.0, frequency=0.25,
         phase=-1.2, offset=0.05),
    dict(amplitude=2.0, x0=7.5, y0=4.8, theta=2.6, sigma_x=2.5, sigma_y=1.8, frequency=0.12,
         phase=2.0, offset=-0.3),
    dict(amplitude=1.0, x0=6.4, y0=6.3, theta=np.pi / 2, sigma_x=3.0, sigma_y=3.0,
         frequency=0.3, phase=np.pi / 2, offset=0.0),
]  # fmt: skip


@pytest.mark.parametrize("true", KNOWN)
def test_fit_gabor_recovers_the_parameters_of_a_known_gabor(true):
    fit = gabor_fit.fit_gabor(gabor_fit.gabor(13, **true))
    assert fit.r2 > 0.9999
    for name, value in true.items():
        assert fit.params[name] == pytest.approx(value, abs=1e-3), name


@pytest.mark.parametrize("seed", range(5))
def test_fit_gabor_recovers_random_gabors_under_noise(seed):
    rng = np.random.default_rng(seed)
    true = dict(
        amplitude=1.0, x0=rng.uniform(4.5, 6.5), y0=rng.uniform(4.5, 6.5),
        theta=rng.uniform(0, np.pi), sigma_x=rng.uniform(1.5, 3.0), sigma_y=rng.uniform(1.5, 3.0),
        frequency=rng.uniform(0.1, 0.3), phase=rng.uniform(-np.pi, np.pi), offset=0.0,
    )  # fmt: skip
    noisy = gabor_fit.gabor(11, **true) + 0.03 * rng.standard_normal((11, 11))
    fit = gabor_fit.fit_gabor(noisy)
    assert fit.r2 > 0.95
    assert fit.params["frequency"] == pytest.approx(true["frequency"], abs=0.02)
    assert fit.params["x0"] == pytest.approx(true["x0"], abs=0.3)
    assert fit.params["y0"] == pytest.approx(true["y0"], abs=0.3)
    # orientations are equal modulo pi
    difference = (fit.params["theta"] - true["theta"] + np.pi / 2) % np.pi - np.pi / 2
    assert abs(difference) < 0.1


def test_fit_gabor_returns_one_name_for_the_same_gabor():
    """theta + pi with the phase mirrored, or a negative amplitude with the phase turned by pi,
    draw the same Gabor; the fit reports theta in [0, pi), amplitude >= 0, phase in (-pi, pi]."""
    base = dict(x0=6.0, y0=6.0, sigma_x=2.0, sigma_y=2.5, frequency=0.2, offset=0.0)
    a = gabor_fit.gabor(13, amplitude=1.0, theta=0.5, phase=0.7, **base)
    b = gabor_fit.gabor(13, amplitude=1.0, theta=0.5 + np.pi, phase=-0.7, **base)
    c = gabor_fit.gabor(13, amplitude=-1.0, theta=0.5, phase=0.7 - np.pi, **base)
    np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(a, c, atol=1e-12)
    for kernel in (a, b, c):
        params = gabor_fit.fit_gabor(kernel).params
        assert 0 <= params["theta"] < np.pi and params["amplitude"] >= 0
        assert -np.pi < params["phase"] <= np.pi
        assert params["theta"] == pytest.approx(0.5, abs=1e-3)
        assert params["phase"] == pytest.approx(0.7, abs=1e-3)


# -- ... and rejects noise -------------------------------------------------------------------


@pytest.mark.parametrize("size", [9, 12, 16])
def test_fit_gabor_rejects_white_noise(size):
    rng = np.random.default_rng(size)
    r2 = [gabor_fit.fit_gabor(rng.standard_normal((size, size))).r2 for _ in range(10)]
    assert max(r2) < R2_THRESHOLD
    assert np.median(r2) < 0.35


def test_fit_gabor_rejects_two_crossed_gratings():
    """A plaid (two gratings at right angles) is oriented structure, but not one Gabor."""
    y, x = np.mgrid[:12, :12]
    plaid = np.cos(2 * np.pi * 0.2 * x) + np.cos(2 * np.pi * 0.2 * y)
    assert gabor_fit.fit_gabor(plaid).r2 < R2_THRESHOLD


# -- digits helpers --------------------------------------------------------------------------


@pytest.mark.parametrize("n_filters", [1, 4, 8, 32])
def test_make_cnn_parameter_count_follows_the_formula(n_filters):
    model = digits_cnn.make_cnn(n_filters=n_filters)
    expected = (n_filters * 1 * 5 * 5 + n_filters) + (16 * n_filters * 3 * 3 + 16) + (64 * 10 + 10)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_load_data_is_a_fixed_stratified_split_of_all_1797_digits():
    x_train, y_train, x_test, y_test = digits_cnn.load_data()
    assert len(x_train) + len(x_test) == 1797
    assert x_train.shape[1:] == (1, 8, 8) and x_train.min() >= 0 and x_train.max() <= 1
    assert torch.equal(digits_cnn.load_data()[3], y_test)
    share = torch.bincount(y_test, minlength=10) / torch.bincount(y_train, minlength=10)
    assert share.min() > 0.38 and share.max() < 0.48  # 30 % test in every class


def test_load_data_can_standardise_with_the_training_statistics():
    x_train, _, x_test, _ = digits_cnn.load_data(standardise=True)
    raw_train, _, raw_test, _ = digits_cnn.load_data()
    assert x_train.mean().item() == pytest.approx(0, abs=1e-5)
    assert x_train.std().item() == pytest.approx(1, abs=1e-5)
    scale = raw_train.std()  # the test images get the training images' shift and scale
    torch.testing.assert_close(x_test, (raw_test - raw_train.mean()) / scale)


def make_models(n_models, n_filters=4, dropout=True):
    models = []
    for seed in range(n_models):
        torch.manual_seed(seed)
        models.append(digits_cnn.make_cnn(n_filters=n_filters))
        if not dropout:
            models[-1][-2].p = 0.0
    return models


def max_difference(models_a, models_b):
    return max(
        (a - b).abs().max().item()
        for m1, m2 in zip(models_a, models_b, strict=True)
        for a, b in zip(m1.parameters(), m2.parameters(), strict=True)
    )


@pytest.mark.parametrize("n_filters", [1, 3])
def test_training_together_is_training_one_by_one(n_filters):
    x_train, y_train, _, _ = digits_cnn.load_data(standardise=True)
    together = make_models(3, n_filters, dropout=False)
    one_by_one = copy.deepcopy(together)
    losses = digits_cnn.train_together(together, x_train[:200], y_train[:200], epochs=2)
    single = [digits_cnn.train(m, x_train[:200], y_train[:200], epochs=2) for m in one_by_one]
    assert losses.shape == (2, 3)
    np.testing.assert_allclose(losses.numpy(), np.array(single).T, rtol=1e-4)
    assert max_difference(together, one_by_one) < 1e-4
    assert all(not model.training for model in together)


def test_training_together_on_one_data_set_per_network():
    x_train, y_train, _, _ = digits_cnn.load_data(standardise=True)
    subsets = [torch.arange(i * 50, i * 50 + 40) for i in range(3)]  # three different sets
    together = make_models(3, dropout=False)
    one_by_one = copy.deepcopy(together)
    x = torch.stack([x_train[s] for s in subsets])  # (3, 40, 1, 8, 8)
    y = torch.stack([y_train[s] for s in subsets])
    digits_cnn.train_together(together, x, y, epochs=3, batch_size=40)
    for model, s in zip(one_by_one, subsets, strict=True):
        digits_cnn.train(model, x_train[s], y_train[s], epochs=3, batch_size=40)
    assert max_difference(together, one_by_one) < 1e-4


def test_one_seed_per_network_gives_each_its_own_mini_batches():
    """With seeds=[s0, s1, ...], network i trains as train(model, seed=s_i) trains it alone."""
    x_train, y_train, _, _ = digits_cnn.load_data(standardise=True)
    together = make_models(3, dropout=False)
    one_by_one = copy.deepcopy(together)
    digits_cnn.train_together(together, x_train[:200], y_train[:200], epochs=2, seed=[5, 6, 7])
    for model, seed in zip(one_by_one, [5, 6, 7], strict=True):
        digits_cnn.train(model, x_train[:200], y_train[:200], epochs=2, seed=seed)
    assert max_difference(together, one_by_one) < 1e-4
    shared = make_models(3, dropout=False)  # one shared order ends elsewhere
    digits_cnn.train_together(shared, x_train[:200], y_train[:200], epochs=2, seed=5)
    assert max_difference(together[1:], shared[1:]) > 1e-3


def test_one_seed_per_network_draws_the_dropout_masks_from_that_seed():
    x_train, y_train, _, _ = digits_cnn.load_data(standardise=True)
    torch.manual_seed(0)
    model = digits_cnn.make_cnn(n_filters=2)
    runs = []
    for seeds in ([3, 4], [3, 9]):
        twins = [copy.deepcopy(model) for _ in range(2)]
        torch.manual_seed(123 + len(runs))  # the global generator must not matter
        digits_cnn.train_together(twins, x_train[:128], y_train[:128], epochs=1, seed=seeds)
        runs.append(twins)
    assert max_difference(runs[0][:1], runs[1][:1]) == 0  # same seed 3: identical network
    assert max_difference(runs[0][1:], runs[1][1:]) > 0


def test_training_together_leaves_frozen_layers_alone():
    x_train, y_train, _, _ = digits_cnn.load_data(standardise=True)
    models = make_models(2)
    for model in models:
        model[:4].requires_grad_(False)  # both convolution layers
    frozen = [(m[0].weight.clone(), m[3].weight.clone()) for m in models]
    classifier = [m[-1].weight.clone() for m in models]
    digits_cnn.train_together(models, x_train[:128], y_train[:128], epochs=1)
    for model, (first, second), head in zip(models, frozen, classifier, strict=True):
        assert torch.equal(model[0].weight, first) and torch.equal(model[3].weight, second)
        assert not torch.equal(model[-1].weight, head)


def test_networks_trained_together_keep_their_own_dropout_masks():
    """With dropout on, identical networks trained together still drift apart."""
    x_train, y_train, _, _ = digits_cnn.load_data(standardise=True)
    torch.manual_seed(0)
    model = digits_cnn.make_cnn(n_filters=2)
    twins = [copy.deepcopy(model) for _ in range(2)]
    digits_cnn.train_together(twins, x_train[:128], y_train[:128], epochs=1)
    assert max_difference(twins[:1], twins[1:]) > 0


def test_train_changes_the_kernels_but_never_frozen_ones():
    x_train, y_train, _, _ = digits_cnn.load_data()
    torch.manual_seed(0)
    model = digits_cnn.make_cnn(n_filters=4)
    model[0].requires_grad_(False)
    first, second = model[0].weight.clone(), model[3].weight.clone()
    losses = digits_cnn.train(model, x_train[:256], y_train[:256], epochs=3)
    assert torch.equal(model[0].weight, first)
    assert not torch.equal(model[3].weight, second)
    assert losses[-1] < losses[0]
    assert not model.training  # train() leaves the model ready for evaluation


def test_evaluating_twice_gives_identical_outputs_and_leaves_weights_alone():
    x_train, y_train, x_test, y_test = digits_cnn.load_data()
    torch.manual_seed(1)
    model = digits_cnn.make_cnn()
    digits_cnn.train(model, x_train[:256], y_train[:256], epochs=2)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    first = digits_cnn.accuracy(model, x_test, y_test)
    assert digits_cnn.accuracy(model, x_test, y_test) == first
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


# -- learning a kernel back: the flip, for kernels where it is not a sign change ---------------


def learn_kernel(image, target, steps=600):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 1, 3, bias=False)
    optimizer = torch.optim.SGD(conv.parameters(), lr=0.05, momentum=0.95)
    x, y = torch.from_numpy(image)[None, None], torch.from_numpy(target)[None, None]
    for _ in range(steps):
        loss = F.mse_loss(conv(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return conv.weight.detach()[0, 0].numpy()


@pytest.fixture(scope="module")
def photo():
    image = natural_images.grey_photos(scale=0.25)[1][:96, :96]
    return ((image - image.mean()) / image.std()).astype(np.float32)


@pytest.mark.parametrize(
    "kernel",
    [
        np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),  # emboss
        np.array([[1, 2, 0], [0, 1, 0], [0, 0, -1]]),  # no symmetry at all
    ],
)
def test_convolution_target_teaches_the_flipped_kernel(photo, kernel):
    kernel = kernel.astype(np.float32)
    flipped = kernel[::-1, ::-1]
    assert np.abs(flipped - kernel).max() > 0.5 and np.abs(flipped + kernel).max() > 0.5
    by_convolution = learn_kernel(photo, signal.convolve2d(photo, kernel, mode="valid"))
    by_correlation = learn_kernel(photo, signal.correlate2d(photo, kernel, mode="valid"))
    np.testing.assert_allclose(by_convolution, flipped, atol=1e-3)
    np.testing.assert_allclose(by_correlation, kernel, atol=1e-3)


# -- whitening --------------------------------------------------------------------------------


def test_whiten_flattens_a_one_over_f_spectrum():
    """Noise with amplitude 1/f (like a natural image) comes out with a much flatter spectrum."""
    rng = np.random.default_rng(0)
    n = 128
    f = np.hypot(np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :])
    pink = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, n))) / np.maximum(f, 1 / n)))

    def band(image, low, high):
        power = np.abs(np.fft.fft2(image - image.mean())) ** 2
        return power[(f >= low) & (f < high)].mean()

    white = natural_images.whiten(pink)
    assert white.mean() == pytest.approx(0, abs=1e-12) and white.std() == pytest.approx(1)
    assert band(pink, 0.02, 0.04) / band(pink, 0.1, 0.12) > 8
    assert 0.5 < band(white, 0.02, 0.04) / band(white, 0.1, 0.12) < 2


def test_random_patches_come_from_the_images():
    rng = np.random.default_rng(0)
    images = [np.arange(400.0).reshape(20, 20), -np.arange(300.0).reshape(15, 20)]
    patches = natural_images.random_patches(images, 6, 50, rng)
    assert patches.shape == (50, 6, 6)
    for i, patch in enumerate(patches):
        image = images[i % 2]
        row, col = np.argwhere(image == patch[0, 0])[0]
        np.testing.assert_array_equal(image[row : row + 6, col : col + 6], patch)
