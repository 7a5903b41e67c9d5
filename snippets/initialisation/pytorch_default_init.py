"""What `nn.Conv2d` does to its kernels when you create it (PyTorch 2.13).

`Conv2d.reset_parameters` calls `init.kaiming_uniform_(weight, a=math.sqrt(5))`. With that
negative slope the "leaky ReLU gain" is sqrt(2 / (1 + 5)) = sqrt(1/3), so the bound
gain * sqrt(3 / fan_in) simplifies to 1 / sqrt(fan_in): every weight is drawn uniformly from
(-1/sqrt(fan_in), 1/sqrt(fan_in)), and so is the bias. This snippet checks that claim numerically.

Needs: pip install matplotlib==3.11.2 numpy==2.4.6 scipy==1.17.1 torch==2.13.0
"""

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from scipy import stats
from torch.nn import init

torch.manual_seed(0)
conv = nn.Conv2d(in_channels=32, out_channels=64, kernel_size=3)
fan_in = conv.in_channels * 3 * 3  # inputs that feed one output value: 32 channels x 3x3
bound = 1 / math.sqrt(fan_in)
weights = conv.weight.detach().flatten().numpy()

# 1. Same random stream, same numbers: the default IS kaiming_uniform_ with a = sqrt(5) ...
torch.manual_seed(0)
w = torch.empty_like(conv.weight)
init.kaiming_uniform_(w, a=math.sqrt(5))
assert torch.equal(w, conv.weight)
# ... which IS a plain uniform draw on (-1/sqrt(fan_in), 1/sqrt(fan_in)).
torch.manual_seed(0)
assert torch.equal(torch.empty_like(conv.weight).uniform_(-bound, bound), conv.weight)

# 2. The numbers themselves: inside the bound, flat histogram, variance bound**2 / 3.
assert np.abs(weights).max() <= bound
assert stats.kstest(weights, stats.uniform(loc=-bound, scale=2 * bound).cdf).pvalue > 0.01
weight_variance = float(weights.var())
assert abs(weight_variance * 3 * fan_in - 1) < 0.05  # Var = 1 / (3 fan_in)
bias = conv.bias.detach().numpy()
assert np.abs(bias).max() <= bound  # the bias uses the same bound

# 3. Compared with He's variance 2 / fan_in for ReLU, the default is 6 times smaller.
he_over_default = (2 / fan_in) / (1 / (3 * fan_in))
assert he_over_default == 6.0
print(f"fan_in = {fan_in}, bound = 1/sqrt(fan_in) = {bound:.4f}")
print(f"variance of the weights: {weight_variance:.3e} (1/(3 fan_in) = {1 / (3 * fan_in):.3e})")
print(f"He's variance is {he_over_default:.0f} times larger: {2 / fan_in:.3e}")

# %% The default's histogram next to He's normal distribution for the same layer.
he = init.kaiming_normal_(torch.empty_like(conv.weight), nonlinearity="relu").flatten().numpy()
fig, ax = plt.subplots(figsize=(7, 3))
bins = np.linspace(-4 * math.sqrt(2 / fan_in), 4 * math.sqrt(2 / fan_in), 61)
ax.hist(weights, bins=bins, density=True, alpha=0.6, label="nn.Conv2d default (uniform)")
ax.hist(he, bins=bins, density=True, alpha=0.6, label="He/Kaiming normal, std sqrt(2/fan_in)")
ax.axvline(-bound, color="k", lw=0.8, ls="--")
ax.axvline(bound, color="k", lw=0.8, ls="--", label="±1/sqrt(fan_in)")
ax.set_xlabel("weight value")
ax.set_ylabel("density")
ax.set_title(f"Kernel entries of Conv2d(32, 64, 3): fan_in = {fan_in}")
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
plt.show()
