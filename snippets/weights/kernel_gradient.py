"""The gradient of the loss with respect to a kernel is a cross-correlation of the layer's input
with the gradient arriving from above. We compute it by hand, twice (a loop over kernel entries,
then a single ``F.conv2d`` call), and compare with what autograd stores in ``weight.grad``.

Needs: pip install torch==2.13.0
"""

# %%
import torch
import torch.nn.functional as F

torch.manual_seed(0)

# A layer with several channels, padding and stride, on a batch of two inputs
conv = torch.nn.Conv2d(3, 4, kernel_size=3, padding=1, stride=2).double()
x = torch.randn(2, 3, 8, 8, dtype=torch.float64, requires_grad=True)
target = torch.randn(2, 4, 4, 4, dtype=torch.float64)

y = conv(x)  # (2, 4, 4, 4)
y.retain_grad()
loss = ((y - target) ** 2).mean()
loss.backward()  # autograd fills conv.weight.grad, conv.bias.grad, x.grad and y.grad

# %% [markdown]
# ## The upstream gradient
# For a mean squared error, dL/dy = 2 (y - target) / (number of outputs). Any later layers would
# only change this tensor; what follows holds whatever it is.

# %%
delta = 2 * (y - target).detach() / y.numel()
assert torch.allclose(delta, y.grad, atol=1e-15)

# %% [markdown]
# ## By hand, one kernel entry at a time
# y[n, o, u, v] = b[o] + sum over c, i, j of w[o, c, i, j] * xp[n, c, s*u + i, s*v + j]
# (xp = x with its zero padding). Entry w[o, c, i, j] multiplies the slice of the padded input
# that the kernel entry (i, j) visits, so its gradient is that slice times delta, summed.

# %%
stride, pad, k = 2, 1, 3
xp = F.pad(x.detach(), (pad, pad, pad, pad))
h_out, w_out = y.shape[2:]
grad_loop = torch.zeros_like(conv.weight)
for i in range(k):
    for j in range(k):
        visited = xp[:, :, i : i + stride * h_out : stride, j : j + stride * w_out : stride]
        grad_loop[:, :, i, j] = torch.einsum("nouv,ncuv->oc", delta, visited)

loop_max_error = (grad_loop - conv.weight.grad).abs().max().item()
assert torch.allclose(grad_loop, conv.weight.grad, atol=1e-14)

# %% [markdown]
# ## The same thing as one cross-correlation
# Swap the batch and channel axes so the input channels become a "batch" and delta becomes the
# "kernel"; the stride of the layer becomes a dilation of delta.

# %%
grad_corr = F.conv2d(
    x.detach().transpose(0, 1),  # (C_in, N, H, W): "batch" of input channels
    delta.transpose(0, 1),  # (C_out, N, H_out, W_out): "kernels" made of the gradient
    padding=pad,
    dilation=stride,
).transpose(0, 1)[:, :, :k, :k]  # (C_out, C_in, k, k), like the weight
correlation_max_error = (grad_corr - conv.weight.grad).abs().max().item()
assert torch.allclose(grad_corr, conv.weight.grad, atol=1e-14)

# The bias is added to every output pixel, so its gradient is delta summed over them
bias_max_error = (delta.sum(dim=(0, 2, 3)) - conv.bias.grad).abs().max().item()
assert torch.allclose(delta.sum(dim=(0, 2, 3)), conv.bias.grad, atol=1e-15)

# %% [markdown]
# ## And the gradient for the layer below
# The gradient with respect to the input, passed on to the previous layer, is a transposed
# convolution of delta with the same kernels.

# %%
grad_input = F.conv_transpose2d(
    delta, conv.weight.detach(), stride=stride, padding=pad, output_padding=1
)
input_grad_max_error = (grad_input - x.grad).abs().max().item()
assert torch.allclose(grad_input, x.grad, atol=1e-14)

kernel_gradient_max_error = max(loop_max_error, correlation_max_error)
print(f"weight gradient, loop over kernel entries:  max error {loop_max_error:.1e}")
print(f"weight gradient, one cross-correlation:     max error {correlation_max_error:.1e}")
print(f"bias gradient, sum of delta:                max error {bias_max_error:.1e}")
print(f"input gradient, transposed convolution:     max error {input_grad_max_error:.1e}")
