"""Run the unit tests and every notebook under nbval on other machines' arithmetic.

    python tools/portability.py                    # the whole matrix (what `make portability` runs)
    python tools/portability.py notebooks/09_regularization.ipynb   # one chapter, every configuration
    python tools/portability.py --list             # the configurations this CPU can run, and exit

A committed output that strict nbval compares must be identical on every reader's machine. What changes
between machines is the last bits of floating-point results:

- NumPy's OpenBLAS picks a matrix-multiply kernel for the CPU (SSE3, AVX, AVX2+FMA, AVX-512); each sums
  in its own order. `OPENBLAS_CORETYPE` forces a kernel, so one CPU can play several machines.
- Several BLAS threads split a product differently from one thread (`OPENBLAS_NUM_THREADS`).
- NumPy's own loops (exp, log, tanh, sums) take the widest SIMD the CPU has;
  `NPY_DISABLE_CPU_FEATURES` makes them take the baseline path of an older CPU.

Each configuration runs `pytest tests notebooks -m "not book"` in a fresh process with that environment
(the book build and browser checks do not depend on the arithmetic). The machine's own
`OPENBLAS_CORETYPE` and thread settings are overridden, so the result does not depend on them. Kernels
the CPU cannot execute are skipped and listed as such (forcing one crashes with an illegal instruction).
The table (configuration, result, time) is printed and written to `_build/portability.md`.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# OpenBLAS x86-64 kernels and the CPU flags (from /proc/cpuinfo) each one needs.
X86_KERNELS = {
    "Haswell": {"avx2", "fma"},
    "SkylakeX": {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"},
    "Sandybridge": {"avx"},
    "Nehalem": {"sse4_2"},
    "Prescott": {"pni"},  # SSE3 ("pni" in /proc/cpuinfo)
}
# NumPy's dispatch groups above its x86-64 baseline, switched off to run the baseline loops.
NUMPY_BASELINE = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"


@dataclass
class Config:
    name: str
    env: dict = field(default_factory=dict)
    workers: int = 2
    skip: str = ""  # why this CPU cannot run it


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def own_kernel() -> str:
    """The OpenBLAS kernel NumPy picks on this CPU without OPENBLAS_CORETYPE ('' if unknown)."""
    code = ("import ctypes, glob, os, numpy\n"
            "for lib in glob.glob(os.path.dirname(numpy.__file__) + '.libs/*openblas*'):\n"
            "    L = ctypes.CDLL(lib)\n"
            "    for name in ('scipy_openblas_get_corename64_', 'scipy_openblas_get_corename',\n"
            "                 'openblas_get_corename64_', 'openblas_get_corename'):\n"
            "        if hasattr(L, name):\n"
            "            f = getattr(L, name); f.restype = ctypes.c_char_p; print(f().decode()); raise SystemExit\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return out.stdout.strip()


def configurations() -> list[Config]:
    one = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    configs = [Config("own kernel, 1 thread", {"OPENBLAS_CORETYPE": None, **one}),
               # one test worker, so that its two BLAS threads have the machine's two cores
               Config("own kernel, 2 BLAS threads", {"OPENBLAS_CORETYPE": None, "OPENBLAS_NUM_THREADS": "2",
                                                      "OMP_NUM_THREADS": "2"}, workers=1)]
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        flags, own = cpu_flags(), own_kernel()
        configs[0].name = f"own kernel ({own or 'unknown'}), 1 thread"
        for kernel, needs in X86_KERNELS.items():
            missing = sorted(needs - flags)
            skip = (f"CPU lacks {', '.join(missing)}" if missing else
                    "the own kernel, run above" if kernel.lower() == own.lower() else "")
            configs.append(Config(f"OPENBLAS_CORETYPE={kernel}", {"OPENBLAS_CORETYPE": kernel, **one}, skip=skip))
        configs.append(Config("NumPy baseline SIMD loops", {"OPENBLAS_CORETYPE": None,
                                                            "NPY_DISABLE_CPU_FEATURES": NUMPY_BASELINE, **one}))
    elif machine in ("aarch64", "arm64"):
        # the generic ARMv8 kernel against whatever this CPU's own is (Neoverse, Apple M, ...)
        configs.append(Config("OPENBLAS_CORETYPE=ARMV8", {"OPENBLAS_CORETYPE": "ARMV8", **one}))
    return configs


def run(config: Config, targets: list[str]) -> tuple[int, float, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES")}
    env.update({k: v for k, v in config.env.items() if v is not None})
    cmd = [sys.executable, "-m", "pytest", *targets, "-m", "not book", "-q", "--no-header", "-p", "no:randomly",
           "-n", str(config.workers), "--durations=0"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    summary = lines[-1].strip("= ") if lines else proc.stderr[-300:]
    if proc.returncode:
        failed = [l for l in proc.stdout.splitlines() if l.startswith(("FAILED", "ERROR"))]
        summary += "\n" + "\n".join("    " + l for l in failed[:40])
    return proc.returncode, seconds, summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", help="test files or notebooks (default: tests and notebooks)")
    ap.add_argument("--list", action="store_true", help="print the configurations and exit")
    args = ap.parse_args(argv)
    configs = configurations()
    if args.list:
        for c in configs:
            print(f"{c.name:32s} {'skipped: ' + c.skip if c.skip else ''}")
        return 0
    targets = args.targets or ["tests", "notebooks"]
    py = platform.python_version()
    rows, worst = [], 0
    for c in configs:
        if c.skip:
            rows.append(f"| {c.name} | {py} | skipped ({c.skip}) | |")
            print(f"-- {c.name}: skipped ({c.skip})", flush=True)
            continue
        print(f"-- {c.name} ...", flush=True)
        code, seconds, summary = run(c, targets)
        worst = max(worst, code)
        first = summary.splitlines()[0]
        print(f"   {'ok' if code == 0 else 'FAILED'} in {seconds:.0f} s: {summary}", flush=True)
        rows.append(f"| {c.name} | {py} | {'passed' if code == 0 else 'FAILED'}: {first} | {seconds:.0f} s |")
    table = "\n".join(["| configuration | Python | result | time |", "|---|---|---|---|", *rows])
    out = ROOT / "_build" / "portability.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(f"Targets: {' '.join(targets)}\n\n{table}\n", encoding="utf-8")
    print("\n" + table)
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main())
