"""Run snippets in parallel, once per content hash, and cache what they produced.

A cache entry is a folder ``<cache>/<key>/`` holding ``result.json``, the figures, the files the
snippet wrote, and the ``.py``/``.ipynb`` downloads. It is assembled in ``<cache>/tmp/`` and moved
into place with one atomic rename, only after the snippet succeeded: an interrupted or failed run
leaves nothing that a later build would trust.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from kernelsite.figurefiles import Figure

# The code that decides what a snippet's results look like, with every module of this package
# it imports (see glue_files): a change re-runs every snippet.
GLUE = ("capture", "runner")
# A runaway snippet is stopped by the CPU time it used, never because the machine is slow; the
# wall-clock limit only catches a snippet that hangs without computing (it is generous).
CPU_LIMIT = 120.0
WALL_LIMIT = 900.0


@dataclass(frozen=True)
class Snippet:
    id: str  # path below the snippets folder, e.g. "notation/flip.py"
    path: Path
    key: str
    helpers: tuple[Path, ...] = ()  # sibling modules it imports, shipped with its downloads


@dataclass
class Record:
    """What a snippet's run produced, as its cache entry's ``result.json``: written by capture
    (``to_json``) and read by the build (``from_json``). Its shape is part of the glue's code,
    so changing it changes every cache key."""

    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the snippet's run
    figure_cpu_seconds: float = 0.0  # saving its figures afterwards (all their variants)
    stdout: str = ""
    warnings: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)  # in order: figure #1, #2, ...
    files: list[str] = field(default_factory=list)  # what it wrote, below files/
    ran: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256 of what ran
    downloads: list[str] = field(default_factory=list)  # the .py or .zip, then the .ipynb

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(Record)}
        data["figures"] = [figure.to_json() for figure in self.figures]
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, **more):
        data = json.loads(text)
        data["figures"] = [Figure.from_json(figure) for figure in data["figures"]]
        return cls(**data, **more)


@dataclass(kw_only=True)
class Result(Record):
    """A snippet's record, with where it is (its cache entry) and whether it was run now."""

    snippet: Snippet
    folder: Path
    cached: bool


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


def _imported_names(tree: ast.Module):
    """The modules named by import statements anywhere in the code (statements only: an import
    is never inside an expression, so the far more numerous expression nodes are skipped)."""
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
        for block in ("body", "orelse", "finalbody", "handlers"):
            statements.extend(getattr(node, block, ()))


@functools.cache
def _imported_modules(source: str) -> frozenset[str]:
    """The top-level modules ``source`` imports (remembered: ``make serve`` rebuilds often)."""
    return frozenset(name.split(".")[0] for name in _imported_names(ast.parse(source)))


# Helper modules that snippets of several chapters import live in this folder below the snippets.
COMMON = "common"


def local_imports(path: Path) -> list[Path]:
    """Helper modules a snippet imports (found by reading its source), recursively: its siblings,
    and the modules of the snippets' ``common/`` folder (a sibling of the same name wins)."""
    common = path.parent.parent / COMMON if path.parent.name != COMMON else path.parent
    siblings = {p.stem: p for p in [*common.glob("*.py"), *path.parent.glob("*.py")] if p != path}
    found: list[Path] = []
    todo = [path]
    while todo and siblings:
        source = todo.pop().read_text(encoding="utf-8")
        if siblings.keys().isdisjoint(re.findall(r"\w+", source)):
            continue  # no sibling's name occurs in it: no need to parse it
        for name in _imported_modules(source):
            module = siblings.get(name)
            if module is not None and module not in found:
                found.append(module)
                todo.append(module)
    return sorted(found)


@functools.cache
def _package_imports(source: str) -> frozenset[str]:
    """The modules of this package that ``source`` imports, anywhere in the code (remembered:
    every build asks)."""
    package = __name__.split(".")[0]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = ".".join(filter(None, [package if node.level else "", node.module]))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # maybe a module
    return frozenset(name.split(".")[1] for name in names if name.startswith(f"{package}."))


