"""Where the weights of a CNN are: listing every trainable tensor of a small network shows that,
apart from the final linear layer, they are the kernels and biases of its convolution layers.
There is no separate set of weights connecting one layer's feature maps to the next layer.

Needs: pip install torch==2.13.0
"""

# %%
import torch

torch.manual_seed(0)

model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 8, kernel_size=3, padding=1),  # 8 filters looking at the image
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(8, 16, kernel_size=3, padding=1),  # 16 filters looking at the 8 maps
    torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1),  # one average per map
    torch.nn.Flatten(),
    torch.nn.Linear(16, 10),  # class scores
)

# %% [markdown]
# ReLU, pooling and flattening have no parameters. The connections from the 8 feature maps of
# the first layer to the 16 of the second are the second layer's kernels: its weight holds one
# 3x3 kernel per (output map, input map) pair.

# %%
for name, p in model.named_parameters():
    print(f"{name:9s} {tuple(p.shape)!s:16s} {p.numel():5d} numbers")

trainable = [name for name, _ in model.named_parameters()]
assert trainable == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"]
assert model[3].weight.shape == (16, 8, 3, 3)  # connects 8 maps to 16 maps

conv_parameters = sum(p.numel() for m in (model[0], model[3]) for p in m.parameters())
total_parameters = sum(p.numel() for p in model.parameters())
print(f"{conv_parameters} of the {total_parameters} parameters are conv kernels and biases")
