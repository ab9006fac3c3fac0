"""draw_graph renders the seed graphs with forward values and backward gradients."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Ellipse, FancyBboxPatch

import nnkit
from nnkit.viz import draw_graph


def texts(fig):
    return [(t.get_text(), matplotlib.colors.to_hex(t.get_color())) for t in fig.axes[0].texts]


def leaf(v, name):
    t = nnkit.tensor(v, requires_grad=True)
    t.label = name
    return t


def xyz_graph():
    x, y, z = leaf(-2.0, "x"), leaf(5.0, "y"), leaf(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def test_xyz_graph_values_and_grads():
    f = xyz_graph()
    f.backward(retain_graph=True)
    fig = draw_graph(f)
    tx = texts(fig)
    green, red = "#1a7f37", "#c0392b"
    for s in ("x", "y", "z", "q", "f", "+", "×"):
        assert (s, "#000000") in tx or any(t == s for t, _ in tx), s
    assert {("-2", green), ("5", green), ("-4", green), ("3", green), ("-12", green)} <= set(tx)
    assert {("-4", red), ("3", red), ("1", red)} <= set(tx)
    assert [t for t, c in tx if c == red].count("-4") == 3          # x, y and q
    ax = fig.axes[0]
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == 5   # tensors
    assert sum(isinstance(p, Ellipse) for p in ax.patches) == 2          # ops
    plt.close(fig)


def test_graph_before_backward_shows_values_only():
    f = xyz_graph()
    fig = draw_graph(f)
    tx = texts(fig)
    assert ("-12", "#1a7f37") in tx and not any(c == "#c0392b" for _, c in tx)
    plt.close(fig)


def test_sigmoid_neuron_graph():
    w0, x0, w1, x1, w2 = leaf(2.0, "w0"), leaf(-1.0, "x0"), leaf(-3.0, "w1"), leaf(-2.0, "x1"), leaf(-3.0, "w2")
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.backward(retain_graph=True)
    fig = draw_graph(f, rankdir="TB")
    fig2 = draw_graph(f)
    tx = [t for t, _ in texts(fig2)]
    for s in ("0.731", "-0.197", "-0.393", "0.197", "0.393", "-0.59", "exp", "÷", "0.368", "1.368", "-0.534"):
        assert s in tx, s
    assert sum(isinstance(p, Ellipse) for p in fig2.axes[0].patches) == 8   # 2 mul, 3 add, neg, exp, div
    # no two tensor boxes overlap
    boxes = [p.get_bbox() for p in fig2.axes[0].patches if isinstance(p, FancyBboxPatch)]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    plt.close(fig)
    plt.close(fig2)


def test_array_values_shown_by_shape_and_type_error():
    a = nnkit.ones(3, 4, requires_grad=True)
    fig = draw_graph((a * 2).sum())
    assert "shape 3×4" in [t for t, _ in texts(fig)]
    plt.close(fig)
    with pytest.raises(TypeError, match="expects a Tensor"):
        draw_graph(3.0)
