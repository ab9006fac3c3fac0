"""Draw a computational graph with matplotlib (no graphviz needed).

Boxes are tensors: label, value (green, above) and gradient (red, below), as in the CS231n pictures.
Circles are ops. Columns go left to right by distance from the leaves.

    y.backward(retain_graph=True)   # keep the parent links so the graph can still be drawn
    nnkit.viz.draw_graph(y)
"""
import numpy as np

from .tensor import Tensor, topological_order

OP_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "**", "matmul": "@", "neg": "−x",
              "exp": "exp", "log": "log", "sqrt": "√", "abs": "|x|", "tanh": "tanh", "sigmoid": "σ",
              "relu": "relu", "clamp": "clamp", "sum": "Σ", "max": "max", "min": "min", "reshape": "reshape",
              "permute": "perm", "index": "[ ]", "cat": "cat", "stack": "stack", "where": "where",
              "softmax": "softmax", "log_softmax": "logsm", "cast": "cast"}

VALUE_COLOR, GRAD_COLOR, OP_COLOR = "#1a7f37", "#c0392b", "#dbe9f6"


def _fmt(a):
    """A number rounded to 3 decimals (trailing zeros dropped); an array by its shape (or values if tiny)."""
    a = np.asarray(a)
    if a.size == 1:
        v = float(a.reshape(()))
        if not np.isfinite(v):
            return str(v)
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.3g}"
        s = f"{v:.3f}".rstrip("0").rstrip(".")
        return "0" if s in ("-0", "") else s
    if a.size <= 3 and a.ndim == 1:
        return "[" + ", ".join(_fmt(x) for x in a) + "]"
    return "shape " + "×".join(map(str, a.shape))


def _build(root):
    """Tensors reachable from ``root``, parents first (in operand order, for the layout)."""
    return topological_order(root, lambda t: reversed(t._prev))


def _layout(order):
    """Column of every node (tensors and ops), then rows ordered by the mean row of their parents."""
    col = {}
    for t in order:                      # parents come first in ``order``
        if t._prev:
            col[("op", id(t))] = 1 + max(col[("t", id(p))] for p in t._prev)
            col[("t", id(t))] = col[("op", id(t))] + 1
        else:
            col[("t", id(t))] = 0
    # pull leaves right, next to the column that uses them (shorter edges, as in the CS231n figures)
    users = {}
    for t in order:
        for p in t._prev:
            users.setdefault(id(p), []).append(col[("op", id(t))])
    for t in order:
        if not t._prev and id(t) in users:
            col[("t", id(t))] = min(users[id(t)]) - 1
    columns = {}
    for t in order:
        columns.setdefault(col[("t", id(t))], []).append(("t", id(t)))
        if t._prev:
            columns.setdefault(col[("op", id(t))], []).append(("op", id(t)))
    parents, consumer = {}, {}
    for t in order:
        for j, p in enumerate(t._prev):
            consumer.setdefault(("t", id(p)), (j, [("t", id(q)) for q in t._prev]))
        if t._prev:
            parents[("op", id(t))] = [("t", id(p)) for p in t._prev]
            parents[("t", id(t))] = [("op", id(t))]
    row = {}
    for c in sorted(columns):            # one left-to-right sweep of the barycentre heuristic
        nodes = columns[c]
        key = {n: np.mean([row[p] for p in parents[n]]) for n in nodes if n in parents}
        inner = dict(key)
        for i, n in enumerate(nodes):    # a leaf goes next to the other operand of its op, in operand order
            if n not in key:
                key[n] = _leaf_key(n, i, consumer, inner)
        nodes.sort(key=lambda n: key[n])
        # spread nodes so no two share a row; keep them near their parents
        used = []
        for n in nodes:
            r = key[n]
            while any(abs(r - u) < 1 for u in used):
                r += 1
            used.append(r)
            row[n] = r
    return col, row


def _leaf_key(n, i, consumer, key):
    if n not in consumer:
        return float(i)
    j, operands = consumer[n]
    others = [(k, key[m]) for k, m in enumerate(operands) if m in key]
    if not others:
        return float(i)
    k, r = others[0]
    return r + (0.5 if j > k else -0.5)


