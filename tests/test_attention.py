"""scaled_dot_product_attention and MultiheadAttention: float64 gradient checks, the fused node
against its naive definition, masks, shapes, errors, and finite results on extreme inputs."""
import numpy as np
import pytest

import nnkit
from nnkit import gradcheck, nn
from nnkit.nn import functional as F

rng = np.random.default_rng(0)


def T(a, requires_grad=True):
    return nnkit.Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def rand(*shape):
    return rng.standard_normal(shape)


def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def reference(q, k, v, add=None, scale=None):
    """Attention in plain NumPy, the formula as written: softmax(Q K^T scale + M) V."""
    s = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    return softmax(s if add is None else s + add) @ v


# ------------------------------------------------------------------------- scaled_dot_product_attention
MASKS = {
    "none": lambda L, S: {},
    "causal": lambda L, S: {"is_causal": True},
    "bool": lambda L, S: {"attn_mask": np.arange(S)[None, :] <= np.arange(L)[:, None] + 1},
    "float": lambda L, S: {"attn_mask": rng.standard_normal((L, S))},
    "scale": lambda L, S: {"scale": 0.37},
}


def additive(kw, L, S):
    if kw.get("is_causal"):
        return np.where(np.tri(L, S, dtype=bool), 0, -np.inf)
    m = kw.get("attn_mask")
    if m is None:
        return None
    return np.where(m, 0, -np.inf) if m.dtype == bool else m


@pytest.mark.parametrize("mask", MASKS)
def test_sdpa_matches_numpy_reference_and_naive(mask):
    q, k, v = rand(2, 3, 4, 5), rand(2, 3, 6, 5), rand(2, 3, 6, 7)
    kw = MASKS[mask](4, 6)
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), **kw)
    naive = F.scaled_dot_product_attention_naive(T(q), T(k), T(v), **kw)
    ref = reference(q, k, v, additive(kw, 4, 6), kw.get("scale"))
    assert out.shape == (2, 3, 4, 7)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(naive.data, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mask", MASKS)
def test_sdpa_gradcheck(mask):
    kw = MASKS[mask](3, 4)
    f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw)
    assert gradcheck(f, T(rand(2, 3, 3)), T(rand(2, 4, 3)), T(rand(2, 4, 2)))


def test_sdpa_fused_and_naive_gradients_agree():
    q, k, v = rand(2, 2, 5, 4), rand(2, 2, 7, 4), rand(2, 2, 7, 3)
    m = rng.standard_normal((5, 7))
    g = rand(2, 2, 5, 3)
    grads = []
    for fn in (F.scaled_dot_product_attention, F.scaled_dot_product_attention_naive):
        ts = [T(a) for a in (q, k, v)]
        (fn(*ts, attn_mask=m) * nnkit.Tensor(g)).sum().backward()
        grads.append([t.grad for t in ts])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_sdpa_broadcasts_batch_dimensions_and_sums_their_gradients():
    q, k, v = T(rand(3, 2, 4, 5)), T(rand(2, 6, 5)), T(rand(1, 6, 5))
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.shape == (3, 2, 4, 5)
    np.testing.assert_allclose(out.data, reference(q.data, k.data, v.data), atol=1e-12)
    assert gradcheck(F.scaled_dot_product_attention, q, k, v)


def test_sdpa_bool_mask_equals_minus_inf_float_mask():
    q, k, v = rand(2, 4, 3), rand(2, 5, 3), rand(2, 5, 3)
    keep = rng.random((4, 5)) > 0.4
    keep[:, 0] = True
    a = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=keep)
    b = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=np.where(keep, 0.0, -np.inf))
    np.testing.assert_array_equal(a.data, b.data)


def test_causal_weights_ignore_the_future():
    """Changing the last key and value must not change any output but the last."""
    q, k, v = rand(1, 6, 4), rand(1, 6, 4), rand(1, 6, 4)
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), is_causal=True).data
    k2, v2 = k.copy(), v.copy()
    k2[0, -1] += 5.0
    v2[0, -1] -= 3.0
    out2 = F.scaled_dot_product_attention(T(q), T(k2), T(v2), is_causal=True).data
    np.testing.assert_array_equal(out[0, :-1], out2[0, :-1])
    assert not np.allclose(out[0, -1], out2[0, -1])


