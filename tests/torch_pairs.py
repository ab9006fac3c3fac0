"""What the torch parity tests share (imported by them after ``pytest.importorskip("torch")``; not a
test file itself): float64 as torch's default dtype during each test, the same data as an nnkit and
a torch tensor, and one comparison of the two."""
import numpy as np
import pytest
import torch

import nnkit


@pytest.fixture(autouse=True)
def float64_default():
    """Compare in float64; restore torch's default afterwards so other test files see float32."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def pair(a, requires_grad=True):
    """Same float64 data as an nnkit Tensor and a torch tensor."""
    a = np.asarray(a, dtype=np.float64)
    return (nnkit.Tensor(a.copy(), requires_grad=requires_grad),
            torch.tensor(a.copy(), requires_grad=requires_grad))


def close(a, b, rtol=1e-9, atol=1e-9):
    """assert_allclose of an nnkit Tensor (or array) against a torch tensor (or array)."""
    a = a.data if isinstance(a, nnkit.Tensor) else a
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
