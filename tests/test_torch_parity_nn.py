"""nnkit.nn / nnkit.optim against PyTorch CPU (skipped when torch is not installed)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

import nnkit  # noqa: E402
from nnkit import nn, optim  # noqa: E402
from nnkit.nn import functional as F  # noqa: E402
from torch_pairs import close, float64_default, pair  # noqa: E402,F401  (the fixture is autouse)

def t2n(t):
    return t.detach().numpy()


def backward_both(out_n, out_t, seed=0):
    g = np.random.default_rng(seed).standard_normal(out_n.shape)
    (out_n * nnkit.Tensor(g)).sum().backward()
    (out_t * torch.tensor(g)).sum().backward()


rng = np.random.default_rng(0)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), (2, 0))])
def test_conv2d(stride, padding):
    x, xt = pair(rng.standard_normal((2, 3, 7, 8)))
    w, wt = pair(rng.standard_normal((4, 3, 3, 2)))
    b, bt = pair(rng.standard_normal(4))
    y, yt = F.conv2d(x, w, b, stride, padding), TF.conv2d(xt, wt, bt, stride, padding)
    close(y, yt)
    backward_both(y, yt)
    for a, at in ((x, xt), (w, wt), (b, bt)):
        close(a.grad, at.grad)


@pytest.mark.parametrize("k,s,p", [(2, None, 0), (3, 2, 1), ((3, 2), (1, 2), (1, 0)), (3, 1, 0)])
def test_pools(k, s, p):
    x, xt = pair(rng.standard_normal((2, 3, 7, 6)))
    for fn, tfn in ((F.max_pool2d, TF.max_pool2d), (F.avg_pool2d, TF.avg_pool2d)):
        x.grad = None
        xt.grad = None
        y, yt = fn(x, k, s, p), tfn(xt, k, s, p)
        close(y, yt)
        backward_both(y, yt)
        close(x.grad, xt.grad)


def test_avg_pool_count_include_pad_false():
    x, xt = pair(rng.standard_normal((1, 2, 5, 5)))
    y = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
    yt = TF.avg_pool2d(xt, 3, 2, 1, count_include_pad=False)
    close(y, yt)
    backward_both(y, yt)
    close(x.grad, xt.grad)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "relu", "sigmoid", "tanh"])
def test_activations(name):
    x, xt = pair(rng.standard_normal((4, 5)) * 3)
    y, yt = getattr(F, name)(x), getattr(TF, name)(xt) if name != "sigmoid" else torch.sigmoid(xt)
    close(y, yt)
    backward_both(y, yt)
    close(x.grad, xt.grad)


def test_prelu():
    x, xt = pair(rng.standard_normal((4, 3, 2)))
    a, at = pair([0.1, 0.2, 0.3])
    y, yt = F.prelu(x, a), TF.prelu(xt, at)
    close(y, yt)
    backward_both(y, yt)
    close(x.grad, xt.grad)
    close(a.grad, at.grad)


def test_softmax_log_softmax():
    x, xt = pair(rng.standard_normal((3, 4, 5)))
    close(F.softmax(x, dim=1), TF.softmax(xt, dim=1))
    close(F.log_softmax(x, dim=-1), TF.log_softmax(xt, dim=-1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kw", [{}, {"weight": True}, {"ignore_index": 1}, {"label_smoothing": 0.2},
                                {"weight": True, "label_smoothing": 0.1, "ignore_index": 0}])
def test_cross_entropy(reduction, kw):
    x, xt = pair(rng.standard_normal((6, 4)) * 4)
    tgt = np.array([0, 1, 3, 2, 1, 1])
    kw = dict(kw)
    kwt = dict(kw)
    if kw.pop("weight", None):
        wv = np.array([0.5, 1.0, 2.0, 1.5])
        kw["weight"], kwt["weight"] = nnkit.Tensor(wv), torch.tensor(wv)
    y = F.cross_entropy(x, tgt, reduction=reduction, **kw)
    yt = TF.cross_entropy(xt, torch.tensor(tgt), reduction=reduction, **kwt)
    close(y, yt)
    backward_both(y, yt)
    close(x.grad, xt.grad)


def test_cross_entropy_spatial_and_probabilities():
    x, xt = pair(rng.standard_normal((2, 3, 4, 5)))
    tgt = rng.integers(0, 3, (2, 4, 5))
    y, yt = F.cross_entropy(x, tgt), TF.cross_entropy(xt, torch.tensor(tgt))
    close(y, yt)
    backward_both(y, yt)
    close(x.grad, xt.grad)
    x, xt = pair(rng.standard_normal((5, 3)))
    p = rng.dirichlet(np.ones(3), size=5)
    y = F.cross_entropy(x, p, label_smoothing=0.1)
    yt = TF.cross_entropy(xt, torch.tensor(p), label_smoothing=0.1)
    close(y, yt)
    backward_both(y, yt)
    close(x.grad, xt.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss(reduction):
    x, xt = pair(np.log(rng.dirichlet(np.ones(5), size=7)))
    tgt = rng.integers(0, 5, 7)
    wv = rng.uniform(0.5, 2, 5)
    y = F.nll_loss(x, tgt, weight=nnkit.Tensor(wv), ignore_index=2, reduction=reduction)
    yt = TF.nll_loss(xt, torch.tensor(tgt), weight=torch.tensor(wv), ignore_index=2, reduction=reduction)
    close(y, yt)
    backward_both(y, yt)
    close(x.grad, xt.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_and_binary_losses(reduction):
    x, xt = pair(rng.standard_normal((4, 3)))
    y, yt = pair(rng.standard_normal((4, 3)))
    for fn, tfn in ((F.mse_loss, TF.mse_loss), (F.l1_loss, TF.l1_loss)):
        for a in (x, xt, y, yt):
            a.grad = None
        o, ot = fn(x, y, reduction=reduction), tfn(xt, yt, reduction=reduction)
        close(o, ot)
        backward_both(o, ot)
        close(x.grad, xt.grad)
        close(y.grad, yt.grad)
    z, zt = pair(rng.standard_normal((4, 3)) * 30)         # extreme logits too
    tgt = rng.integers(0, 2, (4, 3)).astype(np.float64)
    pw = np.array([1.0, 2.0, 0.5])
    o = F.binary_cross_entropy_with_logits(z, tgt, reduction=reduction, pos_weight=nnkit.Tensor(pw))
    ot = TF.binary_cross_entropy_with_logits(zt, torch.tensor(tgt), reduction=reduction, pos_weight=torch.tensor(pw))
    close(o, ot)
    backward_both(o, ot)
    close(z.grad, zt.grad)
    p, pt = pair(rng.uniform(0.01, 0.99, (4, 3)))
    o = F.binary_cross_entropy(p, tgt, reduction=reduction)
    ot = TF.binary_cross_entropy(pt, torch.tensor(tgt), reduction=reduction)
    close(o, ot)
    backward_both(o, ot)
    close(p.grad, pt.grad, rtol=1e-7)


def test_bce_clamps_like_torch():
    p = np.array([0.0, 1.0, 0.5])
    tgt = np.array([1.0, 0.0, 1.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        o = F.binary_cross_entropy(nnkit.Tensor(p), tgt, reduction="none")
    close(o, TF.binary_cross_entropy(torch.tensor(p), torch.tensor(tgt), reduction="none"))


def _copy_params(m, mt):
    names = dict(mt.named_parameters())
    for n, p in m.named_parameters():
        p.data = t2n(names[n]).copy()


def _check_module(m, mt, x, *extra):
    m.double()
    _copy_params(m, mt)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in mt.named_parameters()]
    xn, xt = pair(x)
    y, yt = m(xn, *extra), mt(xt, *extra)
    if isinstance(y, tuple):
        y, yt = y[0], yt[0]
    close(y, yt, rtol=1e-8, atol=1e-10)
    backward_both(y, yt)
    close(xn.grad, xt.grad, rtol=1e-8, atol=1e-10)
    tp = dict(mt.named_parameters())
    for n, p in m.named_parameters():
        close(p.grad, tp[n].grad, rtol=1e-8, atol=1e-10)


def test_linear_conv_modules():
    _check_module(nn.Linear(5, 3), torch.nn.Linear(5, 3), rng.standard_normal((4, 5)))
    _check_module(nn.Linear(5, 3), torch.nn.Linear(5, 3), rng.standard_normal((2, 4, 5)))
    _check_module(nn.Conv2d(2, 3, 3, stride=2, padding=1), torch.nn.Conv2d(2, 3, 3, stride=2, padding=1),
                  rng.standard_normal((2, 2, 6, 5)))


def test_batchnorm_running_stats():
    for m, mt, shape in ((nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3), (6, 3)),
                         (nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3), (6, 3, 4)),
                         (nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3), (4, 3, 2, 5))):
        m.double()
        for step in range(3):
            x = rng.standard_normal(shape) * 2 + 1
            _check_module(m, mt, x)
            mt.zero_grad()
            m.zero_grad()
        close(m.running_mean.data, mt.running_mean, rtol=1e-8)
        close(m.running_var.data, mt.running_var, rtol=1e-8)
        assert int(m.num_batches_tracked.data) == int(mt.num_batches_tracked)
        m.eval()
        mt.eval()
        _check_module(m, mt, rng.standard_normal(shape))
        assert list(m.state_dict()) == list(mt.state_dict())


def test_layernorm():
    m, mt = nn.LayerNorm((4, 5)), torch.nn.LayerNorm((4, 5))
    with torch.no_grad():
        mt.weight.normal_()
        mt.bias.normal_()
    _check_module(m, mt, rng.standard_normal((3, 4, 5)))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent(cls, batch_first):
    m = getattr(nn, cls)(3, 4, num_layers=2, batch_first=batch_first)
    mt = getattr(torch.nn, cls)(3, 4, num_layers=2, batch_first=batch_first)
    m.double()
    _copy_params(m, mt)
    x = rng.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    xn, xt = pair(x)
    h0 = rng.standard_normal((2, 2, 4))
    hn_, ht_ = pair(h0)
    if cls == "LSTM":
        cn_, ct_ = pair(rng.standard_normal((2, 2, 4)))
        (y, (hn, cn)), (yt, (hnt, cnt)) = m(xn, (hn_, cn_)), mt(xt, (ht_, ct_))
        close(cn, cnt, rtol=1e-8)
        loss = (y * y).sum() + (hn * 3).sum() + (cn * cn).sum()
        losst = (yt * yt).sum() + (hnt * 3).sum() + (cnt * cnt).sum()
    else:
        (y, hn), (yt, hnt) = m(xn, hn_), mt(xt, ht_)
        loss, losst = (y * y).sum() + (hn * 3).sum(), (yt * yt).sum() + (hnt * 3).sum()
    close(y, yt, rtol=1e-8)
    close(hn, hnt, rtol=1e-8)
    loss.backward()
    losst.backward()
    close(xn.grad, xt.grad, rtol=1e-7, atol=1e-10)
    close(hn_.grad, ht_.grad, rtol=1e-7, atol=1e-10)
    if cls == "LSTM":
        close(cn_.grad, ct_.grad, rtol=1e-7, atol=1e-10)
    tp = dict(mt.named_parameters())
    for n, p in m.named_parameters():
        close(p.grad, tp[n].grad, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(cls):
    m, mt = getattr(nn, cls)(3, 4), getattr(torch.nn, cls)(3, 4)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in mt.named_parameters()]
    m.double()
    _copy_params(m, mt)
    xn, xt = pair(rng.standard_normal((2, 3)))
    y, yt = m(xn), mt(xt)
    if cls == "LSTMCell":
        close(y[1], yt[1], rtol=1e-8)
        y, yt = y[0], yt[0]
    close(y, yt, rtol=1e-8)
    backward_both(y, yt)
    close(xn.grad, xt.grad, rtol=1e-8, atol=1e-12)


OPTIMS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.8, dampening=0.3)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.5)),
]


@pytest.mark.parametrize("name,kw", OPTIMS)
def test_optimizers_match_torch(name, kw):
    p0 = rng.standard_normal((3, 4))
    p = nn.Parameter(p0.copy())
    pt = torch.tensor(p0.copy(), requires_grad=True)
    opt = getattr(optim, name)([p], **kw)
    optt = getattr(torch.optim, name)([pt], **kw)
    for k in range(6):
        g = rng.standard_normal((3, 4))
        p.grad = g.copy()
        pt.grad = torch.tensor(g.copy())
        opt.step()
        optt.step()
        close(p.data, pt, rtol=1e-10, atol=1e-12)


def test_optimizer_defaults_match_torch():
    import inspect
    for name in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW"):
        mine = inspect.signature(getattr(optim, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        for arg, prm in mine.items():
            if arg in theirs and arg != "params" and theirs[arg].default is not inspect.Parameter.empty:
                assert prm.default == theirs[arg].default, (name, arg)


def test_step_lr_matches_torch():
    p = nn.Parameter(np.zeros(2))
    pt = torch.zeros(2, requires_grad=True)
    opt, optt = optim.SGD([p], lr=1.0), torch.optim.SGD([pt], lr=1.0)
    s = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    st = torch.optim.lr_scheduler.StepLR(optt, step_size=3, gamma=0.5)
    for _ in range(10):
        opt.step()
        optt.step()
        s.step()
        st.step()
        assert s.get_last_lr() == pytest.approx(st.get_last_lr())


def test_linear_init_ranges_match_torch_formula():
    nnkit.manual_seed(0)
    m = nn.Linear(100, 50)
    b = 1 / np.sqrt(100)
    assert np.abs(m.weight.data).max() <= b and np.abs(m.weight.data).max() > 0.9 * b
    assert np.abs(m.bias.data).max() <= b
    c = nn.Conv2d(3, 8, 5)
    b = 1 / np.sqrt(3 * 25)
    assert np.abs(c.weight.data).max() <= b and np.abs(c.bias.data).max() <= b


def test_max_pool_ties_match_torch():
    base = np.array([[1.0, 5.0, 0.0, 0.0], [5.0, 0.0, 0.0, 0.0], [2.0, 2.0, 3.0, 1.0], [2.0, 2.0, 1.0, 3.0]])
    x = np.stack([base, base.T, np.zeros((4, 4))])[None]          # (1, 3, 4, 4), many ties
    for k, s in ((2, 2), (2, 1), (3, 1)):
        xn, xt = pair(x)
        y, yt = F.max_pool2d(xn, k, s), TF.max_pool2d(xt, k, s)
        close(y, yt)
        backward_both(y, yt)
        close(xn.grad, xt.grad)


def test_max_pool_odd_size_and_3d_match_torch():
    xn, xt = pair(rng.standard_normal((2, 5, 7)))
    y, yt = F.max_pool2d(xn, 2), TF.max_pool2d(xt, 2)
    close(y, yt)
    backward_both(y, yt)
    close(xn.grad, xt.grad)
