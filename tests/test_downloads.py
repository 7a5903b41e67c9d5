"""Every download the built site offers runs alone, in an empty folder, as a reader runs it.

These tests read the built ``site/`` (``make test`` builds it first), not the repository: what is
tested is what a reader downloads.

* A snippet's code download (``.py``, or ``.zip`` with its helpers) is run by the build itself:
  the build runs every snippet as ``python <name>.py`` in a folder holding only the download's
  files (kernelsite/capture.py). Here each download is checked to hold exactly the bytes that
  run used, file for file, so it is not run a second time.
* Every notebook (``.ipynb``) runs here, in a fresh Jupyter kernel, in an empty folder, with the
  reader's environment and default thread count. After its own cells, one added cell writes the
  simple values they left, which must print as the page quotes them.
* A notebook page's ``.py`` download runs here with the project's interpreter.

A run is stopped only when it hangs or runs away (CPU limit), never because the machine is slow.

Each run is a fresh process, but not a fresh interpreter: it is forked from a warm server that
has already imported numpy, scipy, torch, matplotlib, scikit-image and scikit-learn (warm.py),
so that the imports are paid once per test process instead of once per download. The child
starts with nothing of the download: its own folder holding only the download (first on
``sys.path``), a fresh ``__main__`` namespace, the reader's ``sys.argv`` and environment, no
figure, and no thread pool (the server never computes, so torch and BLAS start theirs in the
child, with their default size). A missing import or a helper module missing from a ``.zip``
still fails; the tests below check that, and that a warm run sees what a fresh interpreter sees.
Each notebook gets its own kernel process, forked the same way from a server that has also
imported ipykernel, started by Jupyter through a kernel spec (``warm.kernel_specs``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import warm

from conftest import ROOT, SITE, SNIPPETS, built_site, notebook_client
from kernelsite import embed, plugin, runner
from kernelsite.paths import SnippetPaths

CPU_LIMIT = 300  # seconds of CPU: only a runaway reaches it
HANG_LIMIT = 1800  # seconds of wall time: only a hang reaches it
# Values that measure the machine (timings) differ from run to run by nature: snippet id ->
# the names of its timing values (None: all of its values).
MACHINE_DEPENDENT = {
    "weights/convolution_timing.py": None,
    "fixed/separability.py": {"milliseconds_2d", "milliseconds_separable", "speedup"},
}


def downloads(*suffixes: str) -> list[str]:
    if not SITE.is_dir():
        return ["no-site-built"]
    found = (p for suffix in suffixes for p in SITE.rglob(f"*{suffix}"))
    return sorted(p.relative_to(SITE).as_posix() for p in found if "assets" not in p.parts)


def reader_environment() -> dict[str, str]:
    """A plain environment: no thread caps, nothing pointing into the repository."""
    drop = {"PYTHONPATH", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "MPLBACKEND": "Agg"}


@pytest.fixture(scope="module")
def warm_python():
    """The server the code downloads are forked from (one per test process)."""
    server = warm.Server("code", reader_environment())
    try:
        server.wait_ready(HANG_LIMIT)
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def warm_kernels(tmp_path_factory):
    """Kernel specs whose python3 kernel is forked from a warm server (one per test process)."""
    server = warm.Server("kernel", reader_environment(), warm.python_options_of_kernel())
    try:
        server.wait_ready(HANG_LIMIT)
        yield warm.kernel_specs(server, tmp_path_factory.mktemp("kernels"))
    finally:
        server.close()


def run_alone(server: warm.Server, folder: Path, script: str, out: Path) -> tuple[int, str]:
    """``python <script>`` in ``folder``, forked from ``server``; its values go to ``out``."""
    return server.run_script(folder, script, reader_environment(), CPU_LIMIT, HANG_LIMIT, out)


def site_file(relative: str) -> Path:
    return built_site() / relative


@functools.cache  # (read once per test process)
def quoted_values() -> dict[str, list[tuple[str, str, str]]]:
    """snippet id -> (value name, format spec, page:line) for every value the pages quote."""
    return embed.quoted_values(ROOT / "docs")


@functools.cache
def build_results() -> dict[str, runner.Result]:
    """The results the build that made site/ used (the snippet cache)."""
    return plugin.cached_results(ROOT)


def snippet_id_of(download: Path) -> str | None:
    """``snippets/fixed/gradients/gradients.zip`` -> ``fixed/gradients.py``."""
    snippet = SnippetPaths.of(download.relative_to(SITE).as_posix())
    return None if snippet is None else snippet.id


def check_quoted_values(snippet_id: str, alone: dict, how: str) -> None:
    """Each value a page quotes from ``snippet_id`` prints the same from ``alone``."""
    timings = MACHINE_DEPENDENT.get(snippet_id, set())
    built = build_results()[snippet_id].values
    for name, spec, where in quoted_values().get(snippet_id, []):
        if timings is None or re.split(r"[.\[]", name)[0] in timings:
            continue
        page_shows = format(embed.lookup_value(built, snippet_id, name), spec or "")
        reader_sees = format(embed.lookup_value(alone, snippet_id, name), spec or "")
        assert reader_sees == page_shows, (
            f"{where} quotes {snippet_id} {name} as {page_shows!r}, but the {how} gives "
            f"{reader_sees!r}"
        )


def code_files(download: Path) -> dict[str, bytes]:
    """The files a reader gets from a code download: the ``.py``, or the ``.zip``'s members."""
    if download.suffix == ".zip":
        with zipfile.ZipFile(download) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    return {download.name: download.read_bytes()}


