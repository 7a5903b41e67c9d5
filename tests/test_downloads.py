"""Every download the built site offers runs alone, in an empty folder, as a reader runs it.

These tests read the built ``site/`` (``make test`` builds it first), not the repository: what is
tested is what a reader downloads. Each ``.py`` (or ``.zip``, unpacked) runs with the project's
interpreter and its default thread count; each ``.ipynb`` runs in a fresh Jupyter kernel. A run
is stopped only when it hangs or runs away (CPU limit), never because the machine is slow.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SNIPPETS, notebook_client
from kernelsite import embed, runner

SITE = Path(os.environ.get("KERNELSITE_SITE", ROOT / "site"))
CACHE = ROOT / os.environ.get("KERNELSITE_CACHE", ".cache") / "snippets"
CPU_LIMIT = 300  # seconds of CPU: only a runaway reaches it
HANG_LIMIT = 1800  # seconds of wall time: only a hang reaches it
# Values that measure the machine (timings) differ from run to run by nature: snippet id ->
# the names of its timing values (None: all of its values).
MACHINE_DEPENDENT = {
    "weights/convolution_timing.py": None,
    "fixed/separability.py": {"milliseconds_2d", "milliseconds_separable", "speedup"},
}
# Runs the download as ``python <file>`` would, then records its simple module-level values.
RECORD = """
import json, runpy, sys
from kernelsite.capture import simple_values
sys.argv = [sys.argv[1]]
sys.path.insert(0, "")
namespace = runpy.run_path(sys.argv[0], run_name="__main__")
with open("values.json", "w") as out:
    json.dump(simple_values(namespace), out)
"""


def downloads(*suffixes: str) -> list[str]:
    if not SITE.is_dir():
        return ["no-site-built"]
    found = (p for suffix in suffixes for p in SITE.rglob(f"*{suffix}"))
    return sorted(p.relative_to(SITE).as_posix() for p in found if "assets" not in p.parts)


def reader_environment() -> dict[str, str]:
    """A plain environment: no thread caps, nothing pointing into the repository."""
    drop = {"PYTHONPATH", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, "MPLBACKEND": "Agg"}


def limit_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT + 5))


def site_file(relative: str) -> Path:
    if relative == "no-site-built":
        pytest.fail(f"no built site in {SITE}: run `make build` first")
    return SITE / relative


def quoted_values() -> dict[str, list[tuple[str, str, str]]]:
    """snippet id -> (value name, format spec, page:line) for every value the pages quote."""
    quoted: dict[str, list[tuple[str, str, str]]] = {}
    for page in sorted((ROOT / "docs").rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for kind, match in embed.directives(text):
            if kind == "value":
                line = text.count("\n", 0, match.start()) + 1
                where = f"{page.relative_to(ROOT).as_posix()}:{line}"
                quoted.setdefault(match["id"], []).append((match["name"], match["spec"], where))
    return quoted


def build_results() -> dict[str, runner.Result]:
    """The results the build that made site/ used (the snippet cache)."""
    lock = (ROOT / "requirements.lock").read_bytes()
    found = {}
    for snippet in runner.discover(SNIPPETS, lock):
        if (CACHE / snippet.key / "result.json").is_file():
            found[snippet.id] = runner.load(snippet, CACHE / snippet.key, cached=True)
    return found


def snippet_id_of(download: Path) -> str | None:
    """``snippets/fixed/gradients/gradients.zip`` -> ``fixed/gradients.py``."""
    parts = download.relative_to(SITE).parts
    if parts[0] != "snippets":
        return None
    return "/".join(parts[1:-1]) + ".py"


@pytest.mark.parametrize("relative", downloads(".py", ".zip"))
def test_code_download_runs_alone_and_prints_the_pages_numbers(relative, tmp_path):
    download = site_file(relative)
    if download.suffix == ".zip":
        with zipfile.ZipFile(download) as archive:
            archive.extractall(tmp_path)
        script = download.with_suffix(".py").name
        assert (tmp_path / script).is_file(), f"{relative} holds no {script}"
    else:
        script = download.name
        shutil.copy(download, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", RECORD, script],
        cwd=tmp_path,
        env=reader_environment(),
        capture_output=True,
        text=True,
        timeout=HANG_LIMIT,
        preexec_fn=limit_cpu,
    )
    assert proc.returncode == 0, f"{relative}, run alone, failed:\n{proc.stderr[-4000:]}"
    snippet_id = snippet_id_of(download)
    if snippet_id is None:
        return
    timings = MACHINE_DEPENDENT.get(snippet_id, set())
    alone = json.loads((tmp_path / "values.json").read_text())
    built = build_results()[snippet_id].values
    for name, spec, where in quoted_values().get(snippet_id, []):
        if timings is None or re.split(r"[.\[]", name)[0] in timings:
            continue
        page_shows = format(embed.lookup_value(built, snippet_id, name), spec or "")
        reader_sees = format(embed.lookup_value(alone, snippet_id, name), spec or "")
        assert reader_sees == page_shows, (
            f"{where} quotes {snippet_id} {name} as {page_shows!r}, but the download run alone "
            f"(default threads) gives {reader_sees!r}"
        )


@pytest.mark.parametrize("relative", downloads(".ipynb"))
def test_notebook_download_runs_alone(relative, tmp_path):
    import nbformat

    download = site_file(relative)
    shutil.copy(download, tmp_path)
    notebook = nbformat.read(tmp_path / download.name, as_version=4)
    nbformat.validate(notebook)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(reader_environment())
    try:
        notebook_client(notebook, tmp_path, timeout=HANG_LIMIT).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    errors = [
        o for cell in notebook.cells for o in cell.get("outputs", []) if o.output_type == "error"
    ]
    assert not errors, f"{relative}: {errors[0]['ename']}: {errors[0]['evalue']}"


def test_every_helper_importing_snippet_names_its_helpers_on_its_page():
    for html_file in SITE.rglob("index.html") if SITE.is_dir() else []:
        html = html_file.read_text(encoding="utf-8")
        for zip_link in re.findall(r'href="([^"]+\.zip)"', html):
            assert "Needs the helper module" in html, f"{html_file}: {zip_link} without helper note"


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
