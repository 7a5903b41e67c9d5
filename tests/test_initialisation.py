"""Claims of the chapter "Random kernels and initialisation" beyond the snippets' own asserts."""

from __future__ import annotations

import math
import re
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap
from torch.nn import init

from conftest import ROOT, SNIPPETS, snippet_module


def snippet_definitions(snippet_id: str, stop: str) -> dict:
    """Run a snippet only up to the cell whose header contains ``stop``: its data, classes and
    functions, without the (slower) experiment that follows."""
    path = SNIPPETS / snippet_id
    source = path.read_text(encoding="utf-8")
    header = next(line for line in source.splitlines() if line.startswith("# %%") and stop in line)
    namespace = {"__name__": "snippet_definitions"}
    folders = [str(path.parent), str(SNIPPETS / "common")]  # its helpers: siblings, common/
    sys.path[:0] = folders
    try:
        exec(compile(source[: source.index(header)], str(path), "exec"), namespace)
    finally:
        for folder in folders:
            sys.path.remove(folder)
    return namespace


@pytest.fixture(scope="module")
def depth():
    """The 50-layer signal-propagation experiment (about 1 s after the imports)."""
    torch.set_num_threads(1)
    return snippet_module("initialisation/init_schemes_depth.py")


@pytest.fixture(scope="module")
def residual():
    """The residual network's building blocks (Block, make_net), without the experiment."""
    torch.set_num_threads(1)
    return snippet_definitions("initialisation/residual_without_norm.py", "as one")


@pytest.fixture(scope="module")
def frozen():
    """The batched digits CNNs of the frozen-vs-learned comparison, without the experiment."""
    torch.set_num_threads(1)
    return snippet_definitions("initialisation/frozen_vs_learned.py", "Learned:")


# -- PyTorch's default initialisation --------------------------------------------------------


@pytest.mark.parametrize(
    ("make_layer", "fan_in"),
    [
        (lambda: nn.Conv2d(3, 8, 5), 3 * 5 * 5),
        (lambda: nn.Conv2d(16, 4, (3, 7)), 16 * 3 * 7),
        (lambda: nn.Conv2d(6, 6, 3, groups=3), 2 * 3 * 3),  # each filter sees 6/3 channels
        (lambda: nn.Conv1d(5, 6, 3), 5 * 3),
        (lambda: nn.Linear(20, 7), 20),
    ],
    ids=["conv2d-5x5", "conv2d-3x7", "conv2d-groups", "conv1d", "linear"],
)
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(make_layer, fan_in):
    torch.manual_seed(1)
    layer = make_layer()
    bound = 1 / math.sqrt(fan_in)
    assert init._calculate_fan_in_and_fan_out(layer.weight)[0] == fan_in
    assert layer.weight.abs().max() <= bound
    assert layer.bias.abs().max() <= bound
    # Bit for bit the same numbers as a plain uniform draw from the same random stream.
    torch.manual_seed(1)
    expected = torch.empty_like(layer.weight).uniform_(-bound, bound)
    assert torch.equal(layer.weight, expected)


def test_default_snippet_reports_the_variance_one_over_three_fan_in():
    default = snippet_module("initialisation/pytorch_default_init.py")
    assert default.fan_in == 32 * 3 * 3
    assert default.weight_variance == pytest.approx(1 / (3 * default.fan_in), rel=0.05)
    assert default.he_over_default == 6


# -- The schemes ------------------------------------------------------------------------------


def test_scheme_variances_on_a_layer_where_xavier_and_lecun_differ():
    torch.manual_seed(0)
    shape = (8, 32, 3, 3)  # fan_in 288, fan_out 72: Xavier averages the two
    fan_in, fan_out = 32 * 9, 8 * 9
    xavier = init.xavier_uniform_(torch.empty(shape)).var().item()
    he = init.kaiming_normal_(torch.empty(shape), nonlinearity="relu").var().item()
    assert xavier == pytest.approx(2 / (fan_in + fan_out), rel=0.1)
    assert he == pytest.approx(2 / fan_in, rel=0.1)
    assert xavier / (1 / fan_in) == pytest.approx(1.6, rel=0.1)  # not LeCun's 1 / fan_in


def test_orthogonal_init_gives_orthonormal_filters():
    torch.manual_seed(0)
    w = init.orthogonal_(torch.empty(16, 16, 3, 3)).view(16, -1)  # 16 filters of 144 numbers
    assert torch.allclose(w @ w.T, torch.eye(16), atol=1e-5)
    assert w.var().item() == pytest.approx(1 / 144, rel=0.05)  # hence LeCun's scale