CODE = downloads(".py", ".zip")
SNIPPET_CODE = [d for d in CODE if d.startswith("snippets/")]
PAGE_SCRIPTS = [d for d in CODE if not d.startswith("snippets/")]


@pytest.mark.parametrize("relative", SNIPPET_CODE)
def test_code_download_holds_what_the_build_ran_alone(relative):
    download = site_file(relative)
    files = code_files(download)
    assert download.with_suffix(".py").name in files, f"{relative} holds no script"
    held = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    ran = build_results()[snippet_id_of(download)].ran
    assert held == ran, f"{relative} holds {sorted(held)}, but the build ran {sorted(ran)}"


@pytest.mark.parametrize("relative", PAGE_SCRIPTS)
def test_notebook_page_script_runs_alone(relative, tmp_path, warm_python):
    download = site_file(relative)
    folder = tmp_path / "download"
    folder.mkdir()
    shutil.copy(download, folder)
    code, stderr = run_alone(warm_python, folder, download.name, tmp_path)
    assert code == 0, f"{relative}, run alone, failed:\n{stderr[-4000:]}"


# Added after a notebook's own cells: write the simple values they left, as the build records them.
VALUES_CELL = """import json as _json
from kernelsite.values import simple_values as _simple_values
with open({path!r}, "w") as _out:
    _json.dump(_simple_values(globals()), _out)"""


