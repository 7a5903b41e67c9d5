"""How the starting scale of the kernels decides whether a signal survives 50 convolutions.

A plain stack of 50 convolutions (3×3, 16 channels, no bias, no normalisation) is fed random
noise. For each initialisation scheme the figure shows the standard deviation of every layer's
activations (forward pass) and of the gradient reaching every layer (backward pass), with ReLU and
with tanh: the median over ten random stacks, and the range they span. Only the variance of the
random kernels differs between the schemes.

Needs: pip install matplotlib==3.11.2 torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch.nn import init

torch.set_num_threads(1)  # the quoted numbers depend on the thread count (float32 sums)
torch.manual_seed(0)
DEPTH, CHANNELS, SIZE = 50, 16, 8
fan_in = fan_out = CHANNELS * 3 * 3  # every layer has 16 input and 16 output channels


def pytorch_default(w):  # what nn.Conv2d.reset_parameters does (see the previous snippet)
    return init.kaiming_uniform_(w, a=math.sqrt(5))  # U(-1/sqrt(fan_in), 1/sqrt(fan_in))


SCHEMES = {  # key: (label, function that fills a weight tensor, variance of one weight)
    "default": ("PyTorch default", pytorch_default, 1 / (3 * fan_in)),
    "lecun": ("LeCun", lambda w: init.normal_(w, std=fan_in**-0.5), 1 / fan_in),
    "xavier": ("Xavier/Glorot", init.xavier_uniform_, 2 / (fan_in + fan_out)),
    "he": ("He/Kaiming", lambda w: init.kaiming_normal_(w, nonlinearity="relu"), 2 / fan_in),
    "orthogonal": ("orthogonal", init.orthogonal_, 1 / fan_in),  # gain 1: unit-length rows
}
ACTIVATIONS = {"relu": ("ReLU", torch.relu), "tanh": ("tanh", torch.tanh)}
STACKS = 10  # independent random stacks per scheme: one narrow stack is a noisy sample


def signal_through_stacks(fill, activation, stacks=STACKS):
    """Per-layer std of the activations and of the gradient of a random linear read-out, for
    `stacks` independent random stacks at once: one grouped convolution (groups=stacks) per
    layer runs them side by side. Returns two tensors of shape (stacks, DEPTH)."""
    x = torch.randn(4, stacks * CHANNELS, SIZE, SIZE, requires_grad=True)  # input with std 1
    h, outputs = x, []
    for _ in range(DEPTH):
        w = torch.cat([fill(torch.empty(CHANNELS, CHANNELS, 3, 3)) for _ in range(stacks)])
        # Circular padding keeps every pixel statistically alike (no border effects).
        h = activation(F.conv2d(F.pad(h, (1, 1, 1, 1), mode="circular"), w, groups=stacks))
        h.retain_grad()
        outputs.append(h)
    (h * torch.randn_like(h)).sum().backward()

    def std_per_stack(t):  # (4, stacks·16, 16, 16) -> (stacks,)
        return t.unflatten(1, (stacks, CHANNELS)).transpose(0, 1).flatten(1).std(1)

    forward = torch.stack([std_per_stack(o) for o in outputs], 1)
    backward = torch.stack([std_per_stack(o.grad) for o in outputs], 1)
    return forward.detach(), backward


results = {}  # (activation, scheme) -> tensors of shape (STACKS, DEPTH), forward and backward
for act, (_, activation) in ACTIVATIONS.items():
    for scheme, (_, fill, variance) in SCHEMES.items():
        w = fill(torch.empty(CHANNELS, CHANNELS, 3, 3))
        assert abs(w.var().item() / variance - 1) < 0.1  # the scheme has the stated variance
        results[act, scheme] = signal_through_stacks(fill, activation)
median = {key: (f.median(0).values, b.median(0).values) for key, (f, b) in results.items()}


# %% At which layer does the (median) signal leave the range [1e-3, 1e3]? The input's std is 1.
def first_layer_outside(stds, low=1e-3, high=1e3):
    for layer, s in enumerate(stds.tolist(), start=1):
        if s < low or s > high:
            return layer
    return 0  # never


leaves_range = {a: {s: first_layer_outside(median[a, s][0]) for s in SCHEMES} for a in ACTIVATIONS}
final_std = {a: {s: median[a, s][0][-1].item() for s in SCHEMES} for a in ACTIVATIONS}
gradient_ratio = {  # gradient std at layer 1 divided by that at layer 50
    a: {s: (median[a, s][1][0] / median[a, s][1][-1]).item() for s in SCHEMES} for a in ACTIVATIONS
}


def verdict(act, scheme):
    layer, std = leaves_range[act][scheme], final_std[act][scheme]
    if layer == 0:
        return f"stays in range ({std:.1e})"
    return f"{'vanishes' if std < 1 else 'explodes'} at layer {layer} ({std:.1e})"


header = f"| scheme | fan-in × Var(w) | ReLU: std at layer {DEPTH} | tanh: std at layer {DEPTH} |"
depth_table = "\n".join(
    [header, "|---|---:|---|---|"]
    + [
        f"| {label} | {fan_in * variance:.2f} | {verdict('relu', s)} | {verdict('tanh', s)} |"
        for s, (label, _, variance) in SCHEMES.items()
    ]
)
print(depth_table)
for act in ACTIVATIONS:
    for scheme, (label, _, _) in SCHEMES.items():
        ratio = gradient_ratio[act][scheme]
        print(f"{act:4s} {label:15s} gradient std at layer 1 / at layer {DEPTH}: {ratio:.1e}")

# %% The headline facts.
# ReLU halves the variance (it zeroes half the inputs); He's factor 2 restores it on average.
# A single narrow stack still drifts (its per-layer gain is random): within 100x after 50 layers.
assert leaves_range["relu"]["he"] == 0 and 1e-2 < final_std["relu"]["he"] < 1e2
assert final_std["relu"]["lecun"] < 1e-5  # variance halves per layer: (1/2)**25 in std
assert final_std["relu"]["default"] < 1e-15  # variance / 6 per layer
assert leaves_range["relu"]["default"] < leaves_range["relu"]["lecun"]
# tanh is close to the identity near 0: LeCun's 1/fan_in keeps it alive (slowly shrinking).
assert leaves_range["tanh"]["lecun"] == 0 and 1e-2 < final_std["tanh"]["lecun"] < 1
assert final_std["tanh"]["default"] < 1e-9
# He's doubled variance drives tanh into saturation: activations stay large ...
assert final_std["tanh"]["he"] > 0.5
# ... and the gradient grows on its way back to the first layers.
assert gradient_ratio["tanh"]["he"] > 5
assert 0.1 < gradient_ratio["relu"]["he"] < 10

# %% Figure: forward activations (top) and backward gradients (bottom).
fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex=True)
layers = range(1, DEPTH + 1)
for col, (act, (act_label, _)) in enumerate(ACTIVATIONS.items()):
    for scheme, (label, _, _) in SCHEMES.items():
        style = "--" if scheme == "xavier" else "-"  # equals LeCun at constant width
        for row in (0, 1):  # median over the stacks, and the range they span
            runs = results[act, scheme][row]
            (line,) = axes[row, col].semilogy(layers, median[act, scheme][row], style, label=label)
            axes[row, col].fill_between(
                layers, runs.min(0).values, runs.max(0).values, color=line.get_color(), alpha=0.15
            )
    axes[0, col].set_title(f"{act_label}: std of activations (forward)")
    axes[1, col].set_title(f"{act_label}: std of gradients (backward)")
    axes[1, col].set_xlabel("layer")
for ax in axes.flat:
    ax.axhspan(1e-3, 1e3, color="0.92", zorder=0)  # the range [1e-3, 1e3]
    ax.grid(alpha=0.3)
axes[0, 0].legend(fontsize=8)
fig.tight_layout()
plt.show()
