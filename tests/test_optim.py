"""nnkit.optim: each optimizer follows its published update rule step by step (written out
here independently with NumPy), defaults, param groups, state_dict, schedulers."""
import numpy as np
import pytest

from nnkit import nn, optim

rng = np.random.default_rng(0)
GRADS = [rng.standard_normal(5) for _ in range(5)]
P0 = rng.standard_normal(5)


def run(opt_cls, **kw):
    p = nn.Parameter(P0.copy())
    opt = opt_cls([p], **kw)
    traj = []
    for g in GRADS:
        p.grad = g.copy()
        opt.step()
        traj.append(p.data.copy())
    return traj


def test_sgd_plain_and_lecture_momentum_form():
    lr, mu = 0.1, 0.9
    np.testing.assert_allclose(run(optim.SGD, lr=lr)[-1], P0 - lr * sum(GRADS))
    # lecture notes: v <- mu v - lr g; p <- p + v  (same trajectory as PyTorch's form)
    p, v = P0.copy(), np.zeros(5)
    ref = []
    for g in GRADS:
        v = mu * v - lr * g
        p = p + v
        ref.append(p.copy())
    np.testing.assert_allclose(run(optim.SGD, lr=lr, momentum=mu), ref, rtol=1e-12)


def test_sgd_nesterov_weight_decay_dampening():
    lr, mu, wd, tau = 0.05, 0.8, 0.1, 0.2
    p, b = P0.copy(), None
    ref = []
    for g in GRADS:
        g = g + wd * p
        b = g.copy() if b is None else mu * b + (1 - tau) * g
        p = p - lr * b
        ref.append(p.copy())
    np.testing.assert_allclose(run(optim.SGD, lr=lr, momentum=mu, weight_decay=wd, dampening=tau), ref)
    p, b, ref = P0.copy(), None, []
    for g in GRADS:
        b = g.copy() if b is None else mu * b + g
        p = p - lr * (g + mu * b)
        ref.append(p.copy())
    np.testing.assert_allclose(run(optim.SGD, lr=lr, momentum=mu, nesterov=True), ref)


def test_adagrad():
    p, G, ref = P0.copy(), np.zeros(5), []
    for g in GRADS:
        G = G + g * g
        p = p - 1e-2 * g / (np.sqrt(G) + 1e-10)
        ref.append(p.copy())
    np.testing.assert_allclose(run(optim.Adagrad), ref)


def test_rmsprop():
    p, v, ref = P0.copy(), np.zeros(5), []
    for g in GRADS:
        v = 0.99 * v + 0.01 * g * g
        p = p - 1e-2 * g / (np.sqrt(v) + 1e-8)
        ref.append(p.copy())
    np.testing.assert_allclose(run(optim.RMSprop), ref)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_adamw(decoupled):
    lr, b1, b2, eps, wd = 1e-3, 0.9, 0.999, 1e-8, 0.1
    p, m, v, ref = P0.copy(), np.zeros(5), np.zeros(5), []
    for t, g in enumerate(GRADS, 1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
        ref.append(p.copy())
    cls = optim.AdamW if decoupled else optim.Adam
    np.testing.assert_allclose(run(cls, weight_decay=wd), ref, rtol=1e-10)


def test_defaults_are_pytorchs():
    p = [nn.Parameter(np.zeros(2))]
    assert optim.SGD(p).defaults["lr"] == 1e-3
    a = optim.Adam(p).defaults
    assert (a["lr"], a["betas"], a["eps"], a["weight_decay"]) == (1e-3, (0.9, 0.999), 1e-8, 0)
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    r = optim.RMSprop(p).defaults
    assert (r["lr"], r["alpha"], r["eps"], r["momentum"], r["centered"]) == (1e-2, 0.99, 1e-8, 0, False)
    g = optim.Adagrad(p).defaults
    assert (g["lr"], g["lr_decay"], g["eps"], g["initial_accumulator_value"]) == (1e-2, 0, 1e-10, 0)


def test_param_groups_zero_grad_skip_none_and_float32():
    a = nn.Parameter(np.ones(3, dtype=np.float32))
    b = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1, momentum=0.9)
    a.grad = np.ones(3, dtype=np.float32)
    opt.step()                                  # b has no grad: skipped
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 1.0)
    assert a.data.dtype == np.float32 and opt.state[a]["momentum_buffer"].dtype == np.float32
    opt.zero_grad()
    assert a.grad is None
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD([a], lr=-1)


def test_state_dict_roundtrip():
    p = nn.Parameter(P0.copy())
    opt = optim.Adam([p], lr=0.01)
    for g in GRADS[:3]:
        p.grad = g.copy()
        opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["state"][0]["step"] == 3
    q = nn.Parameter(p.data.copy())
    opt2 = optim.Adam([q], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.01
    for o, x in ((opt, p), (opt2, q)):
        x.grad = GRADS[3].copy()
        o.step()
    np.testing.assert_allclose(p.data, q.data)


def test_schedulers():
    p = nn.Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=1.0)
    s = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(6):
        lrs.append(s.get_last_lr()[0])
        opt.step()
        s.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    opt = optim.SGD([p], lr=1.0)
    c = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    for _ in range(4):
        c.step()
    assert c.get_last_lr()[0] == pytest.approx(0.0)
    opt = optim.SGD([p], lr=2.0)
    e = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    e.step()
    assert opt.param_groups[0]["lr"] == 1.0
