"""glibc malloc tuning for convolutional training loops (Linux only; a no-op elsewhere).

A CNN training step allocates and frees the same large arrays every iteration (im2col strips,
padded images, their gradients). With glibc's defaults many of them are mapped afresh and unmapped
on free, so every step pays page faults to zero new pages: measured on the project's machine,
6,800 minor page faults per step of ``benchmarks/bench.py``'s CNN and 2.2-2.4x its CPU time
(43-47 ms against 19-21 ms per step). The MLP, RNN and ``Linear`` workloads page-fault not at all
either way (glibc's adaptive threshold covers their arrays), and their times do not change.

So the tuning is scoped to where it pays off: ``conv2d`` calls ``tune_allocator_once()`` the
first time it runs, and a process that never convolves keeps glibc's defaults. It asks glibc to
keep freed blocks of up to 32 MB in its heap (the mmap threshold) and not to hand memory back to
the OS until 256 MB are free (the trim threshold). Set the environment variable
``NNKIT_NO_MALLOPT=1`` to skip it.
"""
import ctypes
import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3     # mallopt parameters, from glibc's malloc.h
_state = {"tried": False, "applied": False}


def tune_allocator():
    """Apply the tuning now; returns True if applied. Skipped (False) off Linux/glibc or when
    ``NNKIT_NO_MALLOPT`` is set."""
    if os.environ.get("NNKIT_NO_MALLOPT") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
                    and libc.mallopt(_M_TRIM_THRESHOLD, 256 * 1024 * 1024))
    except (OSError, AttributeError):  # not glibc
        return False


def tune_allocator_once():
    """``tune_allocator()`` the first time it is called in the process; afterwards a dict lookup."""
    if not _state["tried"]:
        _state["tried"] = True
        _state["applied"] = tune_allocator()
    return _state["applied"]
