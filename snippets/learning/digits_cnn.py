"""The small CNN, the data and the training loop shared by this chapter's digit snippets.

The data are scikit-learn's 8 x 8 handwritten digits (1,797 images, shipped with the package).
Run as a script, it checks the shapes and the parameter count of the network.
"""

# %%
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def load_data(test_size=0.3):
    """Images in [0, 1] as a tensor (N, 1, 8, 8), labels (N,); one fixed, stratified split."""
    digits = load_digits()
    images = torch.tensor(digits.images / 16, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(digits.target)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=0, stratify=labels
    )
    return x_train, y_train, x_test, y_test


def make_cnn(n_filters=8, n_classes=10):
    """Two conv layers and a linear classifier. The first layer has `n_filters` 5 x 5 kernels."""
    return nn.Sequential(
        nn.Conv2d(1, n_filters, kernel_size=5, padding=2),  # 8 x 8 -> 8 x 8
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> 4 x 4
        nn.Conv2d(n_filters, 16, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> 2 x 2
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(16 * 2 * 2, n_classes),
    )


def train(model, x, y, epochs=10, batch_size=64, lr=1e-2, seed=0):
    """Mini-batch training with Adam on the cross-entropy loss; returns the loss of each epoch.

    Only parameters with requires_grad=True are updated: frozen layers stay as they are.
    """
    generator = torch.Generator().manual_seed(seed)  # the order of the mini-batches
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    epoch_losses = []
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            loss = F.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        epoch_losses.append(total / len(x))
    model.eval()
    return epoch_losses


@torch.no_grad()
def accuracy(model, x, y):
    """Fraction of images whose highest-scoring class is the true label (model in eval mode)."""
    model.eval()
    return (model(x).argmax(dim=1) == y).float().mean().item()


# %% Shapes and the parameter count: C_out * C_in * kH * kW + C_out per conv layer
if __name__ == "__main__":
    x_train, y_train, x_test, y_test = load_data()
    model = make_cnn(n_filters=8)
    assert model(x_train[:5]).shape == (5, 10)
    n_parameters = sum(p.numel() for p in model.parameters())
    assert n_parameters == (8 * 1 * 5 * 5 + 8) + (16 * 8 * 3 * 3 + 16) + (64 * 10 + 10)
    print(f"{len(x_train)} training and {len(x_test)} test images; {n_parameters} parameters")