def test_weights_are_a_distribution_over_the_keys():
    """With V = I each output row is that query's weights: non-negative, summing to one."""
    q, k = rand(3, 5, 4), rand(3, 6, 4)
    w = F.scaled_dot_product_attention(T(q), T(k), T(np.broadcast_to(np.eye(6), (3, 6, 6)))).data
    assert (w >= 0).all()
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-12)


def test_sdpa_extreme_scores_stay_finite_and_pick_the_maximum():
    """Scores of 1e4 overflow a naive exp; the max-subtracted softmax gives one-hot weights."""
    q = np.array([[[100.0, 0.0], [0.0, -100.0]]])
    k = np.array([[[100.0, 0.0], [99.0, 0.0], [0.0, 100.0]]])
    v = np.eye(3)[None]
    for dt in (np.float64, np.float32):
        qt, kt, vt = (nnkit.Tensor(a.astype(dt), requires_grad=True) for a in (q, k, v))
        out = F.scaled_dot_product_attention(qt, kt, vt, scale=1.0)
        assert np.isfinite(out.data).all() and out.dtype == dt
        np.testing.assert_allclose(out.data[0, 0], [1, 0, 0], atol=1e-6)
        out.sum().backward()
        assert all(np.isfinite(t.grad).all() for t in (qt, kt, vt))


