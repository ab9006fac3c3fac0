"""nnkit.data: shipped digits, synthetic generators, corpus, TensorDataset/DataLoader."""
import os

import numpy as np
import pytest

import nnkit
from nnkit import data


def test_digits_shipped_and_licensed():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 1
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    Xi, _ = data.load_digits(flatten=False)
    assert Xi.shape == (1797, 1, 8, 8)
    lic = os.path.join(os.path.dirname(data.__file__), "LICENSE-digits.txt")
    assert "CC BY 4.0" in open(lic).read()


def test_digits_split_fixed_and_stratified():
    a = data.load_digits(return_split=True)
    b = data.load_digits(return_split=True)
    Xtr, ytr, Xte, yte = a
    assert len(ytr) + len(yte) == 1797 and abs(len(yte) - 359) <= 5
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert np.all(np.bincount(yte) >= 34)


def test_logic_gates():
    X, y = data.logic_gate("xor")
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 1, 0]
    assert data.logic_gate("and")[1].tolist() == [0, 0, 0, 1]
    Xs, ys = data.logic_gate("or", signed=True)
    assert set(Xs.ravel()) == {-1, 1} and ys.tolist() == [-1, 1, 1, 1]
    with pytest.raises(ValueError, match="unknown gate"):
        data.logic_gate("maybe")


@pytest.mark.parametrize("gen", [data.make_spirals, data.make_moons, data.make_circles, data.make_blobs])
def test_generators_seeded(gen):
    X1, y1 = gen(seed=3)
    X2, y2 = gen(seed=3)
    np.testing.assert_array_equal(X1, X2)
    assert X1.dtype == np.float32 and y1.dtype == np.int64 and X1.shape[1] == 2
    assert not np.array_equal(gen(seed=4)[0], X1)
    nnkit.manual_seed(7)
    a = gen(seed=None)[0]
    nnkit.manual_seed(7)
    np.testing.assert_array_equal(a, gen(seed=None)[0])


def test_sine_sequences():
    X, Y = data.sine_sequences(10, 20)
    assert X.shape == Y.shape == (10, 20, 1)
    np.testing.assert_allclose(X[:, 1:], Y[:, :-1])
    X, Y = data.sine_sequences(10, 20, batch_first=False)
    assert X.shape == (20, 10, 1)
    t, s = data.make_sine(100)
    assert t.shape == s.shape == (100,)


def test_corpus_and_vocab():
    text = data.load_corpus()
    assert 2000 < len(text) < 20000
    X, Y, vocab = data.char_sequences(text, seq_len=16)
    assert X.shape[1] == 16 and X.dtype == np.int64
    np.testing.assert_array_equal(X[:, 1:], Y[:, :-1])
    assert vocab.decode(vocab.encode("neural network")) == "neural network"
    assert vocab.one_hot(X[:2]).shape == (2, 16, len(vocab))
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("\u00e9")


def test_tensor_dataset_and_loader():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ds = data.TensorDataset(X, nnkit.tensor(y))
    assert len(ds) == 10 and ds[3][1] == 3
    with pytest.raises(ValueError, match="size mismatch"):
        data.TensorDataset(X, y[:5])
    dl = data.DataLoader(ds, batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    assert isinstance(batches[0][0], nnkit.Tensor) and not batches[0][0].requires_grad
    np.testing.assert_array_equal(np.concatenate([b[1].data for b in batches]), y)
    assert len(list(data.DataLoader(ds, batch_size=4, drop_last=True))) == 2
    e1 = [b[1].data for b in data.DataLoader(ds, 4, shuffle=True, seed=0)]
    again = data.DataLoader(ds, 4, shuffle=True, seed=0)
    e1b = [b[1].data for b in again]
    e2b = [b[1].data for b in again]
    for u, v in zip(e1, e1b):
        np.testing.assert_array_equal(u, v)
    assert sorted(np.concatenate(e2b).tolist()) == list(range(10))
    assert not all(np.array_equal(u, v) for u, v in zip(e1b, e2b))   # new order each epoch
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(ds, 0)
