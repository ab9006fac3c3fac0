"""Embedding, GELU, TransformerEncoderLayer and TransformerEncoder: float64 gradient checks,
the layer's formula written out, PyTorch's names and defaults, errors, extreme inputs."""
import math

import numpy as np
import pytest

import nnkit
from nnkit import gradcheck, nn
from nnkit.nn import functional as F
from nnkit.nn.activation import _erf
from nnkit.nn.transformer import generate_square_subsequent_mask

rng = np.random.default_rng(0)


def T(a, requires_grad=True):
    return nnkit.Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def module_gradcheck(m, x, **kwargs):
    """gradcheck of sum(m(x, **kwargs)^2) wrt the input x and every parameter, in float64."""
    m.double()
    owners = [(mod, name) for mod in m.modules() for name, p in mod._parameters.items() if p is not None]

    def fn(xx, *ps):
        saved = [mod._parameters[name] for mod, name in owners]
        for (mod, name), p in zip(owners, ps):
            mod._parameters[name] = p
        try:
            out = m(xx, **kwargs)
        finally:
            for (mod, name), p in zip(owners, saved):
                mod._parameters[name] = p
        return (out * out).sum()

    ps = [T(mod._parameters[name].data.copy()) for mod, name in owners]
    assert gradcheck(fn, T(x), *ps, atol=1e-6, rtol=1e-4)


# ----------------------------------------------------------------------------------- Embedding
def test_embedding_is_one_hot_times_weight():
    w = rng.standard_normal((6, 3))
    idx = np.array([[0, 5, 2], [2, 2, 1]])
    out = F.embedding(idx, T(w))
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.data, np.eye(6)[idx] @ w)


def test_embedding_gradcheck_and_repeated_indices_add_up():
    idx = np.array([[1, 3, 1], [0, 1, 4]])
    assert gradcheck(lambda w: F.embedding(idx, w), T(rng.standard_normal((5, 2))))
    w = T(np.zeros((5, 2)))
    F.embedding(idx, w).sum().backward()
    np.testing.assert_array_equal(w.grad[:, 0], [1, 3, 0, 1, 1])


def test_embedding_padding_idx_gets_no_gradient_and_starts_at_zero():
    nnkit.manual_seed(0)
    e = nn.Embedding(5, 3, padding_idx=1)
    assert not e.weight.data[1].any() and e.weight.data[0].any()
    e(np.array([[1, 2, 1]])).sum().backward()
    np.testing.assert_array_equal(e.weight.grad[1], 0.0)
    np.testing.assert_array_equal(e.weight.grad[2], 1.0)
    assert nn.Embedding(5, 3, padding_idx=-1).padding_idx == 4