@pytest.mark.parametrize(
    ("activation", "scheme", "factor"),
    [
        # ReLU keeps half the variance: std factor per layer sqrt(fan_in * Var(w) / 2).
        ("relu", "default", math.sqrt(1 / 6)),
        ("relu", "lecun", math.sqrt(1 / 2)),
        ("relu", "he", 1.0),
        # tanh is the identity near 0: factor sqrt(fan_in * Var(w)) while the signal is small.
        ("tanh", "default", math.sqrt(1 / 3)),
    ],
)
def test_per_layer_decay_matches_the_variance_argument(depth, activation, scheme, factor):
    forward, backward = depth.median[activation, scheme]
    span = 35  # layers 5 to 40: away from the input and the read-out

    def per_layer(curve):  # geometric mean of the ratio between successive layers
        return (curve[4 + span] / curve[4]).item() ** (1 / span)

    # Going back, the gradient shrinks by the same factor per layer.
    assert 1 / per_layer(backward) == pytest.approx(factor, rel=0.05)
    # Forward, a narrow stack loses a little more (its random per-layer gain averages to the
    # prediction in variance, not in log): within 10 %.
    assert per_layer(forward) == pytest.approx(factor, rel=0.1)


def test_orthogonal_needs_the_relu_gain_to_keep_the_signal(depth):
    torch.manual_seed(0)
    finals = {}
    for gain in (1.0, math.sqrt(2)):
        forward, _ = depth.signal_through_stacks(
            lambda w, g=gain: init.orthogonal_(w, gain=g), torch.relu, stacks=4
        )
        finals[gain] = forward[:, -1].median().item()
    assert finals[1.0] < 1e-5  # like LeCun
    assert finals[math.sqrt(2)] > 1e-2  # like He


# -- Symmetry breaking ------------------------------------------------------------------------


def _tied_net(activation, tell_channels_apart):
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3, padding=1)
    head = nn.Linear(4 * 6 * 6, 3)
    with torch.no_grad():
        conv.weight.copy_(conv.weight[:1].expand_as(conv.weight))
        conv.bias.fill_(conv.bias[0].item())
        if not tell_channels_apart:
            h = head.weight.view(3, 4, 36)
            h.copy_(h[:, :1].expand_as(h))
    return conv, head, activation


@pytest.mark.parametrize("activation", [torch.relu, torch.tanh, torch.sigmoid])
def test_tied_kernels_receive_identical_gradients(activation):
    conv, head, act = _tied_net(activation, tell_channels_apart=False)
    x, y = torch.randn(5, 1, 6, 6), torch.tensor([0, 1, 2, 0, 1])
    F.cross_entropy(head(act(conv(x)).flatten(1)), y).backward()
    grads = conv.weight.grad
    assert grads.abs().sum() > 0
    # Equal up to float rounding (the snippet's ReLU network is even bit for bit equal).
    assert torch.allclose(grads, grads[:1].expand_as(grads), rtol=1e-5, atol=1e-8)


def test_a_head_that_tells_channels_apart_breaks_the_tie():
    conv, head, act = _tied_net(torch.relu, tell_channels_apart=True)
    x, y = torch.randn(5, 1, 6, 6), torch.tensor([0, 1, 2, 0, 1])
    F.cross_entropy(head(act(conv(x)).flatten(1)), y).backward()
    grads = conv.weight.grad
    assert not torch.allclose(grads, grads[:1].expand_as(grads), rtol=1e-5, atol=1e-8)


# -- Deep residual network without normalisation ---------------------------------------------


def test_skipinit_blocks_start_as_the_identity(residual):
    torch.manual_seed(0)
    block = residual["Block"](skipinit=True)
    x = torch.randn(2, residual["WIDTH"], 4, 4)
    assert torch.equal(block(x), x)
    assert isinstance(block.alpha, nn.Parameter)  # ... and can learn to leave it


def test_he_init_output_grows_with_depth_skipinit_does_not(residual):
    x = residual["x_train"][:64]
    blocks_before = residual["BLOCKS"]
    he_std = {}
    try:
        for blocks in (2, 8, 20):
            residual["BLOCKS"] = blocks  # make_net reads the module constant
            torch.manual_seed(0)
            with torch.no_grad():
                he_std[blocks] = residual["make_net"]("he")(x).std().item()
                net = residual["make_net"]("skipinit")
                # Every block is the identity: the net is the stem followed by the head.
                assert torch.equal(net(x), net[-3:](net[0](x)))
    finally:
        residual["BLOCKS"] = blocks_before
    assert he_std[2] < he_std[8] < he_std[20]