def test_fully_masked_query_gives_zeros_not_nan():
    q, k, v = T(rand(1, 3, 4)), T(rand(1, 5, 4)), T(rand(1, 5, 2))
    keep = np.ones((3, 5), dtype=bool)
    keep[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    assert np.isfinite(out.data).all()
    np.testing.assert_array_equal(out.data[0, 1], 0.0)
    out.sum().backward()
    assert np.isfinite(q.grad).all() and np.isfinite(k.grad).all()
    np.testing.assert_array_equal(q.grad[0, 1], 0.0)


def test_sdpa_dropout_uses_the_nnkit_generator_and_matches_naive():
    q, k, v = rand(2, 4, 3), rand(2, 5, 3), rand(2, 5, 3)
    nnkit.manual_seed(3)
    a = F.scaled_dot_product_attention(T(q), T(k), T(v), dropout_p=0.5)
    nnkit.manual_seed(3)
    b = F.scaled_dot_product_attention_naive(T(q), T(k), T(v), dropout_p=0.5)
    np.testing.assert_allclose(a.data, b.data, atol=1e-12)
    assert not np.allclose(a.data, reference(q, k, v))


def test_sdpa_grouped_query_attention():
    q, k, v = rand(2, 4, 3, 5), rand(2, 2, 6, 5), rand(2, 2, 6, 5)
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), enable_gqa=True)
    ref = reference(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    np.testing.assert_allclose(out.data, ref, atol=1e-12)
    f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    assert gradcheck(f, T(rand(1, 4, 2, 3)), T(rand(1, 2, 3, 3)), T(rand(1, 2, 3, 2)))


def test_sdpa_errors():
    q, k, v = T(rand(2, 4, 3)), T(rand(2, 5, 3)), T(rand(2, 5, 2))
    sdpa = F.scaled_dot_product_attention
    with pytest.raises(ValueError, match=r"same last dimension E.*\(2, 4, 3\).*\(2, 5, 4\)"):
        sdpa(q, T(rand(2, 5, 4)), v)
    with pytest.raises(ValueError, match=r"value .*S = 5.*\(2, 6, 2\)"):
        sdpa(q, k, T(rand(2, 6, 2)))
    with pytest.raises(ValueError, match=r"attn_mask broadcastable to .*\(2, 4, 5\).*\(4, 4\)"):
        sdpa(q, k, v, attn_mask=np.ones((4, 4), dtype=bool))
    with pytest.raises(ValueError, match="not both"):
        sdpa(q, k, v, attn_mask=np.ones((4, 5), dtype=bool), is_causal=True)
    with pytest.raises(TypeError, match="bool or float mask, got dtype int64"):
        sdpa(q, k, v, attn_mask=np.ones((4, 5), dtype=np.int64))
    with pytest.raises(ValueError, match="dropout_p must be in"):
        sdpa(q, k, v, dropout_p=1.0)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        sdpa(T(rand(3)), k, v)
    with pytest.raises(ValueError, match="multiple of the key and value heads"):
        sdpa(T(rand(1, 3, 4, 3)), T(rand(1, 2, 5, 3)), T(rand(1, 2, 5, 3)), enable_gqa=True)
    with pytest.raises(ValueError, match="do not broadcast"):
        sdpa(T(rand(3, 4, 3)), T(rand(2, 5, 3)), T(rand(2, 5, 3)))


# ------------------------------------------------------------------------- MultiheadAttention
def mha_gradcheck(m, inputs, **kwargs):
    """gradcheck of the MHA output (and weights, if returned) wrt inputs and every parameter."""
    m.double()
    owners = [(mod, name) for mod in m.modules() for name, p in mod._parameters.items() if p is not None]

    def fn(*args):
        xs, ps = args[:len(inputs)], args[len(inputs):]
        saved = [mod._parameters[name] for mod, name in owners]
        for (mod, name), p in zip(owners, ps):
            mod._parameters[name] = p
        try:
            if len(set(map(id, inputs))) == 1:           # self-attention: the same tensor thrice
                xs = (xs[0],) * 3
            out, w = m(*xs, **kwargs)
        finally:
            for (mod, name), p in zip(owners, saved):
                mod._parameters[name] = p
        return (out * out).sum() + (0 if w is None else (w * w).sum())

    xs = [T(x) for x in inputs] if len(set(map(id, inputs))) > 1 else [T(inputs[0])] * 3
    ps = [T(mod._parameters[name].data.copy()) for mod, name in owners]
    assert gradcheck(fn, *xs, *ps, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("kwargs", [
    {}, {"batch_first": True}, {"bias": False}, {"add_bias_kv": True, "add_zero_attn": True},
    {"kdim": 3, "vdim": 5},
])
def test_mha_gradcheck_cross_attention(kwargs):
    nnkit.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, **kwargs)
    kd, vd = kwargs.get("kdim", 4), kwargs.get("vdim", 4)
    bf = kwargs.get("batch_first", False)
    shape = (lambda L, d: (2, L, d)) if bf else (lambda L, d: (L, 2, d))
    mha_gradcheck(m, [rand(*shape(3, 4)), rand(*shape(5, kd)), rand(*shape(5, vd))])


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_gradcheck_self_attention_with_masks(need_weights, average):
    nnkit.manual_seed(1)
    m = nn.MultiheadAttention(6, 3, batch_first=True)
    x = rand(2, 4, 6)
    kpm = np.array([[False] * 4, [False, False, True, True]])
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    mha_gradcheck(m, [x, x, x], key_padding_mask=kpm, attn_mask=causal, need_weights=need_weights,
                  average_attn_weights=average)


def test_mha_matches_per_head_formula():
    """out = concat_i softmax(Q_i K_i^T / sqrt(d_h)) V_i  W_O^T + b_O, head by head in NumPy."""
    nnkit.manual_seed(0)
    E, H, N, L, S = 8, 2, 3, 4, 5
    m = nn.MultiheadAttention(E, H, batch_first=True).double()
    for p in m.parameters():                            # non-zero biases, so they are tested too
        p.data[...] = rng.standard_normal(p.shape) * 0.5
    q, k, v = rand(N, L, E), rand(N, S, E), rand(N, S, E)
    out, w = m(T(q), T(k), T(v), average_attn_weights=False)
    W, b = m.in_proj_weight.data, m.in_proj_bias.data
    Q, K, V = q @ W[:E].T + b[:E], k @ W[E:2 * E].T + b[E:2 * E], v @ W[2 * E:].T + b[2 * E:]
    d = E // H
    heads, weights = [], []
    for i in range(H):
        sl = slice(i * d, (i + 1) * d)
        A = softmax(Q[..., sl] @ np.swapaxes(K[..., sl], -1, -2) / np.sqrt(d))
        heads.append(A @ V[..., sl])
        weights.append(A)
    ref = np.concatenate(heads, -1) @ m.out_proj.weight.data.T + m.out_proj.bias.data
    np.testing.assert_allclose(out.data, ref, atol=1e-12)
    np.testing.assert_allclose(w.data, np.stack(weights, 1), atol=1e-12)
    _, w_mean = m(T(q), T(k), T(v))
    np.testing.assert_allclose(w_mean.data, np.mean(weights, axis=0), atol=1e-12)


def test_mha_self_attention_fast_path_equals_separate_projections():
    """query is key is value takes one packed projection; the result must not change."""
    nnkit.manual_seed(0)
    m = nn.MultiheadAttention(8, 4).double()
    x = rand(5, 2, 8)
    a, wa = m(T(x), T(x), T(x))
    xt = T(x)
    b, wb = m(xt, xt, xt)
    np.testing.assert_allclose(a.data, b.data, atol=1e-13)
    np.testing.assert_allclose(wa.data, wb.data, atol=1e-13)


def test_mha_shapes_and_unbatched_input():
    m = nn.MultiheadAttention(8, 2)
    out, w = m(nnkit.randn(5, 3, 8), nnkit.randn(7, 3, 8), nnkit.randn(7, 3, 8))
    assert out.shape == (5, 3, 8) and w.shape == (3, 5, 7) and out.dtype == np.float32
    out, w = m(nnkit.randn(5, 3, 8), nnkit.randn(7, 3, 8), nnkit.randn(7, 3, 8), average_attn_weights=False)
    assert w.shape == (3, 2, 5, 7)
    out, w = m(nnkit.randn(5, 3, 8), nnkit.randn(7, 3, 8), nnkit.randn(7, 3, 8), need_weights=False)
    assert w is None
    x = nnkit.randn(5, 8)
    out, w = m(x, x, x)
    assert out.shape == (5, 8) and w.shape == (5, 5)
    out_b, w_b = m(x.unsqueeze(1), x.unsqueeze(1), x.unsqueeze(1))
    np.testing.assert_allclose(out.data, out_b.data[:, 0], atol=1e-6)
    np.testing.assert_allclose(w.data, w_b.data[0], atol=1e-6)
    mb = nn.MultiheadAttention(8, 2, batch_first=True)
    mb.load_state_dict(m.state_dict())
    xb = nnkit.randn(3, 5, 8)
    np.testing.assert_allclose(mb(xb, xb, xb)[0].data,
                               m(xb.transpose(0, 1), xb.transpose(0, 1), xb.transpose(0, 1))[0]
                               .transpose(0, 1).data, atol=1e-6)


def test_mha_parameters_names_shapes_and_init():
    nnkit.manual_seed(0)
    m = nn.MultiheadAttention(8, 2)
    assert {n: p.shape for n, p in m.named_parameters()} == {
        "in_proj_weight": (24, 8), "in_proj_bias": (24,), "out_proj.weight": (8, 8), "out_proj.bias": (8,)}
    assert sum(p.data.size for p in m.parameters()) == 4 * 8 * 8 + 4 * 8
    bound = np.sqrt(6 / (8 + 24))                           # xavier_uniform_ on (3E, E)
    assert np.abs(m.in_proj_weight.data).max() <= bound and np.abs(m.in_proj_weight.data).max() > 0.8 * bound
    assert not m.in_proj_bias.data.any() and not m.out_proj.bias.data.any()
    m2 = nn.MultiheadAttention(8, 2, bias=False, add_bias_kv=True, kdim=3, vdim=5)
    assert {n: p.shape for n, p in m2.named_parameters()} == {
        "q_proj_weight": (8, 8), "k_proj_weight": (8, 3), "v_proj_weight": (8, 5),
        "bias_k": (1, 1, 8), "bias_v": (1, 1, 8), "out_proj.weight": (8, 8)}
    assert m2.in_proj_weight is None and m2.in_proj_bias is None and m.bias_k is None
    assert m.head_dim == 4 and m.batch_first is False


def test_mha_masks_bool_and_float_agree_and_padding_is_ignored():
    nnkit.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = rand(2, 5, 4)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1, 3:] = True
    o_bool, w_bool = m(T(x), T(x), T(x), key_padding_mask=kpm)
    o_float, _ = m(T(x), T(x), T(x), key_padding_mask=np.where(kpm, -np.inf, 0.0))
    np.testing.assert_array_equal(o_bool.data, o_float.data)
    np.testing.assert_array_equal(w_bool.data[1, :, 3:], 0.0)
    # the padded positions' contents do not matter to the other queries' outputs
    x2 = x.copy()
    x2[1, 3:] = 100.0
    o2, _ = m(T(x2), T(x2), T(x2), key_padding_mask=kpm)
    np.testing.assert_allclose(o2.data[1, :3], o_bool.data[1, :3], atol=1e-12)
    # a per-head (N * H, L, S) mask
    per_head = np.zeros((4, 5, 5), dtype=bool)
    per_head[1, :, 0] = True                           # batch 0, head 1 may not look at key 0
    _, w = m(T(x), T(x), T(x), attn_mask=per_head, average_attn_weights=False)
    np.testing.assert_array_equal(w.data[0, 1, :, 0], 0.0)
    assert (w.data[0, 0, :, 0] > 0).all()