def glue_files(modules: tuple[str, ...] = GLUE) -> list[Path]:
    """The files of ``modules`` of this package and of the package's modules they import, at
    any depth (read from their source), so no module the results depend on can be left out."""
    folder = Path(__file__).parent
    found: set[Path] = set()
    todo = list(modules)
    while todo:
        path = folder / f"{todo.pop()}.py"
        if path.is_file() and path not in found:
            found.add(path)
            todo.extend(_package_imports(path.read_text(encoding="utf-8")))
    return sorted(found)


def fingerprint(paths: list[Path], salt: bytes = b"") -> str:
    digest = hashlib.sha256(salt)
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def discover(snippets_dir: Path, salt: bytes = b"") -> list[Snippet]:
    """Every ``*.py`` below ``snippets_dir``; its key hashes its source, its local imports,
    the build glue, ``salt`` (the dependency lock) and the seed batch (``FIRST_SEED``, which
    ``paired.seeds`` reads: a build with another batch is another result)."""
    batch = os.environ.get("FIRST_SEED", "").encode()
    glue = fingerprint(glue_files(), salt + batch).encode()
    snippets = []
    for path in sorted(snippets_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        helpers = tuple(local_imports(path))
        key = fingerprint([path, *helpers], glue)
        snippets.append(Snippet(path.relative_to(snippets_dir).as_posix(), path, key, helpers))
    return snippets


def lock_salt(root: Path) -> bytes:
    """What every key depends on besides the code: the dependency pins (``requirements.lock``
    in ``root``, the site's folder), so that an upgrade re-runs every snippet."""
    lock = root / "requirements.lock"
    return lock.read_bytes() if lock.is_file() else b""


def cached_results(snippets: list[Snippet], cache_dir: Path) -> dict[str, Result]:
    """The results ``cache_dir`` holds for ``snippets``, by snippet id, in their order (a
    snippet without an entry is missing); none is run."""
    return {
        s.id: load(s, cache_dir / s.key, cached=True)
        for s in snippets
        if (cache_dir / s.key / "result.json").is_file()
    }


def load(snippet: Snippet, folder: Path, cached: bool) -> Result:
    os.utime(folder)  # marks the entry as recently used, see evict()
    text = (folder / "result.json").read_text(encoding="utf-8")
    return Result.from_json(text, snippet=snippet, folder=folder, cached=cached)


def _finish(snippet: Snippet, tmp: Path, exitcode: int, cache_dir: Path) -> Result | Failure:
    error_file = tmp / "error.json"
    if exitcode != 0 or not (tmp / "result.json").is_file():
        if error_file.is_file():
            error = json.loads(error_file.read_text())
            return Failure(snippet, error["line"], error["error"], error["traceback"])
        return Failure(snippet, None, f"the snippet's process died (exit code {exitcode})")
    final = cache_dir / snippet.key
    try:
        tmp.rename(final)
    except OSError:  # another build stored the same entry first: identical content, keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
    return load(snippet, final, cached=False)


def drop_orphans(tmp_root: Path) -> None:
    """Remove the temporary folders of builds that were killed (their process is gone)."""
    for folder in tmp_root.iterdir():
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def cpu_seconds_of(pid: int) -> float:
    """CPU time (user + system) a live process has used so far, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Timings:
    """Each snippet's last run time in CPU seconds per thread (its wall time on an idle machine),
    kept beside the cache, to estimate what a build has left."""

    def __init__(self, cache_dir: Path):
        self.file = cache_dir / "times.json"
        try:
            self.seconds: dict[str, float] = json.loads(self.file.read_text())
        except (OSError, ValueError):
            self.seconds = {}

    def remaining(self, snippets: list[Snippet], jobs: int) -> float:
        default = 5.0
        return sum(self.seconds.get(s.id, default) for s in snippets) / jobs

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)  # the cache may have been removed
        tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.seconds, indent=0, sort_keys=True))
        tmp.replace(self.file)


def estimate(idle_seconds: float, load: float, cores: int) -> str:
    """The time a run should take, from each snippet's last run time (on an idle machine), and
    longer in proportion when other processes already keep the cores busy."""
    text = f"about {idle_seconds:.0f} s on an idle machine"
    if load > cores:
        text += f"; the machine is busy (load {load:.1f} on {cores} cores): about "
        text += f"{idle_seconds * (load + 1) / cores:.0f} s"
    return text


@dataclass(frozen=True)
class Limits:
    """How snippets run: ``jobs`` at a time, each with ``threads`` threads and these
    ``environment`` variables; stopped after ``cpu`` seconds of CPU (a runaway) or ``wall``
    seconds of wall-clock time (a hang)."""

    jobs: int
    threads: int
    cpu: float
    wall: float
    environment: dict[str, str] | None


def run_all(
    snippets: list[Snippet],
    cache_dir: Path,
    jobs: int | None = None,
    cpu_limit: float = CPU_LIMIT,
    wall_limit: float = WALL_LIMIT,
    log: Callable[[str], None] = print,
    threads: int | None = None,
    environment: dict[str, str] | None = None,
) -> dict[str, Result]:
    """Run every snippet that has no cache entry; return all results or raise SnippetError.

    A snippet is stopped when it has used ``cpu_limit`` seconds of CPU (a runaway), or when it
    has run ``wall_limit`` seconds of wall-clock time (a hang). Each runs with ``threads``
    threads (default: its share of the cores) and these ``environment`` variables set. A cache
    folder removed during the run (``rm -rf .cache``) is made again, and the results it held
    are computed again."""
    jobs = jobs or os.cpu_count() or 1
    threads = threads or max(1, (os.cpu_count() or 1) // jobs)
    limits = Limits(jobs, threads, cpu_limit, wall_limit, environment)
    cache_dir = cache_dir.resolve()
    lost = CacheLoss(cache_dir, log)
    results: dict[str, Result] = {}
    todo = list(snippets)
    for _ in range(3):  # removed again and again: three rounds at most
        results.update(_run_all(todo, len(snippets), cache_dir, limits, log, lost))
        todo = [s for s in snippets if not (results[s.id].folder / "result.json").is_file()]
        if not todo:
            break
        lost.rebuild()
    return {s.id: results[s.id] for s in snippets}


class CacheLoss:
    """Notices a cache folder removed while a build uses it: says so once, and makes it again."""

    def __init__(self, cache_dir: Path, log: Callable[[str], None]):
        self.cache_dir, self.log, self.said = cache_dir, log, False

    def rebuild(self) -> None:
        if not self.said:
            self.log(
                f"the cache folder {self.cache_dir} was removed during the build: rebuilding it "
                "(the snippets whose results it held run again)"
            )
            self.said = True
        (self.cache_dir / "tmp").mkdir(parents=True, exist_ok=True)


def _run_all(
    snippets: list[Snippet],
    total: int,
    cache_dir: Path,
    limits: Limits,
    log: Callable[[str], None],
    lost: CacheLoss,
) -> dict[str, Result]:
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp_root = cache_dir / "tmp"
    tmp_root.mkdir(exist_ok=True)
    drop_orphans(tmp_root)
    results = cached_results(snippets, cache_dir)
    for number, snippet_id in enumerate(results, start=1):
        log(f"[{number}/{total}] {snippet_id} (cached)")
    failures: list[Failure] = []
    todo = [s for s in snippets if s.id not in results]
    if not todo:
        return results
    timings = Timings(cache_dir)
    log(
        f"running {len(todo)} snippet(s), {limits.jobs} at a time: "
        + estimate(timings.remaining(todo, limits.jobs), os.getloadavg()[0], os.cpu_count() or 1)
    )
    from kernelsite import capture  # imports matplotlib: only when a snippet has to run

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(capture.PRELOAD)
    running: dict = {}
    try:
        while todo or running:
            while todo and len(running) < limits.jobs:
                snippet = todo.pop(0)
                if not tmp_root.is_dir():
                    lost.rebuild()
                prefix = f"{os.getpid()}-{snippet.key}-"
                tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=tmp_root))
                process = context.Process(
                    target=capture.run,
                    args=(
                        snippet.path,
                        snippet.helpers,
                        tmp,
                        limits.threads,
                        limits.cpu,
                        limits.environment,
                    ),
                    daemon=True,
                )
                process.start()
                running[process] = (snippet, tmp, time.monotonic())
            multiprocessing.connection.wait([p.sentinel for p in running], timeout=0.2)
            for process, (snippet, tmp, started) in list(running.items()):
                elapsed = time.monotonic() - started
                if process.exitcode is None and elapsed <= limits.wall:
                    continue
                outcome = _outcome(process, snippet, tmp, cache_dir, limits)
                del running[process]
                shutil.rmtree(tmp, ignore_errors=True)
                if outcome is None:  # the cache was removed under it: run it again
                    lost.rebuild()
                    todo.insert(0, snippet)
                    continue
                done = len(results) + len(failures) + 1
                if isinstance(outcome, Failure):
                    failures.append(outcome)
                    log(f"[{done}/{total}] {snippet.id} FAILED after {elapsed:.1f} s")
                    continue
                results[snippet.id] = outcome
                # CPU time over its threads: its time on an idle machine, whatever the load
                timings.seconds[snippet.id] = outcome.cpu_seconds / limits.threads
                left = timings.remaining(todo, limits.jobs)
                eta = f", about {left:.0f} s left" if todo else ""
                log(f"[{done}/{total}] {snippet.id} {outcome.seconds:.1f} s{eta}")
    finally:
        for process, (_, tmp, _) in running.items():  # interrupted: stop children, drop temps
            process.kill()
            shutil.rmtree(tmp, ignore_errors=True)
        timings.save()
    if failures:
        raise SnippetError(failures)
    return results


def _outcome(process, snippet: Snippet, tmp: Path, cache_dir: Path, limits: Limits):
    """What became of a snippet's process that ended, or ran past the wall-clock limit: its
    Result, a Failure, or None when the cache was removed under it (it must run again)."""
    if process.exitcode is None:
        cpu = cpu_seconds_of(process.pid)
        process.kill()
        process.join()
        return Failure(
            snippet,
            None,
            f"still running after {limits.wall:.0f} s (it had used {cpu:.1f} s of CPU): "
            "stopped as hung (KERNELSITE_WALL_LIMIT)",
        )
    if process.exitcode == -signal.SIGXCPU:
        return Failure(
            snippet,
            None,
            f"used {limits.cpu:.0f} s of CPU, the limit for one snippet: stopped as a runaway "
            "(KERNELSITE_CPU_LIMIT)",
        )
    if not tmp.is_dir():
        return None
    try:
        return _finish(snippet, tmp, process.exitcode, cache_dir)
    except FileNotFoundError:  # the cache was removed while storing it
        return None


def evict(cache_dir: Path, keep: set[str], unused_for: float = 3600.0) -> None:
    """Remove cache entries that no current snippet uses and no build has used for a while
    (another build may be using them right now), and temporary folders of dead builds."""
    old = [p for p in cache_dir.glob("*/") if time.time() - p.stat().st_mtime > unused_for]
    old += [p for p in cache_dir.glob("tmp/*/") if time.time() - p.stat().st_mtime > unused_for]
    for entry in old:
        if entry.name not in keep and entry.name != "tmp":
            shutil.rmtree(entry, ignore_errors=True)
