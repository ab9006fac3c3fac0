"""nnkit.widgets.interact: live mode is ipywidgets.interact; static mode precomputes linked frames."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")
from nnkit import widgets as nw  # noqa: E402

W = ipywidgets


def draw(a=1.0, kind="sin"):
    import numpy as np

    x = np.linspace(0, 6, 50)
    plt.figure(figsize=(3, 2))
    plt.plot(x, (np.sin if kind == "sin" else np.cos)(a * x))
    plt.title(f"{kind} {a:.1f}")
    plt.show()


def links(box):
    return box.links


def test_live_mode_is_ipywidgets_interact(monkeypatch):
    monkeypatch.delenv("NNKIT_WIDGETS", raising=False)
    out = nw.interact(draw, a=(0.5, 2.0, 0.5))
    assert isinstance(out, W.interactive) or callable(out)


def test_static_mode_one_slider_frames_linked_and_distinct():
    box = nw.interact(draw, static=True, a=(0.5, 2.0, 0.5))
    slider, stack = box.children
    assert isinstance(slider, W.SelectionSlider) and isinstance(stack, W.Stack)
    assert [v for _, v in slider.options] == [0.5, 1.0, 1.5, 2.0]
    assert slider.index == 1, "the function's default a=1.0 is the initial frame"
    assert stack.selected_index == slider.index
    frames = [img.value for img in stack.children]
    assert len(frames) == 4 and len(set(frames)) == 4, "each slider value has its own frame"
    assert all(f[:8] == b"\x89PNG\r\n\x1a\n" for f in frames)
    linked = [(lk.source, lk.target) for lk in links(box)]
    assert ((slider, "index"), (stack, "selected_index")) in linked
    assert plt.get_fignums() == [], "frames are drawn without leaving figures open"


def test_static_mode_two_controls_nested_stacks():
    box = nw.interact(draw, static=True, a=(1.0, 2.0, 0.5), kind=["sin", "cos"])
    s_a, s_kind, outer = box.children
    assert isinstance(s_kind, W.Dropdown) and len(outer.children) == 3
    assert all(isinstance(inner, W.Stack) and len(inner.children) == 2 for inner in outer.children)
    targets = {(lk.source[0], lk.target[0]) for lk in links(box)}
    assert (s_a, outer) in targets and all((s_kind, inner) in targets for inner in outer.children)
    assert outer.children[0].children[0].value != outer.children[0].children[1].value


def test_static_grid_over_budget_raises_before_drawing(monkeypatch):
    calls = []
    monkeypatch.setattr(nw, "_render_frame", lambda *a, **k: calls.append(1) or b"")
    with pytest.raises(ValueError, match=r"11 x 11 = 121 frames exceeds the budget of 60"):
        nw.interact(draw, static=True, a=(0.0, 1.0, 0.1), kind=W.IntSlider(min=0, max=10))
    assert calls == []


def test_static_mode_from_environment(monkeypatch):
    monkeypatch.setenv("NNKIT_WIDGETS", "static")
    box = nw.interact(draw, a=[1.0, 2.0])
    assert "nnkit-static-interact" in box._dom_classes


def test_frames_are_quantized_small():
    png = nw._render_frame(draw, {"a": 1.0}, dpi=80)
    assert len(png) < 15_000


def test_frames_choose_what_the_book_precomputes():
    seen = []

    def record(a=1.0, kind="sin", n=3):
        seen.append((a, kind, n))
        draw(a, kind)

    box = nw.interact(record, static=True, frames={"kind": ["cos", "sin"]},
                      a=(0.0, 5.0, 0.01), kind=W.Dropdown(options=[("Sine", "sin"), ("Cosine", "cos")]), n=(1, 9))
    control, stack = box.children
    assert control.options == (("Cosine", "cos"), ("Sine", "sin")) and control.index == 1
    assert sorted(seen) == [(1.0, "cos", 3), (1.0, "sin", 3)], "other controls stay at their defaults"
    with pytest.raises(ValueError, match=r"frames names \['b'\]"):
        nw.interact(record, static=True, frames={"b": [1]}, a=(0.0, 1.0))
    with pytest.raises(ValueError, match=r"precomputes 1 or 2 controls, got 3"):
        nw.interact(record, static=True, a=[1.0], kind=["sin"], n=[1])
