"""draw_network / draw_diagram: the picture has the units, edges and labels it was asked for."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Circle, FancyArrowPatch

from nnkit.viz import draw_diagram, draw_network


def parts(fig):
    ax = fig.axes[0]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    return circles, arrows, [t.get_text() for t in ax.texts]


def test_221_network_has_its_units_edges_and_weight_labels():
    labels = {(0, 0, 0): "$w_1$", (0, 1, 0): "$w_2$", (0, 0, 1): "$w_3$", (0, 1, 1): "$w_4$",
              (1, 0, 0): "$w_5$", (1, 1, 0): "$w_6$"}
    fig = draw_network([2, 2, 1], edge_labels=labels, layer_names=["in", "hidden", "out"])
    circles, arrows, texts = parts(fig)
    assert len(circles) == 5 and len(arrows) == 2 * 2 + 2 * 1
    assert {f"$w_{k}$" for k in range(1, 7)} <= set(texts)
    assert {"in", "hidden", "out", "$W^{(1)}$: 2×2", "$W^{(2)}$: 1×2"} <= set(texts)
    # each label sits on its own edge: w_2 goes from x_2 (lower input) up to h_1 (upper hidden unit)
    gids = {a.get_gid() for a in arrows}
    assert {"edge:u0_1->u1_0", "edge:u0_0->u1_1"} <= gids
    plt.close(fig)


def test_wide_layers_are_elided_and_their_width_is_written():
    fig = draw_network([3072, 100, 10], max_nodes=5, bias=True)
    circles, arrows, texts = parts(fig)
    units = [4, 4, 4]                      # 3 head units + the last one (the ellipsis between) per layer
    biases = 2
    assert len(circles) == sum(units) + biases
    assert len(arrows) == units[0] * units[1] + units[1] * units[2] + units[1] + units[2]
    assert "$\\vdots$" in texts and "3072 units" in texts and "$W^{(1)}$: 100×3072" in texts
    plt.close(fig)


def test_draw_diagram_boxes_circles_and_errors():
    fig = draw_diagram({"x": (0, 0, "$x$"), "f": {"xy": (2, 0), "label": "layer", "shape": "box"}},
                       [("x", "f", "in")])
    circles, arrows, texts = parts(fig)
    assert len(circles) == 1 and len(arrows) == 1 and {"$x$", "layer", "in"} <= set(texts)
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)    # white card: readable in light and dark themes
    plt.close(fig)
    with pytest.raises(KeyError, match="no node named 'g'"):
        draw_diagram({"x": (0, 0)}, [("x", "g")])
    with pytest.raises(ValueError, match="shape must be"):
        draw_diagram({"x": {"xy": (0, 0), "shape": "hexagon"}})
    with pytest.raises(ValueError, match="at least two layers"):
        draw_network([3])
    with pytest.raises(ValueError, match=r"edge_labels key \(0, 2, 0\)"):
        draw_network([2, 1], edge_labels={(0, 2, 0): "w"})
    with pytest.raises(ValueError, match="layer_names has 1 entries for 2 layers"):
        draw_network([2, 1], layer_names=["a"])


def test_bias_labels_radius_and_shape_labels():
    fig = draw_network([2, 2, 1], bias_labels={(0, 0): "$b_1$", (1, 0): "$b_3$"}, node_radius=0.45,
                       shape_labels=["first", "second"], node_labels={(1, 0): "NAND"})
    circles, arrows, texts = parts(fig)
    assert len(circles) == 5 + 2                                   # bias_labels switch the "+1" units on
    assert {c.get_radius() for c in circles} == {0.45}
    assert {"$b_1$", "$b_3$", "first", "second", "NAND"} <= set(texts)
    assert not any(t.startswith("$W^") for t in texts)
    labelled = {a.get_gid() for a in arrows} & {"edge:b0->u1_0", "edge:b1->u2_0"}
    assert len(labelled) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match=r"bias_labels key \(1, 1\)"):
        draw_network([2, 2, 1], bias_labels={(1, 1): "b"})
    with pytest.raises(ValueError, match="shape_labels has 1 entries for 2 weight matrices"):
        draw_network([2, 2, 1], shape_labels=["x"])
    with pytest.raises(ValueError, match="node_radius"):
        draw_network([2, 1], node_radius=1.5)
