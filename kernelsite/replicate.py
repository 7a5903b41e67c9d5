"""``make replicate``: every comparison again on a second, disjoint batch of seeds.

A comparison snippet imports ``paired`` (``snippets/common/paired.py``), draws its seeds with
its ``seeds(n)`` and records each comparison as the dict ``paired.paired`` returns. This runs
such a snippet as the build does (a folder holding only it and its helpers, one thread), with
``FIRST_SEED`` set, and lists every verdict it recorded. The first batch is the build's own run
(read from the snippet cache, or run here when the cache lacks it); the second starts at
``OFFSET``, far past any batch a page uses, so the two share no seed.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kernelsite import embed, plugin, runner

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "snippets"
OFFSET = 1000


def comparison_snippets() -> list[runner.Snippet]:
    """The snippets that import ``paired`` and draw their seeds with its ``seeds(n)``."""
    return [
        s
        for s in runner.discover(SNIPPETS, runner.lock_salt(ROOT))
        if any(h.stem == "paired" for h in s.helpers) and "seeds(" in s.path.read_text()
    ]


def all_verdicts(values, path: str = "") -> dict[str, dict]:
    """Every ``paired.paired`` result among a snippet's values, by its name (``gap.a_b``)."""
    if isinstance(values, dict):
        if {"verdict", "mean", "se", "p"} <= values.keys():
            return {path: values}
        found = {}
        for key, value in values.items():
            found |= all_verdicts(value, f"{path}.{key}" if path else str(key))
        return found
    return {}


def verdicts(values: dict, quoted: Iterable[str] = ()) -> dict[str, dict]:
    """Each comparison among a snippet's values once, by one of its names. A loop variable
    left at module level (``for name, result in comparison.items()``) holds a comparison that
    is recorded elsewhere too: of the names of equal results, the one kept is one a page quotes
    (``quoted``: the value names the pages quote), else the most nested one (a loop variable
    is a top-level name), else the first in order."""
    found = all_verdicts(values)
    quoted = set(quoted)

    def rank(name: str) -> tuple:
        shown = any(q == name or q.startswith((f"{name}.", f"{name}[")) for q in quoted)
        return (not shown, -name.count("."), name)

    names: dict[str, list[str]] = {}
    for name, result in found.items():
        names.setdefault(json.dumps(result, sort_keys=True), []).append(name)
    kept = {min(same, key=rank) for same in names.values()}
    return {name: result for name, result in found.items() if name in kept}


@functools.cache
def quoted_names() -> dict[str, list[str]]:
    """snippet id -> the value names the pages quote."""
    quoted = embed.quoted_values(ROOT / "docs")
    return {snippet_id: [name for name, _, _ in found] for snippet_id, found in quoted.items()}


@functools.cache
def build_results() -> dict[str, runner.Result]:
    """The results of the site's last build (its snippet cache): the first batch of seeds."""
    return plugin.cached_results(ROOT)


def run(snippet: runner.Snippet, first_seed: int) -> dict:
    """The values ``snippet`` records when its seeds start at ``first_seed``, run as the build
    runs it (one thread), in a cache of its own."""
    if first_seed == 0 and snippet.id in build_results():
        return build_results()[snippet.id].values
    with tempfile.TemporaryDirectory() as cache:
        results = runner.run_all(
            [snippet],
            Path(cache),
            jobs=1,
            threads=1,
            log=lambda message: None,
            environment={"FIRST_SEED": str(first_seed)},
        )
        return results[snippet.id].values


def both_batches(snippet: runner.Snippet) -> dict[str, tuple[dict, dict]]:
    """Each comparison of ``snippet``: (first batch, second batch)."""
    first = verdicts(run(snippet, 0), quoted_names().get(snippet.id, []))
    second = all_verdicts(run(snippet, OFFSET))
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
