"""``make replicate``: every comparison again on a second, disjoint batch of seeds.

A comparison snippet imports ``paired`` (``snippets/common/paired.py``), draws its seeds with
its ``seeds(n)`` and records each comparison as the dict ``paired.paired`` returns. This runs
such a snippet as the build does (a folder holding only it and its helpers, one thread), with
``FIRST_SEED`` set, and lists every verdict it recorded. The first batch is the build's own run
(read from the snippet cache, or run here when the cache lacks it); the second starts at
``OFFSET``, far past any batch a page uses, so the two share no seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kernelsite import runner

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "snippets"
CACHE = ROOT / os.environ.get("KERNELSITE_CACHE", ".cache") / "snippets"
OFFSET = 1000


def comparison_snippets() -> list[runner.Snippet]:
    """The snippets that import ``paired`` and draw their seeds with its ``seeds(n)``."""
    lock = (ROOT / "requirements.lock").read_bytes()
    return [
        s
        for s in runner.discover(SNIPPETS, lock)
        if any(h.stem == "paired" for h in s.helpers) and "seeds(" in s.path.read_text()
    ]


def verdicts(values, path: str = "") -> dict[str, dict]:
    """Every ``paired.paired`` result among a snippet's values, by its name (``gap.a_b``)."""
    if isinstance(values, dict):
        if {"verdict", "mean", "se", "p"} <= values.keys():
            return {path: values}
        found = {}
        for key, value in values.items():
            found |= verdicts(value, f"{path}.{key}" if path else str(key))
        return found
    return {}


def run(snippet: runner.Snippet, first_seed: int) -> dict:
    """The values ``snippet`` records when its seeds start at ``first_seed``."""
    if first_seed == 0 and (CACHE / snippet.key / "result.json").is_file():
        return json.loads((CACHE / snippet.key / "result.json").read_text())["values"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        code = (
            "import sys; from pathlib import Path; from kernelsite import capture; "
            "capture.run(Path(sys.argv[1]), tuple(map(Path, sys.argv[3:])), Path(sys.argv[2]), "
            f"1, {runner.CPU_LIMIT})"
        )
        helpers = [str(h) for h in snippet.helpers]
        env = {**os.environ, "FIRST_SEED": str(first_seed), "MPLBACKEND": "Agg"}
        command = [sys.executable, "-c", code, str(snippet.path), str(out), *helpers]
        subprocess.run(command, env=env, cwd=ROOT, check=False, capture_output=True)
        if not (out / "result.json").is_file():
            error = json.loads((out / "error.json").read_text())
            raise RuntimeError(f"snippets/{snippet.id}:{error['line']}: {error['error']}")
        return json.loads((out / "result.json").read_text())["values"]


def both_batches(snippet: runner.Snippet) -> dict[str, tuple[dict, dict]]:
    """Each comparison of ``snippet``: (first batch, second batch)."""
    first, second = verdicts(run(snippet, 0)), verdicts(run(snippet, OFFSET))
    return {name: (first[name], second[name]) for name in first}


def line(name: str, result: dict) -> str:
    return (
        f"{name}: {result['mean']:+.4f} ± {result['se']:.4f} "
        f"(p = {result['p']:.2g}, n = {result['n']}) {result['verdict']}"
    )


def main() -> int:
    snippets = comparison_snippets()
    changed = 0
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for snippet, pairs in zip(snippets, pool.map(both_batches, snippets), strict=True):
            print(f"snippets/{snippet.id}")
            for name, (first, second) in pairs.items():
                same = first["verdict"] == second["verdict"]
                changed += not same
                print(f"  {'same' if same else 'CHANGED'}  seeds from 0:    {line(name, first)}")
                print(f"        seeds from {OFFSET}: {line(name, second)}")
    print(f"{changed} verdict(s) changed on the second batch of seeds")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
