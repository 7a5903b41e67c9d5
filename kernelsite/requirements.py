"""What a snippet needs installed, said in its own first lines.

Every snippet's docstring ends with a line ``Needs: pip install torch==2.13.0 numpy==2.4.6 …``
listing the pinned packages that it and its helpers import, so a reader who downloads one file
knows what to install; a walkthrough says the same under its title. ``python -m
kernelsite.requirements`` writes or updates those lines; ``tests/test_requirements_line.py``
checks they are there and right.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from kernelsite import runner

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "Needs: pip install"
LINE = re.compile(rf"^{re.escape(PREFIX)}(?:.*\\\n)*.*$", re.MULTILINE)
WIDTH = 96


def pins(lock: Path = ROOT / "requirements.lock") -> dict[str, str]:
    """Distribution name (lower case) -> ``name==version`` from the lock file."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            found[line.split("==")[0].strip().lower()] = line.strip()
    return found


@functools.cache
def installed_distributions() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions providing it (read once: it scans every
    installed package's metadata)."""
    return packages_distributions()


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module.split(".")[0])
    return modules


def pip_line(snippet: runner.Snippet) -> str:
    """The ``Needs:`` line for a snippet and its helpers."""
    return pip_line_for([snippet.path, *snippet.helpers])


def pip_line_for(paths: list[Path]) -> str:
    """The ``Needs:`` line for code spread over ``paths`` (a script and its helpers)."""
    local = {p.stem for p in paths}
    modules = set().union(*(imported_modules(p) for p in paths))
    modules -= local | set(sys.stdlib_module_names)
    distributions = installed_distributions()
    pinned = pins()
    needed = sorted({d.lower() for m in modules for d in distributions.get(m, [m])})
    missing = [d for d in needed if d not in pinned]
    if missing:
        raise ValueError(f"{paths[0].name} imports unpinned packages: {', '.join(missing)}")
    lines, line = [], PREFIX
    for pin in (pinned[d] for d in needed):  # wrapped like a shell command, to copy and paste
        if len(line) + 1 + len(pin) > WIDTH - 2:
            lines.append(line + " \\")
            line = "    "
        line += (" " if line.strip() else "") + pin
    return "\n".join([*lines, line])


def with_line(source: str, line: str) -> str:
    """``source`` with the ``Needs:`` line as the last line of its module docstring."""
    if LINE.search(source):
        return LINE.sub(line, source, count=1)
    docstring = re.match(r'\s*(""")(.*?)(""")', source, re.DOTALL)
    if docstring is None:
        raise ValueError("no module docstring to put the Needs: line in")
    body = docstring[2].rstrip("\n")
    return f"{source[: docstring.start(2)]}{body}\n\n{line}\n{source[docstring.end(2) :]}"


def as_markdown_comment(line: str) -> str:
    return "\n".join(f"# {part}" for part in line.splitlines())


def with_markdown_line(source: str, line: str) -> str:
    """A walkthrough (jupytext percent file) with the line under its ``# # Title``."""
    commented = as_markdown_comment(line)
    existing = re.search(rf"^# {re.escape(PREFIX)}(?:.*\\\n)*.*$", source, re.MULTILINE)
    if existing:
        return source[: existing.start()] + commented + source[existing.end() :]
    title = re.search(r"^# # .*\n", source, re.MULTILINE)
    if title is None:
        raise ValueError("no '# # Title' line to put the Needs: line under")
    return f"{source[: title.end()]}#\n{commented}\n{source[title.end() :]}"


WALKTHROUGHS = [
    ROOT / "docs" / "visualising.py",
    *sorted((ROOT / "docs/walkthroughs").glob("*.py")),
]


def main() -> int:
    changes = [
        (s.path, with_line(s.path.read_text(encoding="utf-8"), pip_line(s)))
        for s in runner.discover(ROOT / "snippets")
    ] + [
        (w, with_markdown_line(w.read_text(encoding="utf-8"), pip_line_for([w])))
        for w in WALKTHROUGHS
    ]
    for path, updated in changes:
        if updated != path.read_text(encoding="utf-8"):
            path.write_text(updated, encoding="utf-8")
            print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
