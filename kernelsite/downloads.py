"""The downloads of a snippet: files a reader can run alone, in an empty folder.

A snippet that imports no helper module is offered as its exact ``.py`` file. One that imports
sibling helpers (``from kernels import gaussian``) is offered as a ``.zip`` holding the exact
snippet and its helpers side by side. Either way there is a notebook (``.ipynb``) whose first
cells write the helpers beside it with ``%%writefile``, so it too runs with nothing else around.
Files are written with fixed timestamps and cell ids: every build gives the same bytes.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import jupytext
from nbformat.v4 import new_code_cell, new_markdown_cell

ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def names(stem: str, has_helpers: bool) -> list[str]:
    """The download files of a snippet named ``stem``: the code file, then the notebook."""
    return [f"{stem}.zip" if has_helpers else f"{stem}.py", f"{stem}.ipynb"]


def helper_cells(helpers: list[Path]) -> list:
    """A note naming the helpers, then one ``%%writefile`` cell per helper."""
    listed = ", ".join(f"`{h.name}`" for h in helpers)
    note = new_markdown_cell(
        f"**Helper module{'s' if len(helpers) > 1 else ''}.** This notebook imports {listed} "
        "from the site's snippets. The next cell"
        f"{'s write them' if len(helpers) > 1 else ' writes it'} beside the notebook, "
        "so the notebook runs alone: run it first."
    )
    cells = [note]
    for helper in helpers:
        source = helper.read_text(encoding="utf-8").rstrip("\n")
        cells.append(new_code_cell(f"%%writefile {helper.name}\n{source}"))
    return cells


def notebook_json(source: str, helpers: list[Path] = ()) -> str:
    """A jupytext percent file as ``.ipynb`` text, helpers first, with cell ids derived from the
    cells' text (jupytext draws random ones), so the download is the same on every build."""
    notebook = jupytext.reads(source, fmt="py:percent")
    if helpers:
        notebook.cells[0:0] = helper_cells(list(helpers))
    for number, cell in enumerate(notebook.cells):
        cell.id = hashlib.sha256(f"{number}:{cell.source}".encode()).hexdigest()[:8]
    # jupytext lists the cell metadata keys it keeps in set order, which changes with the
    # process's hash seed: sorted, they read the same on every build ("-all" stays last)
    jupytext_metadata = notebook.metadata.get("jupytext", {})
    if "cell_metadata_filter" in jupytext_metadata:
        keys = jupytext_metadata["cell_metadata_filter"].split(",")
        kept = sorted(k for k in keys if not k.startswith("-"))
        jupytext_metadata["cell_metadata_filter"] = ",".join(
            kept + [k for k in keys if k.startswith("-")]
        )
    return jupytext.writes(notebook, fmt="ipynb").rstrip("\n") + "\n"


def write_archive(files: list[Path], target: Path) -> None:
    """A ``.zip`` of ``files`` side by side, with fixed timestamps (same bytes every build)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.name, date_time=ZIP_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)


def write(snippet: Path, helpers: list[Path], folder: Path) -> list[str]:
    """Write the downloads of ``snippet`` (which imports ``helpers``) into ``folder``."""
    code_name, notebook_name = names(snippet.stem, bool(helpers))
    if helpers:
        write_archive([snippet, *helpers], folder / code_name)
    else:
        (folder / code_name).write_bytes(snippet.read_bytes())
    notebook = notebook_json(snippet.read_text(encoding="utf-8"), helpers)
    (folder / notebook_name).write_text(notebook, encoding="utf-8")
    return [code_name, notebook_name]
