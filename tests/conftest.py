"""Shared test helpers: where things are (the built site too), building a miniature site, the
built site served to a real browser, and importing a snippet's helper module by path."""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "snippets"
# The built site the site tests read (KERNELSITE_SITE=/some/folder: a site built elsewhere).
SITE = Path(os.environ.get("KERNELSITE_SITE", ROOT / "site"))
GATES_REPORT = ROOT / "build" / "gates-report.txt"
# The photos the playground offers, as the site publishes them.
PLAYGROUND_PHOTOS = SITE / "snippets" / "playground" / "playground_images" / "files"
_STARTED = time.time()


def built_site() -> Path:
    """SITE, or the test fails saying how to build it."""
    if not (SITE / "index.html").is_file():
        pytest.fail(
            f"no built site in {SITE}: run `make build` (mkdocs build --strict) first, or set "
            "KERNELSITE_SITE to a site built elsewhere",
            pytrace=False,
        )
    return SITE


@pytest.fixture(scope="module")
def eyes():
    """The astronaut's eyes (64 × 64, colour, uint8), the playground's smallest photo."""
    import numpy as np
    from PIL import Image

    with Image.open(PLAYGROUND_PHOTOS / "astronaut_eyes.png") as image:
        return np.asarray(image)


@pytest.fixture(scope="module")
def chromium():
    """The built site served on 127.0.0.1 (gzipped, as a static host sends it) and one headless
    Chromium: the pair (base URL, browser) that ``browser.open_page`` takes."""
    from browser import browser, serve

    with serve(built_site()) as base, browser() as instance:
        yield base, instance


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def make_site(
    root: Path, page: str, snippets: dict[str, str], plugins: tuple[str, ...] = ("search",)
) -> Path:
    """A miniature site in ``root``: one page, the given snippets, ``plugins`` (each one YAML
    item), then this project's plugin."""
    write(
        root / "mkdocs.yml",
        f"""
        site_name: mini
        plugins: [{", ".join([*plugins, "kernelsite"])}]
        watch: [snippets]
        markdown_extensions: [attr_list, admonition, pymdownx.superfences,
                              pymdownx.blocks.caption, pymdownx.arithmatex: {{generic: true}}]
        """,
    )
    write(root / "docs" / "index.md", page)
    for name, source in snippets.items():
        write(root / "snippets" / name, source)
    return root


def build_site(root: Path, serving: bool = False) -> Path:
    """Build the site of ``root`` in this process, as ``mkdocs build --strict`` does or, with
    ``serving``, as a rebuild of ``mkdocs serve`` does; returns its site folder."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(root / "mkdocs.yml"), strict=True)
    config.plugins.on_startup(command="serve" if serving else "build", dirty=False)
    # The plugin sets the notebook kernels' environment (IPYTHONDIR, JUPYTER_CONFIG_PATH) for
    # its process: later tests in this worker must start their kernels without it.
    environment = dict(os.environ)
    try:
        build(config)
    finally:
        config.plugins.on_startup(command="build", dirty=False)  # later builds in this process
        os.environ.clear()
        os.environ.update(environment)
    return root / "site"


def pytest_terminal_summary(terminalreporter):
    """Show the site gates' summary (written by a worker process) at the end of the run."""
    if GATES_REPORT.is_file() and GATES_REPORT.stat().st_mtime >= _STARTED:
        terminalreporter.section("site gates")
        terminalreporter.write(GATES_REPORT.read_text(encoding="utf-8"))


def snippet_module(snippet_id: str, folder: Path | None = None):
    """Import ``snippets/<snippet_id>`` as a module (its folder first on sys.path, like a script),
    run in ``folder`` when given (an empty folder, where it writes its files).

    Use it for helper modules whose functions a test calls; a snippet that does its work at
    import time runs completely.
    """
    path = SNIPPETS / snippet_id
    folders = [str(path.parent), str(SNIPPETS / "common")]  # its helpers: siblings, common/
    sys.path[:0] = folders
    here = Path.cwd()
    if folder is not None:
        os.chdir(folder)
    try:
        name = f"snippet_{snippet_id.removesuffix('.py').replace('/', '_')}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        os.chdir(here)
        for entry in folders:
            sys.path.remove(entry)


def snippet_functions(snippet_id: str) -> SimpleNamespace:
    """The functions ``snippets/<snippet_id>`` defines (with its imports), without running the
    rest of it: for a snippet whose module-level work is slow or changes the process (threads,
    timings)."""
    path = SNIPPETS / snippet_id
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kept = (ast.Import, ast.ImportFrom, ast.FunctionDef)
    tree.body = [node for node in tree.body if isinstance(node, kept)]
    namespace: dict = {"__name__": f"snippet_functions_{path.stem}", "__file__": str(path)}
    exec(compile(tree, str(path), "exec"), namespace)
    return SimpleNamespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


def notebook_client(
    notebook, folder: Path, timeout: float = 1800, kernel_specs: Path | None = None
):
    """An nbclient runner for ``notebook`` in ``folder`` with a fresh python3 kernel. The kernel
    talks over local sockets (no TCP, so no eavesdropping warning); ``timeout`` only stops a
    cell that hangs. ``kernel_specs``: a folder of kernel specs whose ``python3`` starts the
    kernel instead of the installed one (see warm.kernel_specs)."""
    from nbclient import NotebookClient
    from traitlets.config import Config

    sockets = Path(tempfile.gettempdir()) / f"kernelsite-test-{os.getpid()}"
    config = Config({"KernelManager": {"transport": "ipc", "ip": str(sockets)}})
    options = {}
    if kernel_specs is not None:
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from traitlets import default

        class Manager(AsyncKernelManager):
            @default("kernel_spec_manager")
            def _kernel_spec_manager_default(self):
                return KernelSpecManager(kernel_dirs=[str(kernel_specs)], parent=self)

        options["kernel_manager_class"] = Manager
    return NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        config=config,
        **options,
    )