def test_embedding_module_names_init_and_from_pretrained():
    nnkit.manual_seed(0)
    e = nn.Embedding(1000, 16)
    assert [n for n, _ in e.named_parameters()] == ["weight"] and e.weight.shape == (1000, 16)
    assert e.weight.dtype == np.float32
    assert abs(e.weight.data.mean()) < 0.02 and abs(e.weight.data.std() - 1) < 0.02   # N(0, 1)
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    f = nn.Embedding.from_pretrained(table)
    assert not f.weight.requires_grad
    np.testing.assert_array_equal(f(np.array([2, 0])).data, [[4, 5], [0, 1]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert repr(nn.Embedding(4, 2, padding_idx=0)) == "Embedding(4, 2, padding_idx=0)"


def test_embedding_errors():
    e = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match=r"index 4 out of range .* 4 rows \(valid indices 0..3\)"):
        e(np.array([0, 4]))
    with pytest.raises(IndexError, match="index -1 out of range"):
        e(np.array([-1]))
    with pytest.raises(TypeError, match="integer indices .* got dtype float"):
        e(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"padding_idx must be within \[-4, 4\)"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="2-D weight"):
        F.embedding(np.array([0]), T(np.zeros(3)))
    with pytest.raises(ValueError, match="must be positive"):
        nn.Embedding(0, 2)


# ----------------------------------------------------------------------------------------- GELU
def test_erf_matches_math_erf():
    xs = np.concatenate([np.linspace(-8, 8, 20001), [0.0, -0.0, 1e-300, 5.9999, 6.0, np.inf, -np.inf]])
    ref = np.array([math.erf(v) for v in xs])
    err = np.abs(_erf(xs) - ref)
    assert err.max() < 1e-14, err.max()
    assert np.isnan(_erf(np.array([np.nan]))).all()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_values_gradcheck_and_module(approximate):
    x = np.linspace(-5, 5, 41)
    y = F.gelu(T(x), approximate=approximate).data
    if approximate == "none":
        ref = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    else:
        ref = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(y, ref, rtol=1e-13, atol=1e-14)
    assert gradcheck(lambda t: F.gelu(t, approximate), T(rng.standard_normal(20) * 3))
    m = nn.GELU(approximate)
    np.testing.assert_array_equal(m(T(x)).data, y)
    assert m(nnkit.tensor([1.0, -2.0])).dtype == np.float32


def test_gelu_extremes_and_errors():
    y = F.gelu(T([-1e4, -40.0, 40.0, 1e4]))
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 40.0, 1e4])
    assert abs(F.gelu(T([-3.0])).data[0] + 3 * 0.5 * math.erfc(3 / math.sqrt(2))) < 1e-15
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(T([1.0]), approximate="fast")
    with pytest.raises(ValueError, match="approximate must be"):
        nn.GELU("erf")


# ------------------------------------------------------------------------ TransformerEncoderLayer
def encoder_layer_reference(layer, x, mask=None):
    """The block written with nnkit ops: attention, residual, norm, MLP, residual, norm."""
    sa = lambda h: layer.self_attn(h, h, h, attn_mask=mask, need_weights=False)[0]
    ff = lambda h: layer.linear2(layer.activation(layer.linear1(h)))
    if layer.norm_first:
        x = x + sa(layer.norm1(x))
        return x + ff(layer.norm2(x))
    x = layer.norm1(x + sa(x))
    return layer.norm2(x + ff(x))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_formula_and_gradcheck(norm_first, activation):
    nnkit.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation=activation,
                                       norm_first=norm_first).double()
    x = rng.standard_normal((3, 2, 4))
    mask = generate_square_subsequent_mask(3, np.float64)
    np.testing.assert_allclose(layer(T(x), src_mask=mask).data,
                               encoder_layer_reference(layer, T(x), mask).data, atol=1e-13)
    module_gradcheck(layer, x, src_mask=mask, is_causal=True)


def test_encoder_layer_submodule_names_and_defaults():
    layer = nn.TransformerEncoderLayer(8, 2)
    assert [n for n, _ in layer.named_children()] == [
        "self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"]
    assert layer.linear1.weight.shape == (2048, 8) and layer.linear2.weight.shape == (8, 2048)
    assert layer.dropout.p == 0.1 and layer.norm1.eps == 1e-5 and layer.norm_first is False
    assert layer.self_attn.batch_first is False and layer.self_attn.dropout == 0.1
    assert layer.activation is F.relu
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation is F.gelu
    own = lambda t: t * 2
    assert nn.TransformerEncoderLayer(8, 2, activation=own).activation is own
    with pytest.raises(ValueError, match="activation should be 'relu', 'gelu' or a callable"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.TransformerEncoderLayer(8, 3)


def test_encoder_layer_shapes_batch_first_and_unbatched():
    nnkit.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    x = nnkit.randn(5, 3, 8)
    assert layer(x).shape == (5, 3, 8)
    bf = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    bf.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(bf(x.transpose(0, 1)).data, layer(x).transpose(0, 1).data, atol=1e-5)
    np.testing.assert_allclose(layer(x[:, 0]).data, layer(x).data[:, 0], atol=1e-5)


def test_encoder_layer_padding_mask_and_dropout_modes():
    nnkit.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.5, batch_first=True)
    x = nnkit.randn(2, 5, 4)
    kpm = np.array([[False] * 5, [False, False, False, True, True]])
    layer.eval()
    a = layer(x, src_key_padding_mask=kpm)
    x2 = nnkit.tensor(x.data.copy())
    x2.data[1, 3:] = 50.0                               # padded positions: any content
    b = layer(x2, src_key_padding_mask=kpm)
    np.testing.assert_allclose(a.data[1, :3], b.data[1, :3], atol=1e-5)
    np.testing.assert_array_equal(layer(x).data, layer(x).data)       # eval: deterministic
    layer.train()
    assert not np.allclose(layer(x).data, layer(x).data)              # train: dropout


