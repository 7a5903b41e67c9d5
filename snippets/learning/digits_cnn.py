"""The small CNN, the data and the training loops shared by this chapter's digit snippets.

The data are scikit-learn's 8 x 8 handwritten digits (1,797 images, shipped with the package).
`train` trains one network. `train_together` trains several networks (one per random seed) at
the cost of about one: it computes them as a single network whose grouped convolutions keep
them apart; given one seed per network, each also draws its own mini-batches and dropout masks.
Run as a script, it checks the shapes and the parameter count of the network, and that training
networks together gives what training them one by one gives.

Needs: pip install scikit-learn==1.9.1 torch==2.13.0
"""

# %%
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn


def load_data(test_size=0.3, standardise=False):
    """Images as a tensor (N, 1, 8, 8), labels (N,); one fixed, stratified split.

    The ink is scaled to [0, 1]; with standardise=True it is then shifted and scaled so that the
    training images have mean 0 and standard deviation 1 (the test images get the same shift
    and scale), which lets gradient descent get going in fewer steps.
    """
    digits = load_digits()
    images = torch.tensor(digits.images / 16, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(digits.target)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=0, stratify=labels
    )
    if standardise:
        mean, sd = x_train.mean(), x_train.std()
        x_train, x_test = (x_train - mean) / sd, (x_test - mean) / sd
    return x_train, y_train, x_test, y_test


DROPOUT = 0.2  # the fraction of the classifier's input features zeroed at random in training
N_FEATURES = 16 * 2 * 2  # what the classifier sees: 16 feature maps of 2 x 2


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
        nn.Dropout(DROPOUT),
        nn.Linear(N_FEATURES, n_classes),
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


def _stack(models):
    """The parameters of several make_cnn networks as the parameters of one network: the
    convolution kernels one after the other (model i owns a block of output channels), the
    classifiers as a batch of matrices. Frozen parameters stay frozen."""
    params = {}
    for name, p in models[0].named_parameters():
        each = [dict(model.named_parameters())[name].detach() for model in models]
        if name.startswith("8."):  # the linear classifier: (n_models, 10, 64) and (n_models, 10)
            stacked = torch.stack(each)
        else:  # a convolution: (n_models * out_channels, in_channels, k, k) and its biases
            stacked = torch.cat(each)
            if stacked.dim() == 4:  # the memory layout the CPU convolutions are fastest with
                stacked = stacked.to(memory_format=torch.channels_last)
        params[name] = stacked.requires_grad_(p.requires_grad)  # a new tensor, a new leaf
    return params


def _together(params, x, n_models, dropout, training, generators=None):
    """The forward pass of n_models copies of make_cnn's network, with stacked parameters.

    x is one batch for all models (B, 1, 8, 8) or one batch per model (n_models, B, 1, 8, 8).
    `generators` (one per model) draw the dropout masks; without them, torch's global one does.
    Returns the class scores (n_models, B, n_classes).
    """
    if x.dim() == 4:  # the same images for every model: one ordinary convolution
        h = F.conv2d(x, params["0.weight"], params["0.bias"], padding=2)
    else:  # each model its own images, in its own input channel
        x = x[:, :, 0].transpose(0, 1).contiguous(memory_format=torch.channels_last)
        h = F.conv2d(x, params["0.weight"], params["0.bias"], padding=2, groups=n_models)
    # ReLU then max-pooling, computed in the other order: the same numbers and the same
    # gradients (ReLU never changes which value is largest), with a quarter of the ReLU work
    h = F.relu(F.max_pool2d(h, 2))
    # groups=n_models: model i's second layer sees only model i's feature maps
    h = F.conv2d(h, params["3.weight"], params["3.bias"], padding=1, groups=n_models)
    h = F.relu(F.max_pool2d(h, 2))  # (B, n_models * 16, 2, 2)
    h = h.reshape(len(h), n_models, -1).transpose(0, 1)  # (n_models, B, 64): each model's Flatten
    if generators is None or not training or dropout == 0:
        h = F.dropout(h, dropout, training)
    else:  # model i's mask from its own generator: keep with probability 1 - p, scale up
        keep = torch.stack([torch.rand(h.shape[1:], generator=g) >= dropout for g in generators])
        h = h * keep / (1 - dropout)
    return torch.baddbmm(params["8.bias"].unsqueeze(1), h, params["8.weight"].transpose(1, 2))


