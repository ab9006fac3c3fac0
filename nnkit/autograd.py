"""Old home of grad mode and the random generator, kept so that ``from nnkit.autograd import
no_grad, get_rng`` keeps working. New code imports from ``nnkit`` (or ``nnkit.modes`` and
``nnkit.random``); the autodiff itself is ``nnkit/tensor.py``."""
from .modes import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled,  # noqa: F401
                    no_grad, set_anomaly_detection, set_grad_enabled)
from .random import get_rng, manual_seed  # noqa: F401