def test_encoder_stacks_deep_copies_and_final_norm():
    nnkit.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, norm_first=True)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4)).double()
    names = [n for n, _ in enc.named_parameters()]
    assert names[0] == "layers.0.self_attn.in_proj_weight" and names[-1] == "norm.bias"
    assert sum(n.startswith("layers.1.") for n in names) == 12 and len(names) == 2 * 12 + 2
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.data, enc.layers[1].linear1.weight.data)
    x = rng.standard_normal((3, 2, 4))
    mask = generate_square_subsequent_mask(3, np.float64)
    h = T(x)
    for l in enc.layers:
        h = l(h, src_mask=mask)
    np.testing.assert_allclose(enc(T(x), mask=mask, is_causal=True).data, enc.norm(h).data, atol=1e-13)
    module_gradcheck(enc, x, mask=mask)
    with pytest.raises(ValueError, match="num_layers must be at least 1"):
        nn.TransformerEncoder(layer, 0)
    with pytest.raises(TypeError, match="encoder_layer must be a Module"):
        nn.TransformerEncoder("layer", 2)


def test_causal_mask_and_causality_of_the_stack():
    m = generate_square_subsequent_mask(4)
    assert m.dtype == np.float32 and m.shape == (4, 4)
    np.testing.assert_array_equal(np.isinf(m), np.triu(np.ones((4, 4), bool), 1))
    assert (m[np.tril_indices(4)] == 0).all()
    nnkit.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2)
    x = nnkit.randn(1, 6, 8)
    y = enc(x, mask=generate_square_subsequent_mask(6), is_causal=True).data
    x.data[0, 4:] += 3.0                                # change the future
    y2 = enc(x, mask=generate_square_subsequent_mask(6), is_causal=True).data
    np.testing.assert_allclose(y[0, :4], y2[0, :4], atol=1e-6)
    assert not np.allclose(y[0, 4:], y2[0, 4:])
    with pytest.raises(ValueError, match="is_causal=True needs mask"):
        enc(x, is_causal=True)                          # a hint without the mask: not causal
    with pytest.raises(ValueError, match="is_causal=True needs attn_mask"):
        enc.layers[0](x, is_causal=True)


def test_encoder_extreme_inputs_stay_finite():
    nnkit.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2)
    for scale in (1e-8, 1e4):
        x = nnkit.tensor(np.random.default_rng(1).standard_normal((5, 2, 8)).astype(np.float32) * scale,
                         requires_grad=True)
        out = enc(x)
        out.sum().backward()
        assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()


def test_embedding_backward_both_paths_agree(monkeypatch):
    """Small tables backpropagate through a one-hot product, large ones with np.add.at."""
    import nnkit.nn.sparse as sparse
    idx = rng.integers(0, 7, (5, 6))
    g = rng.standard_normal((5, 6, 3))
    grads = []
    for limit in (1 << 22, 0):
        monkeypatch.setattr(sparse, "_ONE_HOT_MAX", limit)
        w = T(rng.standard_normal((7, 3)) * 0 + 1.0)
        (F.embedding(idx, w) * nnkit.Tensor(g)).sum().backward()
        grads.append(w.grad)
    np.testing.assert_allclose(grads[0], grads[1], atol=1e-12)
    ref = np.zeros((7, 3))
    for i, row in zip(idx.ravel(), g.reshape(-1, 3)):
        ref[i] += row
    np.testing.assert_allclose(grads[0], ref, atol=1e-12)
