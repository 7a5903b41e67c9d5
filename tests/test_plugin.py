"""The MkDocs plugin: typed options, overridden by the environment and read at every build;
errors shown while serving; and the code that makes a snippet's results part of its cache key."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from conftest import ROOT, build_site, make_site, write


def test_settings_are_read_at_every_build_in_one_process(tmp_path, monkeypatch):
    make_site(tmp_path, "# P\n\n{{ value demo/one.py x }}\n", {"demo/one.py": "x = 1\n"})
    for cache in ("first", "second"):
        monkeypatch.setenv("KERNELSITE_CACHE", cache)
        build_site(tmp_path)
        assert list((tmp_path / cache / "snippets").glob("*/result.json")), cache


def with_options(root: Path, options: str) -> None:
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("kernelsite]", f"kernelsite: {options}]"), encoding="utf-8")


def test_options_are_set_in_mkdocs_yml_and_the_environment_overrides_them(
    tmp_path, monkeypatch, caplog
):
    page, snippets = "# P\n\n{{ value demo/one.py x }}\n", {"demo/one.py": "x = 1\n"}
    make_site(tmp_path, page, snippets)
    with_options(tmp_path, "{cache: from-yml, jobs: 1, cpu_limit: 30}")
    build_site(tmp_path)
    assert list((tmp_path / "from-yml" / "snippets").glob("*/result.json"))
    monkeypatch.setenv("KERNELSITE_CACHE", "from-env")
    build_site(tmp_path)
    assert list((tmp_path / "from-env" / "snippets").glob("*/result.json"))
    monkeypatch.setenv("KERNELSITE_JOBS", "two")
    with pytest.raises(Abort):
        build_site(tmp_path)
    assert "KERNELSITE_JOBS='two' cannot be read as int" in caplog.text
    make_site(tmp_path, page, snippets)
    with_options(tmp_path, "{cpu_limit: many}")
    with pytest.raises(Abort):
        load_config(str(tmp_path / "mkdocs.yml"))
    assert "Plugin 'kernelsite' option 'cpu_limit'" in caplog.text


NOTEBOOK = "# %% [markdown]\n# # Walk\n# Broken maths: $\\frac{1}{$\n\n# %%\nx = 1\n"


def test_while_serving_an_error_in_rendered_html_is_shown_in_its_page(tmp_path):
    notebooks = '{mkdocs-jupyter: {include: ["walk.py"], execute: false}}'
    make_site(tmp_path, "# P\n\n$\\frac{1}{$\n", {}, plugins=("search", notebooks))
    (tmp_path / "snippets").mkdir()
    write(tmp_path / "docs" / "walk.py", NOTEBOOK)
    site = build_site(tmp_path, serving=True)
    for page, source in (("index.html", "index.md"), ("walk/index.html", "walk.py")):
        html = (site / page).read_text(encoding="utf-8")
        assert 'class="admonition failure"' in html, page
        assert f"docs/{source}: cannot convert LaTeX" in html, page


def test_a_module_the_figure_code_imports_is_part_of_every_snippet_key(tmp_path):
    package = tmp_path / "kernelsite"
    shutil.copytree(ROOT / "kernelsite", package, ignore=shutil.ignore_patterns("__pycache__"))
    figures = package / "figures.py"
    anchor = "from kernelsite.figurefiles import"
    source = figures.read_text(encoding="utf-8")
    figures.write_text(source.replace(anchor, f"import kernelsite.palette\n{anchor}", 1))
    write(tmp_path / "snippets" / "demo" / "one.py", "x = 1\n")
    code = "from pathlib import Path; from kernelsite import runner; "
    code += "print(runner.discover(Path('snippets'))[0].key)"

    def key() -> str:
        run = [sys.executable, "-c", code]  # imports the copy: its folder comes first
        return subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=True).stdout

    write(package / "palette.py", "LINE = 'black'\n")
    before = key()
    write(package / "palette.py", "LINE = 'navy'\n")
    assert key() != before