def draw_graph(tensor, show_grad=True, figsize=None, rankdir="LR"):
    """A matplotlib Figure of the graph that produced ``tensor``.

    Call it before backward (values only) or after ``backward(retain_graph=True)`` (values and
    gradients; without retain_graph the graph is freed and only the output remains to draw).
    ``rankdir="TB"`` draws top to bottom instead of left to right.

    Book: ch-03-graphs (eq-03-chain), ch-04-backprop-example.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch

    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph expects a Tensor, got {type(tensor).__name__}")
    order = _build(tensor)
    col, row = _layout(order)
    ncols = 1 + max(col.values())
    nrows = 1 + max(row.values()) - min(row.values())
    dx, dy = 1.5, 1.25                                     # inches between columns / rows
    top = max(row.values())

    def pos(node):          # LR: columns left to right, rows top down; TB: columns top down, rows left to right
        if rankdir == "LR":
            return col[node] * dx, (top - row[node]) * dy
        return row[node] * dx, -col[node] * dy

    w, h = (ncols * dx + 0.4, nrows * dy + 0.4) if rankdir == "LR" else (nrows * dx + 0.4, ncols * dy + 0.4)
    fig = plt.figure(figsize=figsize or (max(w, 2.5), max(h, 2)))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    xs, ys = zip(*(pos(n) for n in col))
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_aspect("equal")

    bw, bh, r = 1.2, 0.9, 0.32                            # box width/height, op circle radius
    for t in order:
        x, y = pos(("t", id(t)))
        face = "#ffffff" if t.requires_grad else "#f0f0f0"
        ax.add_patch(FancyBboxPatch((x - bw / 2, y - bh / 2), bw, bh, boxstyle="round,pad=0.02",
                                    fc=face, ec="#444444", lw=1))
        lines = []
        if t.label:
            lines.append((t.label, "#222222", "bold"))
        lines.append((_fmt(t.data), VALUE_COLOR, "normal"))
        if show_grad and t.grad is not None:
            g = _fmt(t.grad)
            if g.startswith("shape"):                     # an array: its norm says more than its shape
                g = f"‖grad‖ {np.linalg.norm(t.grad):.3g}"
            lines.append((g, GRAD_COLOR, "normal"))
        n = len(lines)
        for i, (s, c, wt) in enumerate(lines):
            ax.text(x, y + (n - 1) * 0.13 - i * 0.26, s, color=c, weight=wt, fontsize=9,
                    ha="center", va="center", gid="value" if c == VALUE_COLOR else None)
        if t._prev:
            ox, oy = pos(("op", id(t)))
            ax.add_patch(Ellipse((ox, oy), 2 * r, 2 * r, fc=OP_COLOR, ec="#2c5d8a", lw=1))
            sym = OP_SYMBOLS.get(t._op, t._op)
            ax.text(ox, oy, sym, ha="center", va="center", fontsize=10 if len(sym) <= 4 else 7)
            _arrow(ax, FancyArrowPatch, (ox, oy), (x, y), r, bw, bh, rankdir, from_op=True)
            for p in t._prev:
                _arrow(ax, FancyArrowPatch, pos(("t", id(p))), (ox, oy), r, bw, bh, rankdir, from_op=False)
    return fig


def _arrow(ax, FancyArrowPatch, src, dst, r, bw, bh, rankdir, from_op):
    """An arrow from the edge of the source shape to the edge of the destination shape."""
    (x0, y0), (x1, y1) = src, dst
    v = np.array([x1 - x0, y1 - y0])
    dist = np.hypot(*v) or 1.0
    u = v / dist

    def box_exit(u):  # distance from a box centre to its border along u
        return min(bw / 2 / (abs(u[0]) + 1e-9), bh / 2 / (abs(u[1]) + 1e-9))

    start = (x0, y0) + u * (r if from_op else box_exit(u))
    end = (x1, y1) - u * (box_exit(u) if from_op else r)
    ax.add_patch(FancyArrowPatch(tuple(start), tuple(end), arrowstyle="-|>", mutation_scale=10,
                                 color="#555555", lw=1, shrinkA=0, shrinkB=0))


from .diagrams import draw_diagram, draw_network  # noqa: E402, F401  (pictures of networks, nnkit/diagrams.py)
