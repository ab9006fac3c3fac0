"""Private helpers that more than one file of ``nnkit.nn`` needs (and nothing else: a helper
that one file uses lives in that file).

- ``_pair``: an int or a pair of ints (kernel size, stride, padding) as a pair;
- ``_out_size``: the output height and width of a sliding-window op (conv, pools), with its
  checks;
- ``_tap``: the strided view of a padded batch that one kernel offset (u, v) sees;
- ``_check_dtypes``: PyTorch's error when a layer's input and parameters differ in dtype.
"""
from __future__ import annotations


def _pair(v, name="kernel_size"):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair, got {v!r}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _out_size(fn, x_shape, kh, kw, sh, sw, ph, pw):
    """(OH, OW) = (floor((H + 2 pH - kH) / sH) + 1, floor((W + 2 pW - kW) / sW) + 1) for an
    (N, C, H, W) input; raises naming ``fn`` on a bad stride, padding or a kernel that does not fit."""
    if len(x_shape) != 4:
        raise ValueError(f"{fn}: expected 4-D input (N, C, H, W), got input of shape {tuple(x_shape)}")
    if sh < 1 or sw < 1:
        raise ValueError(f"{fn}: stride must be positive, got {(sh, sw)}")
    if ph < 0 or pw < 0:
        raise ValueError(f"{fn}: padding must be non-negative, got {(ph, pw)}")
    H, W = x_shape[2] + 2 * ph, x_shape[3] + 2 * pw
    if kh > H or kw > W:
        raise ValueError(f"{fn}: kernel size ({kh}, {kw}) is larger than the padded input "
                         f"({H}, {W}) (input of shape {tuple(x_shape)}, padding {(ph, pw)})")
    return (H - kh) // sh + 1, (W - kw) // sw + 1


def _tap(a, u, v, sh, sw, oh, ow):
    """``a[:, :, sh * i + u, sw * j + v]`` for every output pixel (i, j) < (oh, ow): the
    (N, C, OH, OW) view of the padded input that kernel offset (u, v) meets, without a copy.
    Writing into it (``+=``) scatters back to those positions."""
    return a[:, :, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw]


def _check_dtypes(fn, x, what="input", **params):
    """Raise, as PyTorch does, when the input ``x`` and a parameter (``weight=w, bias=b``, ...;
    None is skipped) have different dtypes: a float64 batch into a float32 layer is an error, not
    a silent upcast."""
    for name, p in params.items():
        if p is not None and p.dtype != x.dtype:
            raise RuntimeError(f"{fn}: expected {what} and {name} to have the same dtype, but got {what} of dtype "
                               f"{x.dtype} and {name} of dtype {p.dtype} (PyTorch: 'mat1 and mat2 must have the "
                               f"same dtype'); convert the {what} with .to({p.dtype}) (e.g. .float()), or the "
                               f"layer with .to({x.dtype})")
