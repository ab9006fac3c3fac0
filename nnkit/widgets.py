"""Interactive figures that also work in the hosted book, where no Python kernel runs.

    from nnkit.widgets import interact
    interact(plot_descent, lr=(0.05, 1.05, 0.05), steps=[10, 30, 100])

``interact(fn, **controls)`` takes the same arguments as ``ipywidgets.interact``: ``fn`` draws one matplotlib
figure from the control values (and may end with ``plt.show()``); each control is a tuple
``(min, max, step)``, a list of options, or an ipywidgets slider/dropdown.

Two modes:

- **live** (a kernel is running, e.g. JupyterLab): exactly ``ipywidgets.interact``; any value, live redraw.
- **static** (the book is being built): the figure is drawn once for every value on the controls' grid
  (the product grid for two controls) and stored in the page as PNG frames. Each control is linked to
  the frames in the browser (``jslink`` to a ``Stack``), so moving a slider in the hosted book swaps the
  figure with no kernel and no network.

A live figure may have more controls, or finer steps, than a page can hold. ``frames={name: values}``
chooses what the hosted book precomputes: only the named controls (at most two), on the given values;
the other controls stay at their default values there.

The mode is ``static`` when the environment variable ``NNKIT_WIDGETS=static`` is set (``make book``,
``tools/nbexec.py`` and the book test set it), ``live`` otherwise, or forced with ``interact(..., static=True)``.

Frame budget: at most ``MAX_FRAMES`` (60) frames per figure; keep each frame small (dpi 80, a few tens of
kB), so that a page with two interactive figures stays under about 3 MB. A grid that exceeds the budget
raises a ``ValueError`` naming the grid sizes, before anything is drawn.
"""
from __future__ import annotations

import inspect
import io
import itertools
import os
from unittest import mock

import numpy as np

MAX_FRAMES = 60
MAX_CONTROLS = 2


def _is_static(static: bool | None) -> bool:
    if static is not None:
        return bool(static)
    return os.environ.get("NNKIT_WIDGETS", "live").lower() == "static"


def _grid(widget) -> list:
    """The values a control can take, in order, for precomputing frames."""
    import ipywidgets as w

    if isinstance(widget, (w.Dropdown, w.SelectionSlider, w.ToggleButtons, w.RadioButtons)):
        return [value for _, value in widget.options] if widget.options and isinstance(
            widget.options[0], tuple) else list(widget.options)
    if isinstance(widget, (w.IntSlider, w.FloatSlider)):
        n = int(round((widget.max - widget.min) / widget.step)) + 1
        values = widget.min + widget.step * np.arange(n)
        if isinstance(widget, w.IntSlider):
            return [int(v) for v in values]
        decimals = max(0, -int(np.floor(np.log10(widget.step))) + 2)
        return [round(float(v), decimals) for v in values]
    if isinstance(widget, w.Checkbox):
        return [False, True]
    raise TypeError(f"interact: cannot precompute frames for a {type(widget).__name__}; "
                    "use a slider, a dropdown, a list of options or a (min, max, step) tuple")


def _static_control(name: str, widget, values: list):
    """A control whose ``index`` picks a frame: a SelectionSlider for sliders, else a Dropdown."""
    import ipywidgets as w

    label = widget.description or name
    default = widget.value
    index = min(range(len(values)), key=lambda i: abs(values[i] - default)
                if isinstance(default, (int, float)) and not isinstance(default, bool)
                else (0 if values[i] == default else 1))
    if isinstance(widget, (w.IntSlider, w.FloatSlider, w.SelectionSlider)):
        fmt = "{:d}" if isinstance(widget, w.IntSlider) and all(isinstance(v, int) for v in values) else "{:g}"
        options = [(fmt.format(v) if isinstance(v, (int, float)) else str(v), v) for v in values]
        return w.SelectionSlider(options=options, index=index, description=label,
                                 continuous_update=True, style=widget.style)
    labels = dict(zip(getattr(widget, "_options_values", ()), getattr(widget, "_options_labels", ())))
    options = [(labels.get(v, str(v)), v) for v in values]
    return w.Dropdown(options=options, index=index, description=label)


