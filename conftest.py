"""Settings for every pytest run (unit tests and the notebooks under nbval).

One BLAS thread: the two test workers and their notebook kernels share 2 cores, and a matrix product's
last bits depend on how BLAS splits it across threads, so the committed outputs (made by
tools/nbexec.py with the same setting) are reproduced exactly.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
