"""Weight sharing in numbers: a convolution layer and a dense (fully connected) layer that map the
same input to the same output size, with their parameter counts read from the layers themselves
and checked against the formulas.

Needs: pip install torch==2.13.0
"""

# %%
import torch

# (name, input channels, input size, output channels, kernel, stride, padding)
layers = [
    ("digits, layer 1", 1, 8, 16, 3, 1, 1),
    ("MNIST-sized, layer 1", 1, 28, 32, 5, 1, 2),
    ("AlexNet conv1", 3, 227, 96, 11, 4, 0),
    ("VGG-style", 64, 224, 64, 3, 1, 1),
]

rows = []
weight_shapes = {}
for name, c_in, n, c_out, k, s, p in layers:
    conv = torch.nn.Conv2d(c_in, c_out, k, stride=s, padding=p)
    weight_shapes[name] = tuple(conv.weight.shape)  # (C_out, C_in, kH, kW)
    y = conv(torch.empty(0, c_in, n, n))  # an empty batch: we only need the output's shape
    in_features, out_features = c_in * n * n, y.shape[1:].numel()
    # "meta" tensors have shapes but no storage: even a dense layer with 10^13 weights fits
    dense = torch.nn.Linear(in_features, out_features, device="meta")

    conv_params = sum(w.numel() for w in conv.parameters())
    dense_params = sum(w.numel() for w in dense.parameters())
    # conv: one k x k kernel per (output, input) channel pair, plus one bias per output channel
    assert conv_params == c_out * c_in * k * k + c_out
    # dense: one weight per (output, input) value pair, plus one bias per output value
    assert dense_params == out_features * in_features + out_features
    rows.append((name, (c_in, n, n), tuple(y.shape[1:]), k, s, conv_params, dense_params))

# %%
# The table as Markdown, for the page
parameter_table = (
    "| layer (kernel, stride) | input | output | conv | dense | dense / conv |\n"
    "|---|---|---|--:|--:|--:|\n"
)
for name, shape_in, shape_out, k, s, conv_params, dense_params in rows:
    shapes = ["x".join(str(n) for n in shape) for shape in (shape_in, shape_out)]
    parameter_table += (
        f"| {name} ({k}x{k}, {s}) | {shapes[0]} | {shapes[1]} | {conv_params:,} "
        f"| {dense_params:,} | {dense_params / conv_params:,.0f} |\n"
    )
print(parameter_table)

# AlexNet's first layer in this site's words: one filter per output channel, each a stack of
# one 2-D kernel per input channel
alexnet_filters, alexnet_in_channels, alexnet_kernel_size, _ = weight_shapes["AlexNet conv1"]
alexnet_kernels = alexnet_filters * alexnet_in_channels
alexnet_input_size, alexnet_stride = layers[2][2], layers[2][5]
alexnet_conv1_params = rows[2][5]
alexnet_dense_params = rows[2][6]
alexnet_dense_gigabytes = alexnet_dense_params * 4 / 1e9  # float32
