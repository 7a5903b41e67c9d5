"""Helpers for the chapter "In a CNN, kernels are the weights": the matrix of a convolution layer
(a doubly block Toeplitz matrix when stride is 1) and the receptive field of a stack of layers.

Run as a script, it checks both against PyTorch on a small example.

Needs: pip install torch==2.13.0
"""

# %%
import torch
import torch.nn.functional as F


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def conv_output_size(n, kernel, padding=0, stride=1, dilation=1):
    """Output length of a convolution along one axis: floor((n + 2p - d(k-1) - 1) / s) + 1."""
    _check_int("input size", n, 1)
    _check_int("kernel size", kernel, 1)
    _check_int("padding", padding, 0)
    _check_int("stride", stride, 1)
    _check_int("dilation", dilation, 1)
    span = dilation * (kernel - 1) + 1  # how far the (dilated) kernel reaches
    if span > n + 2 * padding:
        raise ValueError(
            f"kernel (size {kernel}, dilation {dilation}, span {span}) is larger than the "
            f"padded input (size {n} + 2*{padding} = {n + 2 * padding})"
        )
    return (n + 2 * padding - span) // stride + 1


def conv_matrix_indices(weight_shape, input_hw, padding=0, stride=1, dilation=1):
    """Integer matrix saying which weight entry sits where in the layer's matrix.

    Entry [row, col] is an index into ``weight.flatten()``, or -1 where the matrix is zero.
    Rows are the flattened output (C_out, H_out, W_out); columns the flattened input (C_in, H, W).
    """
    if len(weight_shape) != 4 or len(input_hw) != 2:
        raise ValueError(
            f"expected a weight shape (C_out, C_in, kH, kW) and an input size (H, W), "
            f"got {tuple(weight_shape)} and {tuple(input_hw)}"
        )
    c_out, c_in, kh, kw = weight_shape
    h, w = input_hw
    h_out = conv_output_size(h, kh, padding, stride, dilation)
    w_out = conv_output_size(w, kw, padding, stride, dilation)
    index = torch.full((c_out * h_out * w_out, c_in * h * w), -1, dtype=torch.long)
    for o in range(c_out):
        for y in range(h_out):
            for x in range(w_out):
                row = (o * h_out + y) * w_out + x
                for c in range(c_in):
                    for i in range(kh):
                        for j in range(kw):
                            # input pixel under kernel entry (i, j); padding pixels are zeros,
                            # so they add no column
                            yy = y * stride + i * dilation - padding
                            xx = x * stride + j * dilation - padding
                            if 0 <= yy < h and 0 <= xx < w:
                                col = (c * h + yy) * w + xx
                                index[row, col] = ((o * c_in + c) * kh + i) * kw + j
    return index


def conv_matrix(weight, input_hw, padding=0, stride=1, dilation=1):
    """The matrix W of a bias-free conv layer: W @ x.flatten() == F.conv2d(x, weight).flatten()."""
    index = conv_matrix_indices(tuple(weight.shape), input_hw, padding, stride, dilation)
    values = weight.flatten()[index.clamp(min=0)]  # every entry is a copy of a kernel entry ...
    return torch.where(index >= 0, values, torch.zeros(()))  # ... or a structural zero


def receptive_field(layers):
    """Receptive field (in input pixels, along one axis) of one output pixel of a layer stack.

    ``layers`` is a list of (kernel, stride, dilation). Each layer widens the field by
    (k - 1) * d times the product of the strides of the layers below it.
    """
    if len(layers) == 0:
        raise ValueError("layers must contain at least one (kernel, stride, dilation) triple")
    size, jump = 1, 1  # jump: distance in input pixels between neighbouring units
    for kernel, stride, dilation in layers:
        _check_int("kernel size", kernel, 1)
        _check_int("stride", stride, 1)
        _check_int("dilation", dilation, 1)
        size += (kernel - 1) * dilation * jump
        jump *= stride
    return size


# %%
if __name__ == "__main__":
    torch.manual_seed(0)
    weight = torch.randn(2, 3, 3, 3, dtype=torch.float64)
    x = torch.randn(1, 3, 6, 5, dtype=torch.float64)
    W = conv_matrix(weight, (6, 5), padding=1, stride=2)
    ours = W @ x.flatten()
    torch_out = F.conv2d(x, weight, padding=1, stride=2).flatten()
    assert torch.allclose(ours, torch_out, atol=1e-12)
    print(
        "matrix shape",
        tuple(W.shape),
        "max error",
        (ours - torch_out).abs().max().item(),
    )
    print("receptive field of three 3x3 layers:", receptive_field([(3, 1, 1)] * 3))
    assert receptive_field([(3, 1, 1)] * 3) == 7
