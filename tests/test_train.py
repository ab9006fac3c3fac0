"""Training smoke tests (seeded, a few seconds each): XOR, MLP and CNN on the shipped digits.
No wall-clock asserts: speed is measured by benchmarks/bench.py, side by side."""

import numpy as np

import nnkit
from nnkit import nn, optim
from nnkit.data import DataLoader, TensorDataset, load_digits, logic_gate
from nnkit.train import History, accuracy, evaluate, fit


def test_xor_reaches_100_percent():
    nnkit.manual_seed(0)
    X, y = logic_gate("xor")
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(200):
        opt.zero_grad()
        loss = loss_fn(model(nnkit.tensor(X)), y)
        loss.backward()
        opt.step()
    assert accuracy(model(nnkit.tensor(X)), y) == 1.0
    assert loss.item() < 0.05


def test_mlp_digits_at_least_95_percent():
    nnkit.manual_seed(0)
    Xtr, ytr, Xte, yte = load_digits(return_split=True)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    h = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2),
            DataLoader(TensorDataset(Xtr, ytr), 64, shuffle=True, seed=0), epochs=15,
            val_loader=DataLoader(TensorDataset(Xte, yte), 512), progress=False)
    assert h["val_acc"][-1] >= 0.95, h
    assert len(h["loss"]) == 15 and h["loss"][-1] < h["loss"][0]


def test_cnn_digits_at_least_97_percent():
    nnkit.manual_seed(0)
    Xtr, ytr, Xte, yte = load_digits(flatten=False, return_split=True)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 2 * 2, 10))
    h = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3),
            DataLoader(TensorDataset(Xtr, ytr), 32, shuffle=True, seed=0), epochs=8,
            val_loader=DataLoader(TensorDataset(Xte, yte), 512), progress=False)
    assert h["val_acc"][-1] >= 0.97, h


def test_rnn_learns_sine_next_step():
    from nnkit.data import sine_sequences
    nnkit.manual_seed(0)
    X, Y = sine_sequences(64, 30, seed=0, batch_first=True)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(1, 16, batch_first=True)
            self.head = nn.Linear(16, 1)

        def forward(self, x):
            return self.head(self.rnn(x)[0])

    net = Net()
    opt = optim.Adam(net.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = nn.MSELoss()(net(nnkit.tensor(X)), nnkit.tensor(Y))
        loss.backward()
        opt.step()
        first = first or loss.item()
    assert loss.item() < 0.1 * first


def test_history_and_evaluate():
    h = History()
    h.log(1, loss=1.0, acc=0.5)
    h.log(2, loss=0.5, acc=0.75, val_loss=None)
    assert h["loss"] == [1.0, 0.5] and "val_loss" not in h and h.last("acc") == 0.75
    import matplotlib
    matplotlib.use("Agg")
    fig = h.plot()
    assert len(fig.axes) == 2
    model = nn.Linear(2, 2)
    X, y = logic_gate("and")
    loss, acc = evaluate(model, nn.CrossEntropyLoss(), DataLoader(TensorDataset(X, y), 2))
    assert np.isfinite(loss) and 0 <= acc <= 1 and model.training
