"""The two worked examples of the backprop chapter (CS231n), as tests."""
import numpy as np
import pytest

import nnkit


def test_add_mul_circuit():
    """f(x, y, z) = (x + y) z at (-2, 5, -4): df/dx = df/dy = z = -4, df/dz = x + y = 3."""
    x, y, z = (nnkit.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    q = x + y
    f = q * z
    f.backward()
    assert f.item() == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)
    assert q.grad == -4.0


def test_sigmoid_neuron():
    """f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) at w = (2, -3, -3), x = (-1, -2)."""
    w = [nnkit.tensor(v, requires_grad=True) for v in (2.0, -3.0, -3.0)]
    x = [nnkit.tensor(v, requires_grad=True) for v in (-1.0, -2.0)]
    f = 1 / (1 + nnkit.exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))
    f.backward()
    assert f.item() == pytest.approx(0.7311, abs=1e-4)
    np.testing.assert_allclose([t.grad for t in w], [-0.197, -0.393, 0.197], atol=1e-3)
    np.testing.assert_allclose([t.grad for t in x], [0.393, -0.590], atol=1e-3)


def test_sigmoid_neuron_vectorised_matches():
    """Same neuron with vectors and the sigmoid op: sigma'(z) = sigma(z)(1 - sigma(z)) = 0.197."""
    w = nnkit.tensor([2.0, -3.0], requires_grad=True)
    b = nnkit.tensor(-3.0, requires_grad=True)
    x = nnkit.tensor([-1.0, -2.0], requires_grad=True)
    f = (w @ x + b).sigmoid()
    f.backward()
    np.testing.assert_allclose(w.grad, [-0.197, -0.393], atol=1e-3)
    np.testing.assert_allclose(x.grad, [0.393, -0.590], atol=1e-3)
    assert b.grad == pytest.approx(0.197, abs=1e-3)
