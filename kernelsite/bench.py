"""``make bench``: how fast the site builds, against its budgets (speed is measured here, never
asserted by a test).

1. Every snippet runs alone, as a reader runs it (a fresh ``python <name>.py`` in a folder
   holding only it and its helpers, one thread), two at a time; its CPU seconds come from the
   kernel's accounting of the child process, so a busy machine changes the wall time, not the
   CPU time. The import cost subtracted from each is measured the same way.
2. A cold build (empty cache) and a build with nothing changed, both into a scratch folder.
3. The edit loop: how long ``make serve`` takes to rebuild after a one-word prose edit (in one
   process, as the server does, on a copy of docs/).

Exits non-zero when a budget is exceeded. The build budgets assume an idle machine.

Machines differ (the same cold build took 53 s on one 2-core machine and about 110 s on
another), so every figure is also given in machine units: multiples of a fixed reference workload
(a small convolution's forward and backward passes on one thread) timed in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kernelsite import runner

ROOT = Path(__file__).resolve().parents[1]
BUDGETS = {  # name: (limit, unit)
    "slowest snippet, CPU": (15.0, "s"),
    "all snippets, CPU beyond imports": (120.0, "s"),
    "cold build, wall": (60.0, "s"),
    "no-change rebuild, wall": (3.0, "s"),
    "prose edit while serving, wall": (2.0, "s"),
}
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


@dataclass
class Timing:
    name: str
    cpu: float
    wall: float


def timed(command: list[str], cwd: Path, env: dict | None = None) -> Timing:
    """Run ``command``; its CPU time (user + system, all threads) and wall time."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()[-3000:]}")
    return Timing(command[-1], usage.ru_utime + usage.ru_stime, wall)


def run_alone(snippet: runner.Snippet) -> Timing:
    with tempfile.TemporaryDirectory() as folder:
        for path in (snippet.path, *snippet.helpers):
            shutil.copy(path, folder)
        env = {**os.environ, "MPLBACKEND": "Agg", **ONE_THREAD}
        timing = timed([sys.executable, snippet.path.name], Path(folder), env)
    return Timing(snippet.id, timing.cpu, timing.wall)


SHARED_IMPORTS = ["numpy", "scipy.signal", "scipy.ndimage", "torch", "matplotlib.pyplot"]


def import_cost() -> float:
    """CPU seconds a process spends importing the libraries (nearly) every snippet uses, measured
    as the snippets are: two processes at a time (the median of six)."""
    command = [sys.executable, "-c", f"import {', '.join(SHARED_IMPORTS)}"]
    env = {**os.environ, **ONE_THREAD}
    with ThreadPoolExecutor(max_workers=2) as pool:
        return statistics.median(pool.map(lambda _: timed(command, ROOT, env).cpu, range(6)))


# The reference workload: typical snippet work (convolutions, autograd) on one thread. It prints
# the CPU seconds of its loop alone, without the imports.
REFERENCE = """
import time, torch
torch.set_num_threads(1)
torch.manual_seed(0)
x, conv = torch.randn(32, 8, 32, 32), torch.nn.Conv2d(8, 16, 3)
start = time.process_time()
for _ in range(100):
    conv(x).square().mean().backward()
print(time.process_time() - start)
"""


def reference_seconds() -> float:
    """CPU seconds of the reference workload on this machine (the median of five runs)."""
    command = [sys.executable, "-c", REFERENCE]
    env = {**os.environ, **ONE_THREAD}
    runs = [
        float(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
        for _ in range(5)
    ]
    return statistics.median(runs)


def build(site: Path, cache: Path) -> float:
    env = {**os.environ, "KERNELSITE_CACHE": str(cache), "NO_MKDOCS_2_WARNING": "1"}
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)]
    return timed(mkdocs, ROOT, env).wall


def prose_edit(site: Path, cache: Path) -> float:
    """Wall seconds from saving a one-word edit of a page to the rebuilt site, rebuilt as
    ``mkdocs serve`` does: configuration read again, build in the same (warm) process."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    os.environ["KERNELSITE_CACHE"] = str(cache)
    with tempfile.TemporaryDirectory() as docs:
        shutil.copytree(ROOT / "docs", docs, dirs_exist_ok=True)

        def rebuild() -> float:
            config = load_config(str(ROOT / "mkdocs.yml"), docs_dir=docs, site_dir=str(site))
            config.plugins.on_startup(command="serve", dirty=False)
            start = time.perf_counter()
            mkdocs_build(config, serve_url="http://127.0.0.1:8000/")
            return time.perf_counter() - start

        rebuild()  # the server's first build
        page = Path(docs) / "index.md"
        page.write_text(page.read_text(encoding="utf-8") + "\nOne more word.\n", "utf-8")
        return rebuild()


def figure_cpu(results: dict[str, runner.Result]) -> None:
    """The CPU seconds the build spent saving figures (each in all its variants and formats),
    as capture recorded them after each snippet's run."""
    total = sum(r.figure_cpu_seconds for r in results.values())
    print(f"\nsaving figures (cold build): {total:.1f} s of CPU over {len(results)} snippets")
    for result in sorted(results.values(), key=lambda r: -r.figure_cpu_seconds)[:5]:
        print(f"  {result.snippet.id:43s} {result.figure_cpu_seconds:7.1f}")


def report(measured: dict[str, float], reference: float) -> bool:
    ok = True
    print(f"\nbudgets (1 machine unit = the reference workload, {reference:.2f} s of CPU here):")
    for name, value in measured.items():
        limit, unit = BUDGETS[name]
        verdict = "ok" if value <= limit else "OVER BUDGET"
        ok &= value <= limit
        print(
            f"  {name:34s} {value:7.1f} {unit} = {value / reference:6.1f} units"
            f"  (budget {limit:g} {unit} = {limit / reference:.1f} units)  {verdict}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-build", action="store_true", help="time the snippets only")
    args = parser.parse_args()
    snippets = runner.discover(ROOT / "snippets", runner.lock_salt(ROOT))
    reference = reference_seconds()
    print(f"reference workload: {reference:.2f} s of CPU (one machine unit)")
    imports = import_cost()
    print(f"importing numpy, scipy, torch, matplotlib: {imports:.1f} s of CPU per process")
    with ThreadPoolExecutor(max_workers=2) as pool:
        timings = list(pool.map(run_alone, snippets))
    print(f"\n{'snippet':45s} {'CPU s':>7s} {'wall s':>7s}")
    for timing in timings:
        print(f"{timing.name:45s} {timing.cpu:7.1f} {timing.wall:7.1f}")
    total = sum(t.cpu for t in timings)
    beyond = sum(max(0.0, t.cpu - imports) for t in timings)
    print(f"{'total':45s} {total:7.1f} {sum(t.wall for t in timings):7.1f}")
    print("\nslowest five (CPU):")
    for timing in sorted(timings, key=lambda t: -t.cpu)[:5]:
        print(f"  {timing.name:43s} {timing.cpu:7.1f}")
    measured = {
        "slowest snippet, CPU": max(t.cpu for t in timings),
        "all snippets, CPU beyond imports": beyond,
    }
    if not args.no_build:
        with tempfile.TemporaryDirectory() as scratch:
            site, cache = Path(scratch) / "site", Path(scratch) / "cache"
            measured["cold build, wall"] = build(site, cache)
            figure_cpu(runner.cached_results(snippets, cache / "snippets"))
            measured["no-change rebuild, wall"] = build(site, cache)
            measured["prose edit while serving, wall"] = prose_edit(site, cache)
    return 0 if report(measured, reference) else 1


if __name__ == "__main__":
    sys.exit(main())
