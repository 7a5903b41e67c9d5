"""What a snippet needs installed, said in its own first lines.

Every snippet's docstring ends with a line ``Needs: pip install torch==2.13.0 numpy==2.4.6 …``
listing the pinned packages that it and its helpers import, so a reader who downloads one file
knows what to install. ``python -m kernelsite.requirements`` writes or updates that line in every
snippet; ``tests/test_requirements_line.py`` checks it is there and right.
"""

from __future__ import annotations

import ast
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
    local = {p.stem for p in (snippet.path, *snippet.helpers)}
    modules = set().union(*(imported_modules(p) for p in (snippet.path, *snippet.helpers)))
    modules -= local | set(sys.stdlib_module_names)
    distributions = packages_distributions()
    pinned = pins()
    needed = sorted({d.lower() for m in modules for d in distributions.get(m, [m])})
    missing = [d for d in needed if d not in pinned]
    if missing:
        raise ValueError(f"snippets/{snippet.id} imports unpinned packages: {', '.join(missing)}")
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


def main() -> int:
    for snippet in runner.discover(ROOT / "snippets"):
        source = snippet.path.read_text(encoding="utf-8")
        updated = with_line(source, pip_line(snippet))
        if updated != source:
            snippet.path.write_text(updated, encoding="utf-8")
            print(f"updated snippets/{snippet.id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
