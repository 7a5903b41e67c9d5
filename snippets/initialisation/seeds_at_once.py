"""Shared by this chapter's experiments that train one network per seed, all of them at once.

- `load_digits_split()`: scikit-learn's 8×8 digits as tensors, one fixed stratified split.
- `Adam`: the update of `torch.optim.Adam` (default betas and eps), written out. It gives the same
  numbers; it exists because creating the first `torch.optim` optimiser imports PyTorch's
  compiler, about two seconds of start-up for a snippet that trains for three.
- `order_generator(seed)`: a seed's own random stream for its mini-batch order.

The chapter's tests check `Adam` against `torch.optim.Adam`, bit for bit.

Needs: pip install numpy==2.4.6 scikit-learn==1.9.1 torch==2.13.0
"""

# %%
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def load_digits_split():
    """Images in [0, 1], (N, 1, 8, 8); labels (N,). 1,347 training and 450 test images."""
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.images / 16.0, digits.target, test_size=0.25, stratify=digits.target, random_state=0
    )
    x_train, x_test = (torch.tensor(a, dtype=torch.float32).unsqueeze(1) for a in (x_train, x_test))
    return x_train, torch.tensor(y_train), x_test, torch.tensor(y_test)


class Adam:
    """Adam (Kingma & Ba 2015) with betas (0.9, 0.999) and eps 1e-8, as torch.optim.Adam does it.

    Every entry of every parameter has its own running mean m of the gradient and of its square v;
    the step is lr · m / (sqrt(v) + eps), both corrected for starting at zero. Nothing mixes
    entries, so networks stacked in one tensor are still optimised independently.
    """

    def __init__(self, parameters, lr):
        self.parameters, self.lr, self.steps = list(parameters), lr, 0
        self.moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in self.parameters]

    def zero_grad(self):
        for p in self.parameters:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.steps += 1
        for p, (m, v) in zip(self.parameters, self.moments, strict=True):
            m.lerp_(p.grad, 1 - 0.9)
            v.mul_(0.999).addcmul_(p.grad, p.grad, value=1 - 0.999)
            denominator = (v.sqrt() / (1 - 0.999**self.steps) ** 0.5).add_(1e-8)
            p.addcdiv_(m, denominator, value=-self.lr / (1 - 0.9**self.steps))


def order_generator(seed):
    """Seed `seed`'s own stream for its mini-batch order. `torch.manual_seed(seed)` drew the
    network's starting weights; this stream is derived from (seed, 1), so that it does not repeat
    those numbers, and two methods run on the same seed see the same batches."""
    (state,) = np.random.SeedSequence([seed, 1]).generate_state(1)
    return torch.Generator().manual_seed(int(state))


# %% Run as a script: the split, and one Adam step on a toy problem.
if __name__ == "__main__":
    x_train, y_train, x_test, y_test = load_digits_split()
    assert x_train.shape == (1347, 1, 8, 8) and x_test.shape == (450, 1, 8, 8)
    w = torch.ones(3, requires_grad=True)
    optimiser = Adam([w], lr=0.1)
    (w**2).sum().backward()
    optimiser.step()  # the first Adam step moves every entry by lr, whatever the gradient's size
    assert torch.allclose(w, torch.full((3,), 0.9))
    print(
        f"{len(x_train)} training and {len(x_test)} test images; Adam's first step: 1 -> {w[0]:.3f}"
    )
