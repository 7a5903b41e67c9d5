"""Run one snippet in this process and capture what it produced.

Runs in a fresh child process (forked from a server that has already imported the heavy
libraries). The snippet is executed exactly as ``python snippets/<path>.py`` would run it:
as ``__main__``, from an empty working directory, with its own folder first on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import resource
import runpy
import sys
import time
import traceback
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from kernelsite.figures import save_figures  # noqa: E402

# torch._dynamo: the first optimiser step imports it (about 2 s of CPU), so it is loaded once too.
PRELOAD = [
    "numpy",
    "scipy.signal",
    "scipy.ndimage",
    "torch",
    "torch._dynamo",
    "matplotlib.pyplot",
    __name__,
]
MAX_STR = 20_000
MAX_ITEMS = 1_000


def simple_value(value):
    """Return a JSON-able copy of a 'simple' value (number, string, short list/dict), else None."""
    if isinstance(value, bool | int | str) and not (
        isinstance(value, str) and len(value) > MAX_STR
    ):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if type(value).__module__ in ("numpy", "torch") and getattr(value, "ndim", None) == 0:
        return simple_value(value.item())
    if isinstance(value, list | tuple) and len(value) <= MAX_ITEMS:
        items = [simple_value(v) for v in value]
        return items if all(i is not None for i in items) else None
    if (
        isinstance(value, dict)
        and len(value) <= MAX_ITEMS
        and all(isinstance(k, str) for k in value)
    ):
        items = {k: simple_value(v) for k, v in value.items()}
        return items if all(i is not None for i in items.values()) else None
    return None


def simple_values(namespace: dict) -> dict:
    found = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        simple = simple_value(value)
        if simple is not None:
            found[name] = simple
    return found


def limit_cpu(seconds: float) -> None:
    """Let the kernel stop this process (SIGXCPU) once it has used ``seconds`` of CPU time."""
    limit = math.ceil(seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))


def run(snippet: Path, out_dir: Path, threads: int, cpu_limit: float) -> None:
    """Run ``snippet``; write ``result.json`` (or ``error.json``) into ``out_dir``."""
    import torch
    from threadpoolctl import threadpool_limits

    limit_cpu(cpu_limit)

    # Snippets run side by side: each gets its share of the cores, in torch and in numpy's BLAS.
    torch.set_num_threads(threads)
    threadpool_limits(threads)
    snippet, out_dir = snippet.resolve(), out_dir.resolve()
    work = out_dir / "cwd"
    work.mkdir()
    os.chdir(work)
    sys.path.insert(0, str(snippet.parent))
    sys.argv = [str(snippet)]
    sys.dont_write_bytecode = True
    plt.show = lambda *args, **kwargs: None  # figures are collected after the run
    stdout = io.StringIO()
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        with contextlib.redirect_stdout(stdout), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            namespace = runpy.run_path(str(snippet), run_name="__main__")
    except BaseException as error:  # report everything, including SystemExit
        tb = error.__traceback__  # drop this module's and runpy's frames
        while tb is not None and Path(tb.tb_frame.f_code.co_filename) != snippet:
            tb = tb.tb_next
        frames = traceback.extract_tb(tb)
        line = next((f.lineno for f in reversed(frames) if Path(f.filename) == snippet), None)
        if isinstance(error, SyntaxError) and Path(error.filename or "") == snippet:
            line = error.lineno
        (out_dir / "error.json").write_text(
            json.dumps(
                {
                    "line": line,
                    "error": "".join(traceback.format_exception_only(error)).strip(),
                    "traceback": "".join(traceback.format_exception(type(error), error, tb)),
                    "stdout": stdout.getvalue(),
                }
            )
        )
        raise SystemExit(1) from None
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    result = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "stdout": stdout.getvalue(),
        "warnings": [
            f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in caught
        ],
        "values": simple_values(namespace),
        "figures": save_figures(out_dir),
    }
    os.chdir(out_dir)
    files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
    work.rename(out_dir / "files")
    result["files"] = files
    (out_dir / "result.json").write_text(json.dumps(result, indent=1, sort_keys=True))
