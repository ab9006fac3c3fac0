"""Embedding, GELU, scaled_dot_product_attention, MultiheadAttention and the Transformer encoder
against PyTorch CPU in float64 (skipped when torch is not installed): outputs, returned weights,
gradients of inputs and of every parameter, names and shapes of the parameters."""
import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF

import nnkit
from nnkit import nn
from nnkit.nn import functional as F
from torch_pairs import close as _close, float64_default, pair  # noqa: F401  (the fixture is autouse)

RTOL, ATOL = 1e-9, 1e-10
close = functools.partial(_close, rtol=RTOL, atol=ATOL)
rng = np.random.default_rng(0)


def backward_both(outs_n, outs_t, seed=0):
    """Backpropagate the same random cotangent through each pair of outputs."""
    g = np.random.default_rng(seed)
    total_n, total_t = 0, 0
    for o_n, o_t in zip(outs_n, outs_t):
        if o_n is None:
            continue
        c = g.standard_normal(o_n.shape)
        total_n = total_n + (o_n * nnkit.Tensor(c)).sum()
        total_t = total_t + (o_t * torch.tensor(c)).sum()
    total_n.backward()
    total_t.backward()


def copy_weights(m_n, m_t):
    """Give the nnkit module the torch module's weights (same names, same shapes)."""
    state = {k: v.detach().numpy().copy() for k, v in m_t.state_dict().items()}
    assert list(state) == list(m_n.state_dict()), (list(state), list(m_n.state_dict()))
    m_n.load_state_dict(state)


def check_params(m_n, m_t):
    grads_t = dict(m_t.named_parameters())
    for name, p in m_n.named_parameters():
        close(p.grad, grads_t[name].grad)


# ---------------------------------------------------------------------------------- functional
def test_embedding_and_padding_idx():
    w, wt = pair(rng.standard_normal((7, 3)))
    idx = rng.integers(0, 7, (4, 5))
    for pad in (None, 2):
        w.grad, wt.grad = None, None
        y, yt = F.embedding(idx, w, padding_idx=pad), TF.embedding(torch.tensor(idx), wt, padding_idx=pad)
        close(y, yt)
        backward_both([y], [yt])
        close(w.grad, wt.grad)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    x, xt = pair(np.concatenate([rng.standard_normal(50) * 3, [-30.0, -8.0, 0.0, 8.0, 30.0]]))
    y, yt = F.gelu(x, approximate=approximate), TF.gelu(xt, approximate=approximate)
    close(y, yt, atol=1e-14)
    backward_both([y], [yt])
    close(x.grad, xt.grad, atol=1e-14)


SDPA_CASES = {
    "plain": {},
    "causal": {"is_causal": True},
    "scale": {"scale": 0.2},
    "bool mask": {"attn_mask": rng.random((4, 6)) > 0.3},
    "float mask per head": {"attn_mask": rng.standard_normal((3, 4, 6))},
    "fully masked row": {"attn_mask": np.array([[True] * 6, [False] * 6, [True] * 6, [True, False] * 3])},
}


@pytest.mark.parametrize("case", SDPA_CASES)
def test_scaled_dot_product_attention(case):
    q, qt = pair(rng.standard_normal((2, 3, 4, 5)))
    k, kt = pair(rng.standard_normal((2, 3, 6, 5)))
    v, vt = pair(rng.standard_normal((2, 3, 6, 7)))
    kw = SDPA_CASES[case]
    kwt = {key: torch.tensor(val) if isinstance(val, np.ndarray) else val for key, val in kw.items()}
    y = F.scaled_dot_product_attention(q, k, v, **kw)
    yt = TF.scaled_dot_product_attention(qt, kt, vt, **kwt)
    close(y, yt)
    backward_both([y], [yt])
    for a, at in ((q, qt), (k, kt), (v, vt)):
        close(a.grad, at.grad)


def test_scaled_dot_product_attention_gqa():
    q, qt = pair(rng.standard_normal((2, 4, 3, 5)))
    k, kt = pair(rng.standard_normal((2, 2, 6, 5)))
    v, vt = pair(rng.standard_normal((2, 2, 6, 5)))
    y = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    yt = TF.scaled_dot_product_attention(qt, kt, vt, enable_gqa=True)
    close(y, yt)
    backward_both([y], [yt])
    for a, at in ((q, qt), (k, kt), (v, vt)):
        close(a.grad, at.grad)


# --------------------------------------------------------------------------- MultiheadAttention
MHA_CASES = [                                          # (constructor kwargs, self-attention?)
    ({}, True),
    ({"batch_first": True}, True),
    ({"batch_first": True}, False),
    ({"bias": False}, True),
    ({"add_bias_kv": True, "add_zero_attn": True}, False),
    ({"kdim": 3, "vdim": 5, "batch_first": True}, False),
]