def test_mha_dropout_only_in_training():
    nnkit.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    x = nnkit.randn(2, 5, 4)
    m.eval()
    a, wa = m(x, x, x, average_attn_weights=False)
    b, _ = m(x, x, x)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_allclose(wa.data.sum(-1), 1.0, atol=1e-6)
    m.train()
    c, wc = m(x, x, x, average_attn_weights=False)
    assert not np.allclose(a.data, c.data)
    dropped = wc.data == 0
    assert 0.3 < dropped.mean() < 0.7                   # about half of the weights dropped
    np.testing.assert_allclose(wc.data[~dropped], 2 * wa.data[~dropped], rtol=1e-5)   # 1/(1-p)


def test_mha_fully_masked_row_is_finite():
    m = nn.MultiheadAttention(4, 2, batch_first=True)
    x = nnkit.randn(2, 3, 4, requires_grad=True)
    kpm = np.array([[False, False, False], [True, True, True]])
    out, w = m(x, x, x, key_padding_mask=kpm)
    assert np.isfinite(out.data).all() and np.isfinite(w.data).all()
    out.sum().backward()
    assert np.isfinite(x.grad).all()


def test_mha_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads.*10.*3"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="dropout must be in"):
        nn.MultiheadAttention(8, 2, dropout=1.5)
    m = nn.MultiheadAttention(8, 2)
    x = nnkit.randn(5, 3, 8)
    with pytest.raises(ValueError, match=r"query with last dimension 8, got query of shape \(5, 3, 6\)"):
        m(nnkit.randn(5, 3, 6), x, x)
    with pytest.raises(ValueError, match=r"key_padding_mask of shape \(3, 5\).*\(5, 3\)"):
        m(x, x, x, key_padding_mask=np.zeros((5, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(5, 5\) or \(6, 5, 5\), got \(4, 4\)"):
        m(x, x, x, attn_mask=np.zeros((4, 4), dtype=bool))
    with pytest.raises(ValueError, match="same batch size"):
        m(x, nnkit.randn(5, 2, 8), nnkit.randn(5, 2, 8))
    with pytest.raises(ValueError, match="2 .* or 3 dimensions"):
        m(nnkit.randn(8), nnkit.randn(8), nnkit.randn(8))
    with pytest.raises(ValueError, match="is_causal=True needs attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(TypeError, match="bool or float mask"):
        m(x, x, x, attn_mask=np.zeros((5, 5), dtype=np.int64))


def test_mha_state_unchanged_after_a_rejected_call():
    m = nn.MultiheadAttention(8, 2)
    before = {k: v.data.copy() for k, v in m.state_dict().items()}
    with pytest.raises(ValueError):
        m(nnkit.randn(5, 3, 8), nnkit.randn(5, 3, 8), nnkit.randn(5, 3, 8),
          attn_mask=np.zeros((2, 2), dtype=bool))
    after = m.state_dict()
    assert all(np.array_equal(before[k], after[k].data) for k in before)
