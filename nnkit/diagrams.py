"""Pictures of networks: nodes and arrows with matplotlib (no graphviz, no system binary).

Two functions, one on top of the other:

- ``draw_diagram(nodes, edges)`` places labelled circles and boxes where you say and joins them with
  arrows; use it for block diagrams (an unrolled RNN, a residual block, a Transformer layer).
- ``draw_network(widths)`` lays out a fully connected network column by column (input on the left)
  and calls ``draw_diagram``; use it for every network a chapter computes by hand.

    nnkit.viz.draw_network([2, 2, 1], layer_names=["input", "hidden", "output"],
                           edge_labels={(0, 0, 0): "$w_1$", ...})

Both return a matplotlib Figure with a white background and dark ink, so it reads the same in the
book's light and dark themes. Node and edge labels may use matplotlib mathtext (``"$w_1$"``).
"""
from __future__ import annotations

import numpy as np

INK, EDGE, FILL = "#222222", "#555555", "#ffffff"
KIND_FILL = {"input": "#e8f1fb", "hidden": "#ffffff", "output": "#fdebd3", "bias": "#f0f0f0",
             "op": "#dbe9f6", "box": "#ffffff"}


def _node(spec) -> dict:
    """A node spec: ``(x, y)``, ``(x, y, label)`` or a dict with xy, label, shape, kind, fill, width."""
    if isinstance(spec, dict):
        if "xy" not in spec:
            raise ValueError(f"a node dict needs 'xy'; got keys {sorted(spec)}")
        node = dict(spec)
    elif isinstance(spec, (tuple, list)) and len(spec) in (2, 3):
        node = {"xy": tuple(spec[:2]), "label": spec[2] if len(spec) == 3 else ""}
    else:
        raise ValueError(f"a node is (x, y), (x, y, label) or a dict; got {spec!r}")
    node.setdefault("label", "")
    node.setdefault("shape", "circle")
    if node["shape"] not in ("circle", "box", "text"):
        raise ValueError(f"node shape must be 'circle', 'box' or 'text'; got {node['shape']!r}")
    node.setdefault("kind", "hidden" if node["shape"] == "circle" else "box")
    node.setdefault("fill", KIND_FILL.get(node["kind"], FILL))
    node.setdefault("radius", 0.3)
    node.setdefault("width", 1.6)
    node.setdefault("height", 0.6)
    node.setdefault("fontsize", 10)
    return node


def _edge(spec) -> dict:
    """An edge spec: ``(src, dst)``, ``(src, dst, label)`` or a dict with src, dst, label, pos, style."""
    if isinstance(spec, dict):
        edge = dict(spec)
    elif isinstance(spec, (tuple, list)) and len(spec) in (2, 3):
        edge = {"src": spec[0], "dst": spec[1], "label": spec[2] if len(spec) == 3 else ""}
    else:
        raise ValueError(f"an edge is (src, dst), (src, dst, label) or a dict; got {spec!r}")
    edge.setdefault("label", "")
    edge.setdefault("pos", 0.5)          # where along the edge the label sits, 0 = source, 1 = target
    edge.setdefault("style", "-|>")
    edge.setdefault("color", EDGE)
    edge.setdefault("rad", 0.0)          # curvature: 0 straight, >0 bends left
    edge.setdefault("fontsize", 9)
    return edge


def _border(node, u) -> float:
    """Distance from a node's centre to its border along the unit vector ``u``."""
    if node["shape"] == "circle":
        return node["radius"]
    if node["shape"] == "text":
        return 0.15
    w, h = node["width"] / 2, node["height"] / 2
    return min(w / (abs(u[0]) + 1e-9), h / (abs(u[1]) + 1e-9))


def _half_size(node) -> tuple[float, float]:
    """Half width and half height of a node as drawn (text: estimated from its characters)."""
    if node["shape"] == "circle":
        return node["radius"], node["radius"]
    if node["shape"] == "box":
        return node["width"] / 2, node["height"] / 2
    lines = str(node["label"]).split("\n") or [""]
    char = node["fontsize"] / 10 * 0.085                 # node units per character, roughly
    return max(0.15, max(len(t) for t in lines) * char / 2), max(0.15, 0.1 * len(lines) * node["fontsize"] / 10)


def _extent(nodes, pad=0.3) -> tuple[float, float, float, float]:
    """The box (x0, x1, y0, y1) that holds every node with a margin of ``pad``."""
    nodes = list(nodes)
    if not nodes:
        return -1.0, 1.0, -1.0, 1.0
    halves = [_half_size(n) for n in nodes]
    x0 = min(n["xy"][0] - w for n, (w, _) in zip(nodes, halves)) - pad
    x1 = max(n["xy"][0] + w for n, (w, _) in zip(nodes, halves)) + pad
    y0 = min(n["xy"][1] - h for n, (_, h) in zip(nodes, halves)) - pad
    y1 = max(n["xy"][1] + h for n, (_, h) in zip(nodes, halves)) + pad
    return x0, x1, y0, y1