def test_vmap_over_stacked_parameters_runs_each_network_unchanged(residual):
    """The snippet's 90 networks are one batched network: check it on three of them."""
    torch.manual_seed(0)
    nets = [residual["make_net"](init) for init in ("he", "default", "skipinit")]
    params, _ = stack_module_state(nets)
    template = residual["make_net"]("default").to("meta")
    x = residual["x_train"][:5]
    batched = vmap(lambda p, xi: functional_call(template, p, (xi,)))(
        params, x.expand(3, -1, -1, -1, -1)
    )
    for net, out in zip(nets, batched, strict=True):
        assert torch.allclose(out, net(x), atol=1e-5)


# -- Frozen random filters, a Gabor bank, or learned filters ---------------------------------


def test_batched_cnns_compute_what_the_pytorch_layers_compute(frozen):
    seeds = [3, 7]
    cnns = frozen["CNNs"](seeds)
    x = frozen["x_train"][:32]
    features = cnns.features(frozen["patches"](x).expand(len(seeds), -1, -1, -1))
    for i, seed in enumerate(seeds):
        torch.manual_seed(seed)  # the layers the snippet stacked for this seed
        conv = nn.Conv2d(1, 16, 5)
        layers = nn.Sequential(conv, nn.BatchNorm2d(16), nn.ReLU())  # training mode
        expected = layers(x)  # (images, 16 filters, 4, 4)
        ours = features[i].view(len(x), 16, 16).transpose(1, 2).reshape(len(x), 16, 4, 4)
        assert torch.allclose(ours, expected, atol=1e-4)


def test_summed_losses_give_each_network_its_own_gradient(frozen):
    together, alone = frozen["CNNs"]([0, 1]), frozen["CNNs"]([1])
    patches = frozen["patches"](frozen["x_train"][:64])
    labels = frozen["y_train"][:64]
    inputs = torch.stack([patches[:32], patches[32:]])  # network 0 and 1 see different images
    targets = torch.stack([labels[:32], labels[32:]])
    losses = F.cross_entropy(together(inputs).transpose(1, 2), targets, reduction="none")
    losses.mean(1).sum().backward()
    F.cross_entropy(alone(inputs[1:])[0], targets[1]).backward()
    assert torch.allclose(together.filters.grad[1], alone.filters.grad[0], atol=1e-6)
    assert torch.allclose(together.head.weight.grad[1], alone.head.weight.grad[0], atol=1e-6)


def test_each_seed_draws_its_own_mini_batches_apart_from_its_start():
    order_generator = snippet_module("initialisation/seeds_at_once.py").order_generator
    first, second = (torch.randperm(100, generator=order_generator(s)) for s in (0, 1))
    assert not torch.equal(first, second)  # another seed, another order
    assert torch.equal(first, torch.randperm(100, generator=order_generator(0)))  # reproducible
    torch.manual_seed(0)  # the stream that drew seed 0's starting weights is a different one
    assert not torch.equal(torch.rand(100), torch.rand(100, generator=order_generator(0)))


def test_written_out_adam_matches_torch_optim_adam_bit_for_bit():
    adam = snippet_module("initialisation/seeds_at_once.py").Adam
    torch.manual_seed(0)
    ours = torch.randn(3, 4, requires_grad=True)
    theirs = ours.detach().clone().requires_grad_()
    mine, reference = adam([ours], lr=0.05), torch.optim.Adam([theirs], lr=0.05)
    target = torch.randn(3, 4)
    for _ in range(5):
        for w, optimiser in ((ours, mine), (theirs, reference)):
            optimiser.zero_grad()
            ((w - target) ** 3).sum().backward()
            optimiser.step()
    assert torch.equal(ours, theirs)


# -- The timeline cites the References page ---------------------------------------------------


def test_every_timeline_entry_has_a_reference_entry():
    timeline = snippet_module("initialisation/random_kernels_timeline.py")
    ids = set(re.findall(r'<span id="([^"]+)"></span>', (ROOT / "docs/references.md").read_text()))
    for year, who, _, _ in timeline.EVENTS:
        # the first author's surname, particles included: "von der Malsburg" -> von-der-malsburg
        first_author = re.split(r",| &| et al", who)[0].strip().lower().replace(" ", "-")
        assert f"{first_author}-{year}" in ids, f"no reference for {who} {year}"