def _render_frame(fn, kwargs: dict, dpi: int) -> bytes:
    """Call fn with pyplot's show() disabled and return the figure it drew as PNG bytes."""
    import matplotlib.pyplot as plt

    plt.close("all")
    with mock.patch.object(plt, "show", lambda *a, **k: None):
        fn(**kwargs)
    fig = plt.gcf()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close("all")
    return _shrink_png(buf.getvalue())


def _shrink_png(png: bytes, colors: int = 128) -> bytes:
    """Quantize a plot to a palette (plots use few colours): about 3-4 times smaller, same look."""
    from PIL import Image  # Pillow is a dependency of matplotlib

    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=colors, dither=Image.Dither.NONE)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def interact(fn, *, static: bool | None = None, dpi: int = 80, frames: dict | None = None, **controls):
    """Like ``ipywidgets.interact``; in static mode, precomputed frames linked to the controls.

    ``frames`` (optional) maps up to two control names to the values precomputed for the hosted book;
    the other controls keep their defaults there. Returns the widget (live: an ``ipywidgets.interactive``;
    static: a ``VBox`` of controls and frames).
    """
    import ipywidgets as w
    from IPython.display import display

    if not _is_static(static):
        return w.interact(fn, **controls)

    unknown = set(frames or {}) - set(controls)
    if unknown:
        raise ValueError(f"interact: frames names {sorted(unknown)}, which are not controls {sorted(controls)}")
    varying = list(frames) if frames else list(controls)
    if not 1 <= len(varying) <= MAX_CONTROLS:
        raise ValueError(f"interact: static mode precomputes 1 or {MAX_CONTROLS} controls, got "
                         f"{len(varying)} ({', '.join(varying)}); pass frames={{name: values}} for at most two")
    params = inspect.signature(fn).parameters
    all_widgets = {}
    for name, abbrev in controls.items():
        default = params[name].default if name in params else inspect.Parameter.empty
        all_widgets[name] = w.interactive.widget_from_abbrev(abbrev, default)
        if all_widgets[name] is None:
            raise TypeError(f"interact: cannot make a control from {name}={abbrev!r}")
    fixed = {name: wd.value for name, wd in all_widgets.items() if name not in varying}
    widgets = {name: all_widgets[name] for name in varying}
    grids = {name: list(frames[name]) if frames else _grid(wd) for name, wd in widgets.items()}
    sizes = [len(g) for g in grids.values()]
    if int(np.prod(sizes)) > MAX_FRAMES:
        raise ValueError(f"interact: the grid {' x '.join(map(str, sizes))} = {int(np.prod(sizes))} frames "
                         f"exceeds the budget of {MAX_FRAMES}; use coarser steps or fewer options")

    names = list(widgets)
    frames = {combo: _render_frame(fn, {**fixed, **dict(zip(names, combo))}, dpi)
              for combo in itertools.product(*grids.values())}
    controls_ = [_static_control(n, widgets[n], grids[n]) for n in names]

    def image(png):
        return w.Image(value=png, format="png", layout=w.Layout(max_width="100%", height="auto"))

    links = []
    if len(names) == 1:
        stack = w.Stack([image(frames[(v,)]) for v in grids[names[0]]],
                        selected_index=controls_[0].index)
        links.append(w.jslink((controls_[0], "index"), (stack, "selected_index")))
    else:
        ga, gb = grids[names[0]], grids[names[1]]
        inner = []
        for va in ga:
            s = w.Stack([image(frames[(va, vb)]) for vb in gb], selected_index=controls_[1].index)
            links.append(w.jslink((controls_[1], "index"), (s, "selected_index")))
            inner.append(s)
        stack = w.Stack(inner, selected_index=controls_[0].index)
        links.append(w.jslink((controls_[0], "index"), (stack, "selected_index")))
    box = w.VBox([*controls_, stack])
    box.links = links  # the browser-side links (kept for inspection and tests)
    box.add_class("nnkit-static-interact")
    display(box)
    return box
