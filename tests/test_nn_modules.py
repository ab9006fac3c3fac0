"""nnkit.nn modules: gradient checks wrt input and every parameter (float64), shapes, PyTorch
names, Module API, error messages."""
import numpy as np
import pytest

import nnkit
from nnkit import gradcheck, nn

rng = np.random.default_rng(1)


def check_module(m, x, *extra):
    """gradcheck of m(x) wrt x and every parameter (module cast to float64)."""
    m.double()
    owners = [(mod, name) for mod in m.modules() for name, p in mod._parameters.items() if p is not None]
    params = [mod._parameters[name] for mod, name in owners]

    def fn(xx, *ps):
        saved = [mod._parameters[name] for mod, name in owners]
        for (mod, name), p in zip(owners, ps):
            mod._parameters[name] = p
        try:
            out = m(xx, *extra)
        finally:
            for (mod, name), p in zip(owners, saved):
                mod._parameters[name] = p
        if isinstance(out, tuple):                       # (output, h_n) / (output, (h_n, c_n))
            flat = [out[0]] + (list(out[1]) if isinstance(out[1], tuple) else [out[1]])
            return sum(((o * o).sum() for o in flat[1:]), flat[0].sum() * 0 + (flat[0] * flat[0]).sum())
        return out
    xt = nnkit.Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    ps = [nnkit.Tensor(p.data.copy(), requires_grad=True) for p in params]
    assert gradcheck(fn, xt, *ps, atol=1e-6, rtol=1e-4)


MODULES = [
    (lambda: nn.Linear(4, 3), (5, 4)),
    (lambda: nn.Linear(4, 3, bias=False), (2, 5, 4)),
    (lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5)),
    (lambda: nn.Conv2d(2, 2, (2, 3), stride=(2, 1)), (1, 2, 5, 6)),
    (lambda: nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 3)),
    (lambda: nn.LayerNorm(4), (3, 4)),
    (lambda: nn.PReLU(3), (4, 3)),
    (lambda: nn.Maxout(4, 3, pool_size=2), (5, 4)),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Sigmoid()), (5, 3)),
    (lambda: nn.Sequential(nn.ELU(), nn.LeakyReLU(0.2), nn.ReLU(), nn.Softmax(dim=1)), (4, 3)),
    (lambda: nn.Sequential(nn.MaxPool2d(2), nn.Flatten()), (2, 1, 4, 4)),
    (lambda: nn.AvgPool2d(2, stride=1), (2, 1, 3, 3)),
    (lambda: nn.RNNCell(3, 4), (2, 3)),
    (lambda: nn.GRUCell(3, 4), (2, 3)),
    (lambda: nn.RNN(3, 4, num_layers=2), (5, 2, 3)),
    (lambda: nn.RNN(3, 4, nonlinearity="relu", batch_first=True), (2, 5, 3)),
    (lambda: nn.LSTM(3, 4, num_layers=2), (4, 2, 3)),
    (lambda: nn.GRU(3, 4, batch_first=True), (2, 4, 3)),
]


@pytest.mark.parametrize("make,shape", MODULES)
def test_module_gradcheck(make, shape):
    nnkit.manual_seed(0)
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-2] = 0.3
    check_module(make(), x)


def test_lstm_cell_gradcheck():
    nnkit.manual_seed(0)
    m = nn.LSTMCell(3, 4).double()
    ps = list(m.parameters())
    def fn(x, *p):
        saved = dict(m._parameters)
        for (n, _), q in zip(list(m._parameters.items()), p):
            m._parameters[n] = q
        h, c = m(x)
        m._parameters.update(saved)
        return (h * h).sum() + (c * c).sum()
    assert gradcheck(fn, nnkit.Tensor(rng.standard_normal((2, 3)), requires_grad=True),
                     *[nnkit.Tensor(p.data.copy(), requires_grad=True) for p in ps])


def test_output_shapes():
    x = nnkit.randn(2, 3, 28, 28)
    assert nn.Conv2d(3, 8, 3)(x).shape == (2, 8, 26, 26)
    assert nn.Conv2d(3, 8, 5, stride=2, padding=2)(x).shape == (2, 8, 14, 14)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 14, 14)
    assert nn.MaxPool2d(3, stride=2, padding=1)(x).shape == (2, 3, 14, 14)
    assert nn.Flatten()(x).shape == (2, 3 * 28 * 28)
    out, h = nn.RNN(5, 7, num_layers=3)(nnkit.randn(10, 4, 5))
    assert out.shape == (10, 4, 7) and h.shape == (3, 4, 7)
    out, (h, c) = nn.LSTM(5, 7, batch_first=True)(nnkit.randn(4, 10, 5))
    assert out.shape == (4, 10, 7) and h.shape == (1, 4, 7) and c.shape == (1, 4, 7)
    out, h = nn.GRU(5, 7)(nnkit.randn(10, 5))                 # unbatched
    assert out.shape == (10, 7) and h.shape == (1, 7)
    assert nn.RNNCell(5, 7)(nnkit.randn(5)).shape == (7,)


