"""Offline data sets and loaders (``nnkit.data``).

- ``TensorDataset``, ``DataLoader`` (as ``torch.utils.data``; plus a ``seed``)
- logic gates, spirals, moons, circles, blobs, sine waves (``synthetic``)
- the 8x8 handwritten digits, shipped (``digits``, CC BY 4.0, see LICENSE-digits.txt)
- a small character corpus for RNNs (``text``)
Nothing is downloaded.
"""
from .dataset import Dataset, TensorDataset, random_split_indices
from .dataloader import DataLoader
from .synthetic import (GATES, logic_gate, make_spirals, make_moons, make_circles, make_blobs,
                        make_sine, sine_sequences)
from .digits import load_digits, digits_split
from .text import load_corpus, CharVocab, char_sequences

__all__ = ["Dataset", "TensorDataset", "random_split_indices", "DataLoader", "GATES", "logic_gate",
           "make_spirals", "make_moons", "make_circles", "make_blobs", "make_sine",
           "sine_sequences", "load_digits", "digits_split", "load_corpus", "CharVocab",
           "char_sequences"]