def train_together(models, x, y, epochs=10, batch_size=64, lr=1e-2, seed=0):
    """train() for several networks made by make_cnn (same n_filters) at once.

    Each network keeps its own weights, dropout masks and Adam state, and gets exactly the
    gradient of its own loss (the losses are summed, and each loss depends only on its own
    network's weights). With one integer `seed`, all of them see the same mini-batches in the
    same order; with a list of seeds, one per network, network i draws its own order of
    mini-batches and its own dropout masks from seeds[i]. x and y hold the same images for every
    network, (N, 1, 8, 8) and (N,), or one set per network, (n_models, N, 1, 8, 8) and
    (n_models, N). The trained weights are written back into `models`; frozen parameters
    (requires_grad=False) are left alone. Returns the loss of each epoch, (epochs, n_models).
    """
    n_models = len(models)
    params = _stack(models)
    optimizer = torch.optim.Adam([p for p in params.values() if p.requires_grad], lr=lr)
    per_model = x.dim() == 5
    x = x if per_model else x.contiguous(memory_format=torch.channels_last)
    own_order = not isinstance(seed, int)  # one seed per network
    seeds = list(seed) if own_order else [seed]
    generators = [torch.Generator().manual_seed(s) for s in seeds]  # mini-batches (and masks)
    dropout_generators = generators if own_order else None
    n_examples = x.shape[1] if per_model else len(x)
    rows = torch.arange(n_models)[:, None]
    epoch_losses = []
    for _ in range(epochs):
        order = torch.stack([torch.randperm(n_examples, generator=g) for g in generators])
        total = torch.zeros(n_models)
        for start in range(0, n_examples, batch_size):
            batch = order[:, start : start + batch_size]  # (1 or n_models, B)
            if own_order:  # network i's own mini-batch: one batch per network
                pick = (rows, batch) if per_model else (batch,)
            else:
                pick = (slice(None), batch[0]) if per_model else (batch[0],)
            images, labels = x[pick], y[pick]
            scores = _together(params, images, n_models, models[0][-2].p, True, dropout_generators)
            labels = labels.expand(n_models, -1).flatten()
            losses = F.cross_entropy(scores.flatten(0, 1), labels, reduction="none")
            losses = losses.view(n_models, -1).mean(1)
            optimizer.zero_grad()
            losses.sum().backward()
            optimizer.step()
            total += losses.detach() * batch.shape[-1]
        epoch_losses.append(total / n_examples)
    with torch.no_grad():  # write each model's block of the stacked parameters back
        for name, stacked in params.items():
            blocks = stacked if name.startswith("8.") else stacked.chunk(n_models)
            for model, block in zip(models, blocks, strict=True):
                model.get_parameter(name).copy_(block)
    for model in models:
        model.eval()
    return torch.stack(epoch_losses)


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

    # Three networks trained together end where three trainings one by one end (with dropout
    # off, since the two draw their dropout masks differently), up to float rounding
    import copy

    together = []
    for seed in range(3):
        torch.manual_seed(seed)
        together.append(make_cnn(n_filters=4))
        together[-1][-2].p = 0.0  # no dropout
    one_by_one = copy.deepcopy(together)
    train_together(together, x_train[:256], y_train[:256], epochs=2)
    for model in one_by_one:
        train(model, x_train[:256], y_train[:256], epochs=2)
    difference = max(
        (a - b).abs().max().item()
        for m1, m2 in zip(together, one_by_one, strict=True)
        for a, b in zip(m1.parameters(), m2.parameters(), strict=True)
    )
    print(f"largest difference between the two ways of training: {difference:.1e}")
    assert difference < 1e-4