@pytest.mark.parametrize("relative", downloads(".ipynb"))
def test_notebook_download_runs_alone_and_prints_the_pages_numbers(
    relative, tmp_path, warm_kernels
):
    import nbformat

    download = site_file(relative)
    folder = tmp_path / "download"
    folder.mkdir()
    shutil.copy(download, folder)
    notebook = nbformat.read(folder / download.name, as_version=4)
    nbformat.validate(notebook)
    values_file = tmp_path / "values.json"
    notebook.cells.append(nbformat.v4.new_code_cell(VALUES_CELL.format(path=str(values_file))))
    execute_alone(notebook, folder, warm_kernels)
    errors = [
        o for cell in notebook.cells for o in cell.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors, f"{relative}: {errors[0]['ename']}: {errors[0]['evalue']}"
    snippet_id = snippet_id_of(download)
    if snippet_id is not None:
        alone = json.loads(values_file.read_text())
        check_quoted_values(snippet_id, alone, "notebook run alone (default threads)")


# What a run finds when it starts: a warm run must find what a fresh interpreter finds.
PROBE = """
import json, os, random, sys
from pathlib import Path
import matplotlib.pyplot as plt
import numpy as np
import scipy.signal
import torch
from threadpoolctl import threadpool_info

cwd = os.getcwd()
seen = {
    "names": names,
    "argv0": Path(sys.argv[0]).name,
    "files": sorted(os.listdir()),
    "path": ["<cwd>" if p in ("", cwd) else p for p in sys.path],
    "environment": dict(os.environ),
    "main_is_this": sys.modules["__main__"].__dict__ is globals(),
    "torch_threads": [torch.get_num_threads(), torch.get_num_interop_threads()],
    "pools": {Path(i["filepath"]).name: i["num_threads"] for i in threadpool_info()},
    "backend": plt.get_backend(),
    "figures": plt.get_fignums(),
    "mains": [
        [Path(f).name, os.path.isabs(f)] if (f := getattr(sys.modules[n], "__file__", None)) else n
        for n in ("__main__", "__mp_main__")
    ],
    "project_modules": sorted(
        name
        for name, module in sys.modules.items()
        if name not in ("__main__", "__mp_main__")
        and (name in HELPERS or str(getattr(module, "__file__", "")).startswith((*ROOTS, cwd)))
    ),
    "random": [random.random(), np.random.random(), torch.rand(1).item()],
}
print(json.dumps(seen))
"""


def probe_source() -> str:
    """PROBE, after noting the names defined before it imports anything, and importing what the
    warm servers import (the libraries set environment variables and load thread pools)."""
    helpers = sorted({h.stem for s in runner.discover(SNIPPETS) for h in s.helpers})
    roots = [str(SNIPPETS), str(SITE.resolve())]
    return (
        'names = sorted(n for n in dir() if not n.startswith("_"))\n'
        f"HELPERS, ROOTS = {helpers!r}, {tuple(roots)!r}\n"
        f"for library in {warm.HEAVY!r}:\n"
        "    __import__(library)\n"
        f"{PROBE}"
    )


def same_start(warm_run: dict, fresh_run: dict, warm_again: dict) -> None:
    """Everything but the random numbers is the same; no snippet or helper module is loaded;
    every library starts its own thread pool; each run seeds its random generators anew."""
    assert warm_run["project_modules"] == [], "the warm server loaded project modules"
    seeds = zip(warm_run["random"], warm_again["random"], strict=True)
    assert all(a != b for a, b in seeds), "warm runs share the state of a random generator"
    del warm_run["random"], fresh_run["random"]
    assert warm_run == fresh_run


def test_a_warm_run_starts_as_a_fresh_interpreter(warm_python, tmp_path):
    runs = {}
    for name in ("fresh", "warm", "warm again"):
        folder = tmp_path / name / "download"
        folder.mkdir(parents=True)
        (folder / "probe.py").write_text(probe_source())
        if name == "fresh":
            proc = subprocess.run(
                [sys.executable, "probe.py"],
                cwd=folder,
                env=reader_environment(),
                capture_output=True,
                text=True,
                timeout=HANG_LIMIT,
            )
            code, stderr, stdout = proc.returncode, proc.stderr, proc.stdout
        else:
            code, stderr = run_alone(warm_python, folder, "probe.py", folder.parent)
            stdout = (folder.parent / "stdout").read_text()
        assert code == 0, f"the probe failed ({name}):\n{stderr[-4000:]}"
        runs[name] = json.loads(stdout)
    same_start(runs["warm"], runs["fresh"], runs["warm again"])


def test_a_warm_run_has_only_what_the_download_brings(warm_python, tmp_path):
    """A missing import, or a helper module missing from a ``.zip``, still fails."""
    folder = tmp_path / "forgot-import"
    folder.mkdir()
    (folder / "forgot.py").write_text("import torch\n\nx = np.zeros(3)\n")
    code, stderr = run_alone(warm_python, folder, "forgot.py", tmp_path)
    assert code != 0 and "NameError: name 'np' is not defined" in stderr, stderr
    for relative in downloads(".zip"):
        with zipfile.ZipFile(site_file(relative)) as archive:
            script = Path(relative).with_suffix(".py").name
            helpers = [n for n in archive.namelist() if n != script]
            assert helpers, f"{relative} holds no helper module"
            for helper in helpers:
                folder = tmp_path / Path(relative).stem / helper
                folder.mkdir(parents=True)
                archive.extractall(folder, [n for n in archive.namelist() if n != helper])
                code, stderr = run_alone(warm_python, folder, script, folder.parent)
                missing = f"ModuleNotFoundError: No module named '{Path(helper).stem}'"
                assert code != 0 and missing in stderr, f"{relative} without {helper}: {stderr}"


def execute_alone(notebook, folder: Path, kernel_specs: Path | None) -> None:
    """Run ``notebook`` in ``folder`` with a fresh kernel that has the reader's environment."""
    saved, reader = dict(os.environ), reader_environment()  # (before clearing os.environ)
    os.environ.clear()
    os.environ.update(reader)
    try:
        notebook_client(notebook, folder, timeout=HANG_LIMIT, kernel_specs=kernel_specs).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_a_warm_kernel_starts_as_a_fresh_kernel(warm_kernels, tmp_path):
    import nbformat

    runs = {}
    for name, specs in (("fresh", None), ("warm", warm_kernels), ("warm again", warm_kernels)):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe_source())])
        folder = tmp_path / name
        folder.mkdir()
        execute_alone(notebook, folder, specs)
        outputs = notebook.cells[0].outputs
        runs[name] = json.loads("".join(o.text for o in outputs if o.output_type == "stream"))
    same_start(runs["warm"], runs["fresh"], runs["warm again"])


def test_every_helper_importing_snippet_names_its_helpers_on_its_page():
    """Each snippet that imports helpers is offered as a ``.zip`` on a page that names them."""
    site = built_site()
    linked = set()
    for html_file in site.rglob("index.html"):
        html = html_file.read_text(encoding="utf-8")
        for zip_link in re.findall(r'href="([^"]+\.zip)"', html):
            assert "Needs the helper module" in html, f"{html_file}: {zip_link} without helper note"
            linked.add((html_file.parent / zip_link).resolve().relative_to(site.resolve()))
    with_helpers = [r for r in build_results().values() if r.snippet.helpers]
    expected = {Path(SnippetPaths(r.snippet.id).file(r.downloads[0])) for r in with_helpers}
    assert with_helpers and linked == expected, (
        f"zip downloads linked from no page: {sorted(map(str, expected - linked))}; "
        f"linked but no snippet's: {sorted(map(str, linked - expected))}"
    )


def test_no_download_refers_to_the_build():
    """No absolute path, no path into the repository, in any download."""
    root_text = str(ROOT)
    for relative in downloads(".py", ".zip", ".ipynb"):
        path = site_file(relative)
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                texts = [archive.read(n).decode("utf-8") for n in archive.namelist()]
        else:
            texts = [path.read_text(encoding="utf-8")]
        for text in texts:
            assert root_text not in text, f"{relative} mentions {root_text}"
            assert ".cache/" not in text, f"{relative} refers to the build cache"
