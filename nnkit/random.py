"""nnkit's random generator: one ``numpy.random.Generator`` behind ``randn``, ``rand``,
``randint``, layer initialisation, dropout masks and shuffling (as ``torch.random``).

``manual_seed`` replaces the generator, so code asks for it at draw time with ``get_rng()``
and never keeps it.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed nnkit's random generator (used by ``randn``, ``rand``, layer init, dropout, shuffling)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def get_rng():
    """The current ``numpy.random.Generator``. Call it at draw time (do not cache it):
    ``manual_seed`` replaces the generator."""
    return _generator
