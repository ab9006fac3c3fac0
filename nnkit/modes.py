"""The engine's two global switches: grad mode (record the graph or not) and anomaly detection.

They live in one tiny class, ``_mode``, so that an op pays a single attribute lookup to ask
"am I recording?" (``_mode.grad_enabled``) or "should I check for NaN/inf?" (``_mode.anomaly``).
PyTorch keeps them in ``torch.autograd.grad_mode`` and ``torch.autograd.anomaly_mode``; the
random generator is in ``nnkit/random.py``, the autodiff itself in ``nnkit/tensor.py``.
"""
import contextlib


class _mode:
    grad_enabled = True          # record the graph?
    anomaly = False              # raise on non-finite results?


# ----------------------------------------------------------------------------------------- grad mode
def is_grad_enabled():
    """True if new operations are recorded for backward (like ``torch.is_grad_enabled``)."""
    return _mode.grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager / decorator that sets grad mode to ``mode`` and restores it on exit."""

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        self.prev = _mode.grad_enabled
        _mode.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        _mode.grad_enabled = self.prev
        return False


class no_grad(set_grad_enabled):
    """``with nnkit.no_grad():`` (or ``@nnkit.no_grad()``): operations inside record nothing.

    Book: ch-05-autodiff."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Turn recording back on inside a ``no_grad`` block."""

    def __init__(self):
        super().__init__(True)


# ---------------------------------------------------------------------------------- anomaly detection
def set_anomaly_detection(enabled):
    """When on, every op checks its result and raises ``FloatingPointError`` on NaN/inf,
    naming the op and its inputs; backward checks the gradients it propagates. Off by default."""
    _mode.anomaly = bool(enabled)


def is_anomaly_enabled():
    """True if anomaly detection is on (see ``set_anomaly_detection``)."""
    return _mode.anomaly


class detect_anomaly(contextlib.ContextDecorator):
    """``with nnkit.detect_anomaly():`` turns anomaly detection on for the block.

    Differs from ``torch.autograd.detect_anomaly``: it checks forward results too, not only backward."""

    def __enter__(self):
        self.prev = _mode.anomaly
        _mode.anomaly = True
        return self

    def __exit__(self, *exc):
        _mode.anomaly = self.prev
        return False