@pytest.mark.filterwarnings("ignore:Support for mismatched")   # bool padding + float attn mask
@pytest.mark.parametrize("case", range(len(MHA_CASES)))
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention(case, average):
    kwargs, self_att = MHA_CASES[case]
    torch.manual_seed(case)
    mt = torch.nn.MultiheadAttention(8, 2, **kwargs)
    mn = nn.MultiheadAttention(8, 2, **kwargs).double()
    assert [(n, tuple(p.shape)) for n, p in mn.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in mt.named_parameters()]
    copy_weights(mn, mt)
    bf = kwargs.get("batch_first", False)
    L, S, N = 4, 4 if self_att else 6, 3
    shape = (lambda n, d: (N, n, d)) if bf else (lambda n, d: (n, N, d))
    q, qt = pair(rng.standard_normal(shape(L, 8)))
    if self_att:
        k, kt, v, vt = q, qt, q, qt
    else:
        k, kt = pair(rng.standard_normal(shape(S, kwargs.get("kdim", 8))))
        v, vt = pair(rng.standard_normal(shape(S, kwargs.get("vdim", 8))))
    kpm = np.zeros((N, S), dtype=bool)
    kpm[1, -2:] = True
    am = rng.standard_normal((L, S))
    y, w = mn(q, k, v, key_padding_mask=kpm, attn_mask=am, average_attn_weights=average)
    yt, wt = mt(qt, kt, vt, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am),
                average_attn_weights=average)
    close(y, yt)
    close(w, wt)
    backward_both([y, w], [yt, wt])
    check_params(mn, mt)
    for a, at in ((q, qt), (k, kt), (v, vt)):
        close(a.grad, at.grad)


def test_multihead_attention_unbatched_causal_and_per_head_mask():
    torch.manual_seed(0)
    mt = torch.nn.MultiheadAttention(6, 3)
    mn = nn.MultiheadAttention(6, 3).double()
    copy_weights(mn, mt)
    x, xt = pair(rng.standard_normal((5, 6)))
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    y, w = mn(x, x, x, attn_mask=causal, is_causal=True)
    yt, wt = mt(xt, xt, xt, attn_mask=torch.tensor(causal), is_causal=True)
    close(y, yt)
    close(w, wt)
    y2, _ = mn(x, x, x, attn_mask=causal, need_weights=False)
    yt2, _ = mt(xt, xt, xt, attn_mask=torch.tensor(causal), need_weights=False)
    close(y2, yt2)
    per_head = rng.random((3, 5, 5)) > 0.7              # unbatched: (num_heads, L, S)
    per_head[:, :, 0] = False
    y3, w3 = mn(x, x, x, attn_mask=per_head, average_attn_weights=False)
    yt3, wt3 = mt(xt, xt, xt, attn_mask=torch.tensor(per_head), average_attn_weights=False)
    close(y3, yt3)
    close(w3, wt3)


def test_multihead_attention_default_init_distribution():
    """Same init scheme: Xavier-uniform in_proj_weight, zero biases."""
    torch.manual_seed(0)
    nnkit.manual_seed(0)
    mt, mn = torch.nn.MultiheadAttention(64, 4), nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))
    for w in (mn.in_proj_weight.data, mt.in_proj_weight.detach().numpy()):
        assert np.abs(w).max() <= bound and abs(w.std() - bound / np.sqrt(3)) < 0.01
    assert not mn.in_proj_bias.data.any() and not mt.in_proj_bias.detach().numpy().any()
    assert abs(mn.out_proj.weight.data.std() - mt.out_proj.weight.detach().numpy().std()) < 0.005


# ------------------------------------------------------------------------- Transformer encoder
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_encoder(norm_first, activation, batch_first):
    torch.manual_seed(0)
    kw = {"dim_feedforward": 16, "dropout": 0.0, "activation": activation, "batch_first": batch_first,
          "norm_first": norm_first}
    mt = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 2,
                                     norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
    mn = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw), 2, norm=nn.LayerNorm(8)).double()
    assert [(n, tuple(p.shape)) for n, p in mn.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in mt.named_parameters()]
    for p in mt.parameters():                         # non-trivial norms and biases
        with torch.no_grad():
            p.add_(torch.tensor(rng.standard_normal(tuple(p.shape)) * 0.1))
    copy_weights(mn, mt)
    shape = (3, 5, 8) if batch_first else (5, 3, 8)
    x, xt = pair(rng.standard_normal(shape))
    mask = np.triu(np.ones((5, 5), dtype=bool), 1)       # bool, as the padding mask
    kpm = np.zeros((3, 5), dtype=bool)
    kpm[2, -1] = True
    y = mn(x, mask=mask, src_key_padding_mask=kpm, is_causal=True)
    yt = mt(xt, mask=torch.tensor(mask), src_key_padding_mask=torch.tensor(kpm), is_causal=True)
    close(y, yt)
    backward_both([y], [yt])
    check_params(mn, mt)
    close(x.grad, xt.grad)


def test_transformer_encoder_layer_defaults_match():
    lt, ln = torch.nn.TransformerEncoderLayer(16, 4), nn.TransformerEncoderLayer(16, 4)
    assert [n for n, _ in ln.named_children()] == [n for n, _ in lt.named_children()]
    assert lt.linear1.out_features == ln.linear1.out_features == 2048
    assert lt.dropout.p == ln.dropout.p == 0.1 and lt.norm1.eps == ln.norm1.eps
    assert lt.norm_first == ln.norm_first is False
    assert lt.self_attn.batch_first == ln.self_attn.batch_first is False


def test_causal_mask_matches_pytorch():
    ours = nnkit.nn.transformer.generate_square_subsequent_mask(6, dtype=np.float64)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.float64).numpy()
    np.testing.assert_array_equal(ours, theirs)
