"""The glibc allocator tuning is scoped to convolutions: importing nnkit leaves malloc alone, and the
first conv2d applies it once (nnkit/_allocator.py says why and what was measured)."""
import os
import subprocess
import sys

import pytest

CHECK = """
import nnkit
from nnkit import _allocator
from nnkit.nn import functional as F
assert not _allocator._state["tried"], "importing nnkit tuned the allocator"
nnkit.nn.Linear(3, 2)(nnkit.randn(4, 3)).sum().backward()
assert not _allocator._state["tried"], "a Linear layer tuned the allocator"
F.conv2d(nnkit.randn(1, 1, 5, 5), nnkit.randn(2, 1, 3, 3))
assert _allocator._state["tried"]
print(_allocator._state["applied"])
"""


@pytest.mark.parametrize("disable", [False, True])
def test_tuning_happens_at_the_first_convolution_only(disable):
    env = {k: v for k, v in os.environ.items() if k != "NNKIT_NO_MALLOPT"}
    if disable:
        env["NNKIT_NO_MALLOPT"] = "1"
    out = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    expected = "False" if disable or not sys.platform.startswith("linux") else "True"
    assert out.stdout.strip() == expected