def draw_diagram(nodes, edges=(), *, figsize=None, ax=None, title=None, scale=0.9):
    """A Figure of labelled ``nodes`` (name -> spec) joined by arrows ``edges`` (src, dst[, label]).

    Coordinates are in "node units" (a circle has radius 0.3); ``scale`` inches per unit sets the size
    unless ``figsize`` is given. Shapes: "circle" (a unit), "box" (an op or a layer), "text" (a bare
    label). ``kind`` ("input", "hidden", "output", "bias", "op", "box") picks the fill colour.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    nodes = {name: _node(spec) for name, spec in dict(nodes).items()}
    edges = [_edge(e) for e in edges]
    for e in edges:
        for end in ("src", "dst"):
            if e[end] not in nodes:
                raise KeyError(f"edge {e['src']!r} -> {e['dst']!r}: no node named {e[end]!r}")
    x0, x1, y0, y1 = _extent(nodes.values())
    if ax is None:
        size = figsize or (max(2.5, (x1 - x0) * scale), max(1.5, (y1 - y0) * scale + (0.3 if title else 0)))
        fig = plt.figure(figsize=size, facecolor="white")
        ax = fig.add_axes([0, 0, 1, 0.92 if title else 1])
    fig = ax.figure
    ax.set_axis_off()
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    if title:
        fig.suptitle(title, fontsize=11, color=INK)

    for name, n in nodes.items():
        x, y = n["xy"]
        if n["shape"] == "circle":
            ax.add_patch(Circle((x, y), n["radius"], fc=n["fill"], ec=INK, lw=1.1, zorder=3, gid=f"node:{name}"))
        elif n["shape"] == "box":
            w, h = n["width"], n["height"]
            ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.03", fc=n["fill"],
                                        ec=INK, lw=1.1, zorder=3, gid=f"node:{name}"))
        if n["label"]:
            ax.text(x, y, n["label"], ha="center", va="center", fontsize=n["fontsize"], color=INK, zorder=4)

    for e in edges:
        a, b = nodes[e["src"]], nodes[e["dst"]]
        p, q = np.asarray(a["xy"], float), np.asarray(b["xy"], float)
        v = q - p
        dist = float(np.hypot(*v))
        if dist == 0:
            raise ValueError(f"edge {e['src']!r} -> {e['dst']!r} joins a node to itself")
        u = v / dist
        start, end = p + u * _border(a, u), q - u * _border(b, -u)
        ax.add_patch(FancyArrowPatch(tuple(start), tuple(end), arrowstyle=e["style"], mutation_scale=10,
                                     color=e["color"], lw=1, shrinkA=0, shrinkB=0, zorder=2,
                                     connectionstyle=f"arc3,rad={e['rad']}", gid=f"edge:{e['src']}->{e['dst']}"))
        if e["label"]:
            m = start + (end - start) * e["pos"]
            ax.text(m[0], m[1], e["label"], ha="center", va="center", fontsize=e["fontsize"], color=INK, zorder=5,
                    bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.9})
    return fig


def draw_network(widths, *, layer_names=None, node_labels=None, edge_labels=None, shapes=True, bias=False,
                 max_nodes=6, figsize=None, title=None, edge_label_pos=0.3, bias_labels=None, node_radius=0.3,
                 node_fontsize=10, layer_gap=2.4, shape_labels=None):
    """A Figure of a fully connected network with ``widths[l]`` units in layer ``l`` (input first).

    - ``layer_names``: one caption under each column (e.g. ``["input $x$", "hidden $a^{(1)}$", ...]``).
    - ``node_labels``: ``{(l, i): text}`` inside unit ``i`` of layer ``l``.
    - ``edge_labels``: ``{(l, i, j): text}`` on the edge from unit ``i`` of layer ``l`` to unit ``j`` of
      layer ``l + 1`` (e.g. the weights of a worked example), placed ``edge_label_pos`` of the way along.
    - ``shapes``: write each weight matrix's shape, ``(widths[l+1], widths[l])``, between the columns.
    - ``bias``: draw a "+1" unit under each non-output layer, with arrows into the next layer.
    - ``bias_labels``: ``{(l, j): text}`` on the edge from the "+1" unit of layer ``l`` to unit ``j`` of
      layer ``l + 1`` (the bias $b_j$); implies ``bias=True``.
    - ``node_radius``, ``node_fontsize``, ``layer_gap``: size of the units, of their labels, and the
      distance between columns (in node units; a wider gap leaves room for long edge labels).
    - ``shape_labels``: one text per weight matrix to write between the columns instead of the default
      ``"$W^{(l)}$: rows×columns"`` (e.g. ``["$w$: 1×2"]``); ``shapes=False`` writes none.
    - A layer wider than ``max_nodes`` shows its first and last units with a vertical ellipsis between,
      and its width in the caption (so 3072 -> 100 -> 10 fits on a page).
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"draw_network needs at least two layers of width >= 1; got {widths}")
    if layer_names is not None and len(layer_names) != len(widths):
        raise ValueError(f"layer_names has {len(layer_names)} entries for {len(widths)} layers")
    if max_nodes < 3:
        raise ValueError(f"max_nodes must be >= 3; got {max_nodes}")
    node_labels, edge_labels = dict(node_labels or {}), dict(edge_labels or {})
    bias_labels = dict(bias_labels or {})
    bias = bias or bool(bias_labels)
    if shape_labels is not None and len(shape_labels) != len(widths) - 1:
        raise ValueError(f"shape_labels has {len(shape_labels)} entries for {len(widths) - 1} weight matrices")
    if node_radius <= 0 or layer_gap <= 2 * node_radius:
        raise ValueError(f"need 0 < 2 * node_radius < layer_gap; got node_radius={node_radius}, "
                         f"layer_gap={layer_gap}")
    for (l, i) in node_labels:
        if not (0 <= l < len(widths) and 0 <= i < widths[l]):
            raise ValueError(f"node_labels key {(l, i)} is not a unit of a network with widths {widths}")
    for (l, i, j) in edge_labels:
        if not (0 <= l < len(widths) - 1 and 0 <= i < widths[l] and 0 <= j < widths[l + 1]):
            raise ValueError(f"edge_labels key {(l, i, j)} is not an edge of a network with widths {widths}")
    for (l, j) in bias_labels:
        if not (0 <= l < len(widths) - 1 and 0 <= j < widths[l + 1]):
            raise ValueError(f"bias_labels key {(l, j)} is not a bias edge of a network with widths {widths}")

    def shown(w):  # the unit indices drawn for a layer of width w (None marks the ellipsis)
        if w <= max_nodes:
            return list(range(w))
        head = max_nodes - 2
        return list(range(head)) + [None, w - 1]

    dx, dy = float(layer_gap), max(1.0, 3.3 * node_radius)
    tallest = max(len(shown(w)) + (1 if bias else 0) for w in widths)
    nodes, edges, names = {}, [], {}
    last = len(widths) - 1
    for l, w in enumerate(widths):
        units = shown(w)
        top = (tallest - 1) / 2 * dy
        offset = (tallest - len(units) - (1 if bias and l < last else 0)) / 2 * dy
        kind = "input" if l == 0 else "output" if l == last else "hidden"
        for r, i in enumerate(units):
            y = top - offset - r * dy
            if i is None:
                nodes[f"dots{l}"] = {"xy": (l * dx, y), "label": "$\\vdots$", "shape": "text", "fontsize": 14}
                continue
            names[(l, i)] = f"u{l}_{i}"
            nodes[names[(l, i)]] = {"xy": (l * dx, y), "label": node_labels.get((l, i), ""), "kind": kind,
                                    "radius": node_radius, "fontsize": node_fontsize}
        if bias and l < last:
            y = top - offset - len(units) * dy
            nodes[f"b{l}"] = {"xy": (l * dx, y), "label": "+1", "kind": "bias", "fontsize": 9,
                              "radius": node_radius}
        caption = layer_names[l] if layer_names else ""
        if w > max_nodes:
            caption = f"{caption}\n({w} units)" if caption else f"{w} units"
        if caption:
            y = -(tallest - 1) / 2 * dy - 0.45 - node_radius
            nodes[f"caption{l}"] = {"xy": (l * dx, y), "label": caption, "shape": "text", "fontsize": 10}
    for l in range(last):
        sources = [i for i in shown(widths[l]) if i is not None]
        targets = [j for j in shown(widths[l + 1]) if j is not None]
        for i in sources:
            for j in targets:
                edges.append({"src": names[(l, i)], "dst": names[(l + 1, j)],
                              "label": edge_labels.get((l, i, j), ""), "pos": edge_label_pos})
        if bias:
            for j in targets:
                edges.append({"src": f"b{l}", "dst": names[(l + 1, j)], "color": "#999999",
                              "label": bias_labels.get((l, j), ""), "pos": edge_label_pos})
        if shapes:
            y = (tallest - 1) / 2 * dy + 0.35 + node_radius
            label = (shape_labels[l] if shape_labels is not None
                     else f"$W^{{({l + 1})}}$: {widths[l + 1]}×{widths[l]}")
            nodes[f"shape{l}"] = {"xy": ((l + 0.5) * dx, y), "shape": "text", "fontsize": 9, "label": label}
    return draw_diagram(nodes, edges, figsize=figsize, title=title)
