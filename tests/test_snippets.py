"""Every snippet runs standalone, as a reader runs it: ``python snippets/<path>.py``."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from conftest import SNIPPETS

ALL = sorted(p.relative_to(SNIPPETS).as_posix() for p in SNIPPETS.rglob("*.py"))


@pytest.mark.parametrize("snippet_id", ALL)
def test_snippet_runs_standalone_from_an_empty_directory(snippet_id, tmp_path):
    # pytest -n 2 runs two snippets at once on two cores: one thread each, as in the build.
    one_thread = {
        name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    env = {**os.environ, "MPLBACKEND": "Agg", **one_thread}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(SNIPPETS / snippet_id)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, f"snippets/{snippet_id} failed:\n{proc.stderr[-4000:]}"
    assert seconds < 60, f"snippets/{snippet_id} took {seconds:.1f} s (limit 60 s)"
