"""A small character corpus for RNN chapters (``corpus.txt``, original text written for nnkit
plus a few traditional public-domain nursery rhymes) and helpers to turn text into
(input, target) index sequences for next-character prediction.
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["load_corpus", "CharVocab", "char_sequences"]

_PATH = os.path.join(os.path.dirname(__file__), "corpus.txt")


def load_corpus():
    """The shipped corpus as one string (lower-case English, about 4 KB)."""
    with open(_PATH, encoding="utf-8") as f:
        return f.read()


class CharVocab:
    """Character <-> index mapping over the sorted set of characters of ``text``."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """Indices of the characters of ``text`` as an int64 array."""
        try:
            return np.array([self.stoi[c] for c in text], dtype=np.int64)
        except KeyError as e:
            raise ValueError(f"CharVocab.encode: character {e.args[0]!r} not in the vocabulary") from None

    def decode(self, indices):
        """The string spelled by ``indices``."""
        return "".join(self.itos[int(i)] for i in np.asarray(indices).ravel())

    def one_hot(self, indices, dtype=np.float32):
        """One-hot rows, shape ``indices.shape + (len(self),)``."""
        indices = np.asarray(indices)
        return np.eye(len(self), dtype=dtype)[indices]

    def __repr__(self):
        return f"CharVocab(size={len(self)})"


def char_sequences(text, seq_len=32, step=None, vocab=None):
    """Cut ``text`` into windows for next-character prediction.

    Returns ``X, Y, vocab``: ``X[i]`` are the indices of ``text[s:s+seq_len]`` and ``Y[i]`` those
    of ``text[s+1:s+seq_len+1]`` for ``s = 0, step, 2 step, ...`` (``step`` defaults to
    ``seq_len``, i.e. non-overlapping windows). Shapes ``(n, seq_len)``, int64.
    """
    vocab = vocab or CharVocab(text)
    ids = vocab.encode(text)
    step = step or seq_len
    if len(ids) < seq_len + 1:
        raise ValueError(f"char_sequences: text of length {len(ids)} is shorter than seq_len + 1 = {seq_len + 1}")
    starts = np.arange(0, len(ids) - seq_len, step)
    idx = starts[:, None] + np.arange(seq_len)[None, :]
    return ids[idx], ids[idx + 1], vocab
