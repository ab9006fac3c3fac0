"""The 8x8 handwritten digits (1,797 images, UCI ML "Optical Recognition of Handwritten Digits",
E. Alpaydin and C. Kaynak, CC BY 4.0; see ``LICENSE-digits.txt``), shipped with nnkit.

Pixels are integers 0..16; ``load_digits`` scales them to ``[0, 1]`` (divides by 16).
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["load_digits", "digits_split"]

_PATH = os.path.join(os.path.dirname(__file__), "digits.npz")


def load_digits(flatten=True, return_split=False, test_fraction=0.2, seed=0):
    """Load the digits: ``X`` float32 in ``[0, 1]``, shape (1797, 64) (``flatten``) or
    (1797, 1, 8, 8) (NCHW, for a CNN), and ``y`` int64 labels 0..9.

    ``return_split=True`` returns ``(X_train, y_train, X_test, y_test)`` from
    ``digits_split`` instead.
    """
    with np.load(_PATH) as f:
        images = f["images"]
        labels = f["labels"]
    X = images.astype(np.float32) / np.float32(16.0)
    X = X.reshape(len(X), 64) if flatten else X.reshape(len(X), 1, 8, 8)
    y = labels.astype(np.int64)
    if return_split:
        return digits_split(X, y, test_fraction=test_fraction, seed=seed)
    return X, y


def digits_split(X, y, test_fraction=0.2, seed=0):
    """Fixed, seeded, stratified train/test split: ``(X_train, y_train, X_test, y_test)``.

    From each class, ``round(test_fraction * count)`` images (chosen by a permutation drawn
    from ``numpy.random.default_rng(seed)``) go to the test set. Same seed, same split.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits_split: test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(test_fraction * len(idx)))
        test[rng.permutation(idx)[:k]] = True
    return X[~test], y[~test], X[test], y[test]
