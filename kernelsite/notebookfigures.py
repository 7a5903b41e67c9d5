"""The notebook pages' figures in both palettes and, when they need one, in a phone layout.

The build's notebook kernels load this module as an IPython extension (``ipython_dir`` gives
them a profile that does). It shows each matplotlib figure as an HTML placeholder carrying the
files the snippets' figures get from ``figures.save_figure`` (light, dark, narrow layouts), and
no PNG of its own: ``notebook.clean`` turns each placeholder into the page's usual ``<picture>``
markup. A reader's own Jupyter knows nothing of it: the downloads are the plain notebooks.
"""

from __future__ import annotations

import base64
import json
import re
import tempfile
from pathlib import Path

from kernelsite.figurefiles import Figure

# The record and files, as base64 of a JSON object: nothing that HTML serialisation changes.
PLACEHOLDER = re.compile(r'<div class="kernelsite-figure">([A-Za-z0-9+/=]*)</div>')
PROFILE_CONFIG = """\
# Written by the build (kernelsite/notebookfigures.py) for the notebook pages' kernels only.
c.InteractiveShellApp.extensions = ["kernelsite.notebookfigures"]  # load_ipython_extension
c.InlineBackend.figure_formats = set()  # the placeholder replaces the inline PNG
c.HistoryManager.enabled = False
"""


def placeholder(fig) -> str:
    """The figure's record and files (as the snippets save them), base64 in a placeholder
    element."""
    from kernelsite.figures import figure_name, save_figure

    with tempfile.TemporaryDirectory() as folder:
        figure = save_figure(fig, Path(folder), figure_name(fig, 1))
        files = {
            n: base64.b64encode((Path(folder) / n).read_bytes()).decode() for n in figure.names
        }
    saved = {"figure": figure.to_json(), "files": files}
    encoded = base64.b64encode(json.dumps(saved).encode()).decode()
    return f'<div class="kernelsite-figure">{encoded}</div>'


def load_ipython_extension(shell) -> None:
    """Show figures as placeholders in this kernel (an IPython extension). Registered for
    ``FigureBase``, the parent class: the inline backend drops every formatter of ``Figure``."""
    from matplotlib.figure import FigureBase

    shell.display_formatter.formatters["text/html"].for_type(FigureBase, placeholder)


def saved(placeholder_match: re.Match) -> tuple[Figure, dict[str, bytes]]:
    """A placeholder's figure record and files, by name: ``fig1.png``, ``fig1.dark.png``, ..."""
    encoded = json.loads(base64.b64decode(placeholder_match[1]))
    files = {name: base64.b64decode(data) for name, data in encoded["files"].items()}
    return Figure.from_json(encoded["figure"]), files


def ipython_dir(folder: Path) -> Path:
    """An IPython directory whose default profile loads this module into every kernel."""
    config = folder / "profile_default" / "ipython_kernel_config.py"
    if not config.is_file() or config.read_text(encoding="utf-8") != PROFILE_CONFIG:
        config.parent.mkdir(parents=True, exist_ok=True)
        temporary = config.with_suffix(".tmp")
        temporary.write_text(PROFILE_CONFIG, encoding="utf-8")
        temporary.replace(config)
    return folder
