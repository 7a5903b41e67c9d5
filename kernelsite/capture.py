"""Run one snippet in this process and capture what it produced.

Runs in a fresh child process (forked from a server that has already imported the heavy
libraries). The snippet runs as a reader runs its download: ``python <name>.py``, as
``__main__``, in a folder holding only the snippet and the helper modules it imports (the
``.py`` download, or the ``.zip`` unpacked), that folder first on ``sys.path``. A helper the
download would lack, or a file beside the snippet that it would not ship, fails the build.
"""

from __future__ import annotations

import contextlib
import hashlib
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

from kernelsite import downloads  # noqa: E402
from kernelsite.figures import save_figures  # noqa: E402
from kernelsite.runner import Record  # noqa: E402
from kernelsite.values import simple_values  # noqa: E402

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


def limit_cpu(seconds: float) -> None:
    """Let the kernel stop this process (SIGXCPU) once it has used ``seconds`` of CPU time."""
    limit = math.ceil(seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 5))


def run(
    snippet: Path,
    helpers: tuple[Path, ...],
    out_dir: Path,
    threads: int,
    cpu_limit: float,
    environment: dict[str, str] | None = None,
) -> None:
    """Run ``snippet`` beside ``helpers`` with ``environment`` added to its environment; write
    ``result.json`` (or ``error.json``) into ``out_dir``, and what it wrote into
    ``out_dir/files``."""
    import torch
    from threadpoolctl import threadpool_limits

    limit_cpu(cpu_limit)
    os.environ.update(environment or {})

    # Snippets run side by side: each gets its share of the cores, in torch and in numpy's BLAS.
    torch.set_num_threads(threads)
    threadpool_limits(threads)
    out_dir, source = out_dir.resolve(), snippet.parent.resolve()
    work = out_dir / "files"  # the reader's folder: the download's files, then what it writes
    work.mkdir()
    ran = {}  # file name -> SHA-256 of the bytes run (the downloads hold the same bytes)
    for path in (snippet, *helpers):
        data = path.read_bytes()
        (work / path.name).write_bytes(data)
        ran[path.name] = hashlib.sha256(data).hexdigest()
    script = work / snippet.name
    os.chdir(work)
    sys.path.insert(0, str(work))
    sys.argv = [snippet.name]
    sys.dont_write_bytecode = True
    plt.show = lambda *args, **kwargs: None  # figures are collected after the run
    stdout = io.StringIO()
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        with contextlib.redirect_stdout(stdout), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            namespace = runpy.run_path(str(script), run_name="__main__")
    except BaseException as error:  # report everything, including SystemExit
        tb = error.__traceback__  # drop this module's and runpy's frames
        while tb is not None and Path(tb.tb_frame.f_code.co_filename) != script:
            tb = tb.tb_next
        frames = traceback.extract_tb(tb)
        line = next((f.lineno for f in reversed(frames) if Path(f.filename) == script), None)
        if isinstance(error, SyntaxError) and Path(error.filename or "") == script:
            line = error.lineno
        # the frames name the sources, whose bytes (so line numbers) the copies have
        trace = "".join(traceback.format_exception(type(error), error, tb)).replace(
            f'File "{work}{os.sep}', f'File "{source}{os.sep}'
        )
        (out_dir / "error.json").write_text(
            json.dumps(
                {
                    "line": line,
                    "error": "".join(traceback.format_exception_only(error)).strip(),
                    "traceback": trace,
                    "stdout": stdout.getvalue(),
                }
            )
        )
        raise SystemExit(1) from None
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    figures_cpu = time.process_time()
    figures = save_figures(out_dir)
    figures_cpu = time.process_time() - figures_cpu
    record = Record(
        seconds=round(seconds, 2),
        cpu_seconds=round(cpu_seconds, 2),
        figure_cpu_seconds=round(figures_cpu, 2),  # every variant, every format
        stdout=stdout.getvalue(),
        warnings=[
            f"{w.filename.replace(str(work), str(source))}:{w.lineno}: "
            f"{w.category.__name__}: {w.message}"
            for w in caught
        ],
        values=simple_values(namespace),
        figures=figures,
        ran=ran,
    )
    os.chdir(out_dir)
    for name in ran:
        (work / name).unlink(missing_ok=True)
    record.files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file())
    record.downloads = downloads.write(snippet, list(helpers), out_dir)
    (out_dir / "result.json").write_text(record.to_json(), encoding="utf-8")
