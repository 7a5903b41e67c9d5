"""Run snippets in parallel, once per content hash, and cache what they produced.

A cache entry is a folder ``<cache>/<key>/`` holding ``result.json``, the figures, the files the
snippet wrote, and the ``.py``/``.ipynb`` downloads. It is assembled in ``<cache>/tmp/`` and moved
into place with one atomic rename, only after the snippet succeeded: an interrupted or failed run
leaves nothing that a later build would trust.
"""

from __future__ import annotations

import ast
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jupytext

from kernelsite import capture

GLUE_FILES = [Path(capture.__file__), Path(__file__)]


@dataclass(frozen=True)
class Snippet:
    id: str  # path below the snippets folder, e.g. "notation/flip.py"
    path: Path
    key: str


@dataclass
class Result:
    snippet: Snippet
    folder: Path
    cached: bool
    seconds: float = 0.0
    stdout: str = ""
    warnings: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass
class Failure:
    snippet: Snippet
    line: int | None
    error: str
    traceback: str = ""

    def __str__(self) -> str:
        where = f"snippets/{self.snippet.id}" + (f":{self.line}" if self.line else "")
        return f"{where}: {self.error}"


class SnippetError(Exception):
    def __init__(self, failures: list[Failure]):
        self.failures = failures
        super().__init__("\n".join(str(f) for f in failures))


def local_imports(path: Path) -> list[Path]:
    """Sibling modules a snippet imports (found by reading its source), recursively."""
    found: list[Path] = []
    todo = [path]
    while todo:
        tree = ast.parse(todo.pop().read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                module = path.parent / f"{name.split('.')[0]}.py"
                if module.is_file() and module != path and module not in found:
                    found.append(module)
                    todo.append(module)
    return sorted(found)


def fingerprint(paths: list[Path], salt: bytes = b"") -> str:
    digest = hashlib.sha256(salt)
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def discover(snippets_dir: Path, salt: bytes = b"") -> list[Snippet]:
    """Every ``*.py`` below ``snippets_dir``; its key hashes its source, its local imports,
    the build glue and ``salt`` (the dependency lock)."""
    glue = fingerprint(GLUE_FILES, salt).encode()
    snippets = []
    for path in sorted(snippets_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        key = fingerprint([path, *local_imports(path)], glue)
        snippets.append(Snippet(path.relative_to(snippets_dir).as_posix(), path, key))
    return snippets


def write_notebook(source: str, target: Path) -> None:
    """Write a jupytext percent file as ``.ipynb``, with cell ids derived from the cells' text
    (jupytext draws random ones), so the download is the same file on every build."""
    notebook = jupytext.reads(source, fmt="py:percent")
    for number, cell in enumerate(notebook.cells):
        cell.id = hashlib.sha256(f"{number}:{cell.source}".encode()).hexdigest()[:8]
    jupytext.write(notebook, target, fmt="ipynb")


def load(snippet: Snippet, folder: Path, cached: bool) -> Result:
    os.utime(folder)  # marks the entry as recently used, see evict()
    data = json.loads((folder / "result.json").read_text())
    return Result(snippet, folder, cached, **data)


def _finish(snippet: Snippet, tmp: Path, exitcode: int, cache_dir: Path) -> Result | Failure:
    error_file = tmp / "error.json"
    if exitcode != 0 or not (tmp / "result.json").is_file():
        if error_file.is_file():
            error = json.loads(error_file.read_text())
            return Failure(snippet, error["line"], error["error"], error["traceback"])
        return Failure(snippet, None, f"the snippet's process died (exit code {exitcode})")
    # The downloads: the exact source, and the same file as a notebook (jupytext percent format).
    source = snippet.path.read_text(encoding="utf-8")
    (tmp / snippet.path.name).write_text(source, encoding="utf-8")
    write_notebook(source, tmp / snippet.path.with_suffix(".ipynb").name)
    final = cache_dir / snippet.key
    try:
        tmp.rename(final)
    except OSError:  # another build stored the same entry first: identical content, keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return load(snippet, final, cached=False)


def run_all(
    snippets: list[Snippet],
    cache_dir: Path,
    jobs: int | None = None,
    timeout: float = 60.0,
    log: Callable[[str], None] = print,
) -> dict[str, Result]:
    """Run every snippet that has no cache entry; return all results or raise SnippetError."""
    cache_dir = cache_dir.resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp_root = cache_dir / "tmp"
    tmp_root.mkdir(exist_ok=True)
    jobs = jobs or os.cpu_count() or 1
    threads = max(1, (os.cpu_count() or 1) // jobs)
    total = len(snippets)
    results: dict[str, Result] = {}
    failures: list[Failure] = []
    todo = []
    for snippet in snippets:
        if (cache_dir / snippet.key / "result.json").is_file():
            results[snippet.id] = load(snippet, cache_dir / snippet.key, cached=True)
            log(f"[{len(results)}/{total}] {snippet.id} (cached)")
        else:
            todo.append(snippet)
    if todo:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(capture.PRELOAD)
        running: dict = {}
        try:
            while todo or running:
                while todo and len(running) < jobs:
                    snippet = todo.pop(0)
                    tmp = Path(tempfile.mkdtemp(prefix=f"{snippet.key}-", dir=tmp_root))
                    process = context.Process(
                        target=capture.run, args=(snippet.path, tmp, threads), daemon=True
                    )
                    process.start()
                    running[process] = (snippet, tmp, time.monotonic())
                multiprocessing.connection.wait([p.sentinel for p in running], timeout=0.2)
                for process, (snippet, tmp, started) in list(running.items()):
                    elapsed = time.monotonic() - started
                    if process.exitcode is None and elapsed <= timeout:
                        continue
                    if process.exitcode is None:
                        process.kill()
                        process.join()
                        outcome = Failure(snippet, None, f"took more than {timeout:.0f} s (killed)")
                    else:
                        outcome = _finish(snippet, tmp, process.exitcode, cache_dir)
                    del running[process]
                    shutil.rmtree(tmp, ignore_errors=True)
                    done = len(results) + len(failures) + 1
                    if isinstance(outcome, Failure):
                        failures.append(outcome)
                        log(f"[{done}/{total}] {snippet.id} FAILED after {elapsed:.1f} s")
                    else:
                        results[snippet.id] = outcome
                        log(f"[{done}/{total}] {snippet.id} {outcome.seconds:.1f} s")
        finally:
            for process, (_, tmp, _) in running.items():  # interrupted: stop children, drop temps
                process.kill()
                shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        raise SnippetError(failures)
    return results


def evict(cache_dir: Path, keep: set[str], unused_for: float = 3600.0) -> None:
    """Remove cache entries that no current snippet uses and no build has used for a while
    (another build may be using them right now), and temporary folders of dead builds."""
    old = [p for p in cache_dir.glob("*/") if time.time() - p.stat().st_mtime > unused_for]
    old += [p for p in cache_dir.glob("tmp/*/") if time.time() - p.stat().st_mtime > unused_for]
    for entry in old:
        if entry.name not in keep and entry.name != "tmp":
            shutil.rmtree(entry, ignore_errors=True)