def test_pytorch_parameter_names_and_shapes():
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert m[0].weight.shape == (3, 4)
    lstm = nn.LSTM(3, 5, num_layers=2)
    assert {n: p.shape for n, p in lstm.named_parameters()} == {
        "weight_ih_l0": (20, 3), "weight_hh_l0": (20, 5), "bias_ih_l0": (20,), "bias_hh_l0": (20,),
        "weight_ih_l1": (20, 5), "weight_hh_l1": (20, 5), "bias_ih_l1": (20,), "bias_hh_l1": (20,)}
    gru = nn.GRUCell(3, 5)
    assert [n for n, _ in gru.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert gru.weight_ih.shape == (15, 3)
    assert nn.Conv2d(3, 8, (3, 5)).weight.shape == (8, 3, 3, 5)
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


def test_rnn_init_range():
    k = 1 / np.sqrt(16)
    for p in nn.LSTM(8, 16).parameters():
        assert np.abs(p.data).max() <= k


def test_module_api():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 3)
            self.act = nn.Tanh()
            self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 1)])
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            x = self.act(self.fc1(x))
            for b in self.blocks:
                x = b(x)
            return self.drop(x)

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "fc1.weight", "fc1.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
    assert len(list(net.children())) == 4
    assert repr(net).startswith("Net(\n  (fc1): Linear(in_features=2, out_features=3, bias=True)")
    assert "(blocks): ModuleList(\n    (0): Linear" in repr(net)
    net.eval()
    assert not net.drop.training and not net.blocks[0].training
    x = nnkit.randn(4, 2)
    np.testing.assert_array_equal(net(x).data, net(x).data)       # dropout off in eval
    net.train()
    assert net.drop.training
    net(x).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    sd = net.state_dict()
    net2 = Net()
    net2.load_state_dict(sd)
    for (n, a), (_, b) in zip(net.named_parameters(), net2.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    sd["fc1.weight"] = nnkit.zeros(5, 5)
    with pytest.raises(ValueError, match="size mismatch for fc1.weight"):
        net2.load_state_dict(sd)
    with pytest.raises(KeyError, match="missing keys"):
        net2.load_state_dict({})


def test_shared_parameters_listed_once():
    lin = nn.Linear(2, 2)
    m = nn.Sequential(lin, lin)
    assert len(list(m.parameters())) == 2


def test_module_error_messages():
    with pytest.raises(ValueError, match=r"Conv2d: expected input with 3 channels \(weight shape \(8, 3, 3, 3\)\), "
                                         r"got input of shape \(2, 1, 28, 28\)"):
        nn.Conv2d(3, 8, 3)(nnkit.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\), got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="BatchNorm2d: expected input with 4 channels"):
        nn.BatchNorm2d(4)(nnkit.zeros(2, 3, 5, 5))
    with pytest.raises(ValueError, match="BatchNorm1d: expected 2-D or 3-D input"):
        nn.BatchNorm1d(4)(nnkit.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="cross_entropy: target 12 out of range for 10 classes"):
        nn.CrossEntropyLoss()(nnkit.zeros(2, 10), np.array([3, 12]))
    with pytest.raises(ValueError, match="feature size 3"):
        nn.LSTM(3, 4)(nnkit.zeros(5, 2, 4))
    with pytest.raises(ValueError, match="hidden state of shape"):
        nn.GRU(3, 4)(nnkit.zeros(5, 2, 3), nnkit.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="kernel size .* larger"):
        nn.MaxPool2d(4)(nnkit.zeros(1, 1, 3, 3))


def test_batchnorm_eval_uses_running_stats_and_float32():
    bn = nn.BatchNorm1d(2)
    x = nnkit.tensor((rng.standard_normal((8, 2)) * 3 + 5).astype(np.float32))
    for _ in range(50):
        bn(x)
    bn.eval()
    y = bn(x)
    assert y.dtype == np.float32
    assert abs(float(y.data.mean())) < 0.1


def test_step_and_maxout_not_in_pytorch_but_work():
    y = nn.Step()(nnkit.tensor([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(y.data, [0, 1, 1])
    assert nn.Maxout(4, 3, pool_size=5)(nnkit.randn(2, 4)).shape == (2, 3)


def test_losses_modules_reduction():
    x, t = nnkit.randn(4, 3), np.array([0, 1, 2, 1])
    assert nn.CrossEntropyLoss(reduction="none")(x, t).shape == (4,)
    assert nn.NLLLoss(reduction="sum")(x.log_softmax(1), t).shape == ()
    assert nn.MSELoss(reduction="none")(x, x.data).shape == (4, 3)
    assert nn.L1Loss()(x, x.data).item() == 0
    assert nn.BCEWithLogitsLoss()(x, np.ones((4, 3), np.float32)).shape == ()
    assert nn.BCELoss()(x.sigmoid(), np.ones((4, 3), np.float32)).shape == ()
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
