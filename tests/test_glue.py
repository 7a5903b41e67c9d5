"""The build glue on miniature sites: capture, caching, embedding, and loud failures."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort
from PIL import Image

from conftest import ROOT, SNIPPETS, build_site, make_site, notebook_client, write
from kernelsite import embed, figurefiles, mathml, notebook, pagehtml, runner, values
from kernelsite.darkfigures import DARK_BACKGROUND
from kernelsite.narrowfigures import PHONE_TEXT_PX, PHONE_WIDTH_PX

FIGURE_SNIPPET = '''
"""Two figures, a printed line, values, and a written file."""
# %%
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(0)
mean_value = float(rng.normal(size=1000).mean())
sizes = [1, 2, 3]
table = "| a | b |\\n|---|---|\\n| 1 | 2 |"
print("mean", round(mean_value, 3))
fig, ax = plt.subplots()
ax.plot(rng.normal(size=50))
fig, ax = plt.subplots()
ax.imshow(np.add.outer(np.arange(200), np.arange(200)))  # a raster figure: PNG
with open("data.txt", "w") as f:
    f.write("42")
plt.show()
'''


def build_error(root: Path, caplog) -> str:
    """Build a site that must fail; return what the build reported."""
    with pytest.raises(Abort):
        build_site(root)
    return caplog.text


def run(root: Path, **kwargs) -> dict[str, runner.Result]:
    snippets = runner.discover(root / "snippets")
    return runner.run_all(snippets, root / "cache", log=lambda line: None, **kwargs)


def test_page_embeds_code_output_figures_values_and_downloads(tmp_path):
    page = """
        # Mini
        The mean is {{ value demo/figs.py mean_value .3f }}
        and the sizes {{ value demo/figs.py sizes[2] }}.

        {{ snippet demo/figs.py }}

        ![Random walk](snippet:demo/figs.py#1)

        ![Mean {{ value demo/figs.py mean_value .2f }},
        size {{ value demo/figs.py sizes[1] }}](snippet:demo/figs.py#2)

        {{ value demo/figs.py table }}

        Literal `{{ value demo/nope.py x }}` stays code.
        """
    site = build_site(make_site(tmp_path, page, {"demo/figs.py": FIGURE_SNIPPET}))
    html = (site / "index.html").read_text()
    results = run(tmp_path)
    mean = results["demo/figs.py"].values["mean_value"]
    assert f"The mean is {mean:.3f}\nand the sizes 3." in html
    assert "Two figures, a printed line, values, and a written file." in html  # the code
    assert "mean " + str(round(mean, 3)) in html  # the printed output
    assert '<img src="snippets/demo/figs/fig1.svg#only-light" alt="Random walk"' in html
    alt = f"Mean {mean:.2f},\nsize 2"
    assert f'<img src="snippets/demo/figs/fig2.png#only-light" alt="{alt}"' in html
    assert html.count("{{") == 1  # only the one inside inline code
    assert "<table>" in html
    assert "{{ value demo/nope.py x }}" in html
    out = site / "snippets" / "demo" / "figs"
    assert sorted(p.name for p in out.iterdir()) == [
        "fig1.dark.svg",
        "fig1.svg",
        "fig2.dark.png",
        "fig2.png",
        "figs.ipynb",
        "figs.py",
        "files",
    ]
    assert (out / "files" / "data.txt").read_text() == "42"
    notebook_cells = json.loads((out / "figs.ipynb").read_text())["cells"]
    assert any("imshow" in "".join(cell["source"]) for cell in notebook_cells)


def test_long_output_is_one_click_away_and_a_table_value_keeps_its_indentation(tmp_path):
    source = write(tmp_path / "demo" / "talk.py", "print('x')\n")
    table = "| a | b |\n|---|---|\n| 1 | 2 |"

    def page_with_output(lines: int) -> str:
        stdout = "".join(f"line {i}\n" for i in range(lines))
        result = runner.Result(
            snippet=runner.Snippet("demo/talk.py", source, "key"),
            folder=tmp_path,
            cached=True,
            stdout=stdout,
            values={"table": table},
            downloads=["talk.py", "talk.ipynb"],
        )
        page = '??? note "The table"\n\n    {{ value demo/talk.py table }}\n\n'
        page += "{{ snippet demo/talk.py }}\n"
        return embed.render(page, "index.md", {"demo/talk.py": result})

    long = page_with_output(embed.OUTPUT_SHOWN_LINES + 1)
    assert "    | a | b |\n    |---|---|\n    | 1 | 2 |" in long  # all of it inside the note
    count = embed.OUTPUT_SHOWN_LINES + 1
    assert f'??? snippet "Printed output · {count} lines"' in long
    assert f"    line {count - 1}\n" in long
    short = page_with_output(embed.OUTPUT_SHOWN_LINES)
    assert "Printed output" not in short
    assert f"\nline {embed.OUTPUT_SHOWN_LINES - 1}\n" in short


def test_second_run_is_cached_and_an_edit_reruns_only_that_snippet(tmp_path):
    write(tmp_path / "snippets/a/one.py", "x = 1\n")
    write(tmp_path / "snippets/a/two.py", "from helper import y\nx = y\n")
    write(tmp_path / "snippets/a/helper.py", "y = 2\n")
    first = run(tmp_path)
    assert not any(r.cached for r in first.values())
    second = run(tmp_path)
    assert all(r.cached for r in second.values())
    write(tmp_path / "snippets/a/one.py", "x = 10\n")
    third = run(tmp_path)
    assert not third["a/one.py"].cached and third["a/one.py"].values["x"] == 10
    assert third["a/two.py"].cached
    write(tmp_path / "snippets/a/helper.py", "y = 3\n")  # an imported helper is part of the key
    fourth = run(tmp_path)
    assert not fourth["a/two.py"].cached and fourth["a/two.py"].values["x"] == 3


def test_failing_snippet_names_file_line_and_page(tmp_path, caplog):
    bad = "import math\n\nvalue = math.sqrt(-1)\n"
    make_site(tmp_path, "# Page\n\n{{ snippet demo/bad.py }}\n", {"demo/bad.py": bad})
    message = build_error(tmp_path, caplog)
    assert "snippets/demo/bad.py:3: ValueError: math domain error" in message
    assert "embedded in docs/index.md:3" in message
    entries = (tmp_path / ".cache" / "snippets").iterdir()
    assert not any(p.is_dir() and p.name != "tmp" for p in entries)


def test_failing_snippet_names_each_embedding_place_once(tmp_path, caplog):
    bad = "import math\n\nvalue = math.sqrt(-1)\n"
    page = (
        "# Page\n\n![Value {{ value demo/bad.py value }}](snippet:demo/bad.py#1)\n\n"
        "{{ snippet demo/bad.py }}\n"
    )
    make_site(tmp_path, page, {"demo/bad.py": bad})
    message = build_error(tmp_path, caplog)
    assert "(embedded in docs/index.md:3, docs/index.md:5)" in message


def test_every_bad_directive_of_an_edit_is_reported_at_once(tmp_path, caplog):
    page = (
        "# P\n\nSee {{ value demo/figs.py nope }}.\n\nAnd {{ value demo/figs.py gone }}.\n\n"
        "![Fig](snippet:demo/figs.py#7)\n"
    )
    make_site(tmp_path, page, {"demo/figs.py": FIGURE_SNIPPET})
    message = build_error(tmp_path, caplog)
    assert "docs/index.md:3: demo/figs.py has no value 'nope'" in message
    assert "docs/index.md:5: demo/figs.py has no value 'gone'" in message
    assert "docs/index.md:7: demo/figs.py has 2 figure(s), not a figure 7" in message


def test_every_missing_snippet_is_reported_at_once(tmp_path, caplog):
    page = "# P\n\n{{ snippet demo/a.py }}\n\n{{ snippet demo/b.py }}\n\n{{ value demo/c.py x }}\n"
    make_site(tmp_path, page, {"demo/figs.py": "x = 1\n"})
    message = build_error(tmp_path, caplog)
    for line, name in ((3, "a"), (5, "b"), (7, "c")):
        assert f"docs/index.md:{line}: no snippet snippets/demo/{name}.py" in message


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (
            "# P\n\n{{ snippet demo/missing.py }}\n",
            "docs/index.md:3: no snippet snippets/demo/missing.py",
        ),
        (
            "# P\n\nSee {{ value demo/figs.py nope }}.\n",
            "docs/index.md:3: demo/figs.py has no value 'nope'",
        ),
        (
            "# P\n\n![Fig](snippet:demo/figs.py#7)\n",
            "docs/index.md:3: demo/figs.py has 2 figure(s), not a figure 7",
        ),
        (
            "# P\n\n![ ](snippet:demo/figs.py#1)\n",
            "docs/index.md:3: image of demo/figs.py#1 has no alt text",
        ),
        (
            "# P\n\n[x](snippet:demo/figs.py#gone.csv)\n",
            "docs/index.md:3: demo/figs.py wrote no file 'gone.csv'",
        ),
        (
            "# P\n\n![A\nb {{ value demo/figs.py nope }}](snippet:demo/figs.py#1)\n",
            "docs/index.md:4: demo/figs.py has no value 'nope'",
        ),
        (
            "# P\n\nSee {{ value demo/figs.py sizes[9] }}.\n",
            "docs/index.md:3: demo/figs.py value sizes[9]: the list has 3 items",
        ),
        (
            "# P\n\nSee {{ value demo/figs.py mean_value Q }}.\n",
            "docs/index.md:3: demo/figs.py value mean_value = ",
        ),
        (
            "# P\n\nSee {{ value demo/figs.py mean_value Q }}.\n",
            "cannot be formatted with 'Q'",
        ),
        (
            "# P\n\nSee {{ value demo/figs.py sizes.key }}.\n",
            "docs/index.md:3: demo/figs.py value sizes.key: sizes is a list without key 'key'",
        ),
        ("# P\n\n$\\frac{1}{$\n", "docs/index.md: cannot convert LaTeX"),
        (
            "# P\n\nSee {{ value demo/figs.py sizes.a-b }}.\n",
            "docs/index.md:3: malformed directive: '{{ value demo/figs.py sizes.a-b }}",
        ),
        ("# P\n\n\n{{ snippet demo/figs.py }\n", "docs/index.md:4: malformed directive"),
    ],
)
def test_bad_page_fails_naming_page_and_line(tmp_path, caplog, page, expected):
    make_site(tmp_path, page, {"demo/figs.py": FIGURE_SNIPPET})
    assert expected in build_error(tmp_path, caplog)


def test_runaway_snippet_is_stopped_by_its_cpu_time_and_named(tmp_path):
    write(tmp_path / "snippets/slow/spin.py", "while True:\n    pass\n")
    with pytest.raises(runner.SnippetError) as caught:
        run(tmp_path, cpu_limit=1.0)
    assert "snippets/slow/spin.py: used 1 s of CPU" in str(caught.value)
    assert "KERNELSITE_CPU_LIMIT" in str(caught.value)


def test_hung_snippet_is_stopped_by_the_wall_limit_and_named(tmp_path):
    write(tmp_path / "snippets/slow/sleepy.py", "import time\ntime.sleep(300)\n")
    with pytest.raises(runner.SnippetError) as caught:
        run(tmp_path, wall_limit=1.0)
    message = str(caught.value)
    assert "snippets/slow/sleepy.py: still running after 1 s" in message
    assert "s of CPU" in message and "KERNELSITE_WALL_LIMIT" in message


def test_a_slow_snippet_is_not_a_failure(tmp_path):
    # Waiting (like a busy machine) uses wall time, not CPU: the CPU limit does not fire.
    write(tmp_path / "snippets/slow/patient.py", "import time\ntime.sleep(3)\ndone = True\n")
    result = run(tmp_path, cpu_limit=1.0)["slow/patient.py"]
    assert result.values["done"] is True
    assert result.seconds >= 3 > result.cpu_seconds


def test_a_cache_removed_during_the_build_is_rebuilt_with_one_line_saying_so(
    tmp_path, caplog, monkeypatch
):
    # The second snippet removes the whole cache folder (once), as `rm -rf .cache` would while
    # a build runs: its own result, the first one's and the timings are lost, none is to blame.
    marker = tmp_path / "removed"
    remover = f"""
import pathlib, shutil
marker = pathlib.Path({str(marker)!r})
if not marker.exists():
    marker.touch()
    shutil.rmtree({str(tmp_path / ".cache")!r})
x = 2
"""
    snippets = {"a/one.py": "x = 1\n", "a/two.py": remover, "a/three.py": "x = 3\n"}
    page = "# P\n\n" + "\n\n".join(f"{{{{ value {name} x }}}}" for name in snippets) + "\n"
    make_site(tmp_path, page, snippets)
    monkeypatch.setenv("KERNELSITE_JOBS", "1")
    with caplog.at_level("INFO"):
        site = build_site(tmp_path)
    assert marker.exists()
    text = (site / "index.html").read_text(encoding="utf-8")
    assert all(f"<p>{x}</p>" in text for x in "123")
    lines = [r.getMessage() for r in caplog.records]
    assert len([line for line in lines if "was removed during the build" in line]) == 1
    assert not any("FAILED" in line or "Traceback" in line for line in lines)
    assert (tmp_path / ".cache" / "snippets" / "times.json").is_file()


def test_the_time_estimate_grows_with_the_load_it_starts_under():
    assert runner.estimate(80, 0.5, 2) == "about 80 s on an idle machine"
    busy = runner.estimate(80, 9.0, 2)
    assert busy.startswith("about 80 s on an idle machine; the machine is busy (load 9.0")
    assert busy.endswith("about 400 s")


def test_killed_build_leaves_no_temporary_folder_behind(tmp_path):
    orphan = tmp_path / "cache" / "tmp" / "999999999-abc-x"  # no process has this pid
    orphan.mkdir(parents=True)
    write(tmp_path / "snippets/demo/one.py", "x = 1\n")
    run(tmp_path)
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


def test_killed_build_leaves_no_cache_entry_a_later_build_would_trust(tmp_path):
    write(tmp_path / "snippets/slow/sleepy.py", "import time\ntime.sleep(30)\nx = 1\n")
    snippets, cache = str(tmp_path / "snippets"), str(tmp_path / "cache")
    code = (
        "from pathlib import Path; from kernelsite import runner;"
        f"runner.run_all(runner.discover(Path({snippets!r})), Path({cache!r}))"
    )
    build_process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    deadline = time.monotonic() + 30
    while not list((tmp_path / "cache" / "tmp").glob("*/cwd")) and time.monotonic() < deadline:
        time.sleep(0.1)  # wait until the snippet is running
    os.killpg(build_process.pid, signal.SIGKILL)
    build_process.wait()
    entries = [p for p in (tmp_path / "cache").iterdir() if p.is_dir() and p.name != "tmp"]
    assert entries == []
    write(tmp_path / "snippets/slow/sleepy.py", "x = 1\n")
    assert not run(tmp_path)["slow/sleepy.py"].cached


def test_figures_are_byte_identical_across_runs(tmp_path):
    write(tmp_path / "snippets/demo/figs.py", FIGURE_SNIPPET)
    first = run(tmp_path)["demo/figs.py"]
    second = runner.run_all(runner.discover(tmp_path / "snippets"), tmp_path / "other", log=print)
    for name in (name for figure in first.figures for name in figure.names):
        assert (first.folder / name).read_bytes() == (
            second["demo/figs.py"].folder / name
        ).read_bytes()


def test_warnings_are_recorded_so_a_strict_build_fails(tmp_path):
    write(tmp_path / "snippets/demo/warns.py", "import warnings\nwarnings.warn('careful')\n")
    result = run(tmp_path)["demo/warns.py"]
    assert len(result.warnings) == 1 and "warns.py:2: UserWarning: careful" in result.warnings[0]


def test_only_simple_values_are_recorded():
    import numpy as np
    import torch

    found = values.simple_values(
        {
            "a": 1,
            "b": np.float32(0.5),
            "c": torch.tensor(2.0),
            "d": [1, "x"],
            "e": {"k": 1.5},
            "_hidden": 1,
            "arr": np.zeros(3),
            "f": print,
            "big": list(range(5000)),
        }
    )
    assert found == {"a": 1, "b": 0.5, "c": 2.0, "d": [1, "x"], "e": {"k": 1.5}}


def test_directives_inside_code_are_not_references():
    page = "```\n{{ snippet a/b.py }}\n```\n\n`{{ value a/b.py x }}` and {{ value c/d.py y }}\n"
    assert embed.references(page) == [("c/d.py", 5)]


def test_maths_becomes_mathml():
    html = mathml.render('<p><span class="arithmatex">\\(g = f \\circledast h\\)</span></p>')
    assert html.startswith('<p><math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">')
    assert "&#x0229B;" in html
    with pytest.raises(mathml.MathError, match="alignment"):
        mathml.to_mathml("a &= b", display=True)


def notebook_page(tmp_path: Path, header: str) -> tuple[str, Path]:
    """A rendered page as mkdocs-jupyter writes it (two cells, one figure) and its source."""
    source = write(
        tmp_path / "walk.py",
        f"""
        # %% [markdown]
        # # Walk
        # Inline $a^2$, and `$x$` as code.

        {header}
        import matplotlib.pyplot as plt
        plt.plot([1, 2])
        plt.show()
        """,
    )
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="png")
    png = base64.b64encode(buffer.getvalue()).decode()
    page = (
        '<html><head></head><body><style type="text/css">\n.jupyter-wrapper{color:red}'
        ".unused-thing{color:blue} @media print{.jp-Cell{color:black}}</style>"
        '<script src=""> </script>\n<!-- MathJax configuration -->\n'
        '<script type="text/x-mathjax-config">init()</script><div class="jupyter-wrapper">'
        '<div class="jp-Cell jp-MarkdownCell" id="cell-id=3f2a">'
        '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown x"><h1>Walk</h1>'
        "<p>Inline $a^2$, and <code>$x$</code> as code.</p></div></div>"
        '<div class="jp-Cell jp-CodeCell" id="cell-id=9b1c"><img '
        f'alt="No description has been provided for this image" src="data:image/png;base64,{png}"/>'
        "</div></div></body></html>"
    )
    return page, source


def clean_notebook(page: str, site: Path, source: Path) -> str:
    """What the build does to a notebook page: its figures (before the search index reads the
    content), then the rest."""
    return notebook.clean(notebook.figures(page, "walk/", site, source), "walk/", site, source)


def test_notebook_page_is_cleaned_up(tmp_path):
    page, source = notebook_page(tmp_path, '# %% alt="A rising line"')
    cleaned = clean_notebook(page, tmp_path / "site", source)
    assert "<script" not in cleaned and "<style" not in cleaned  # no CDN scripts, no inline CSS
    css = next((tmp_path / "site" / "assets").glob("notebook-*.css"))
    assert f'<link rel="stylesheet" href="../assets/{css.name}">' in cleaned
    assert "unused-thing" not in css.read_text() and ".jp-Cell{color:black}" in css.read_text()
    assert "<msup>" in cleaned and "<code>$x$</code>" in cleaned  # maths, but not in code
    assert 'alt="A rising line"' in cleaned
    assert 'id="notebook-cell-1"' in cleaned and 'id="notebook-cell-2"' in cleaned
    assert 'href="walk.ipynb"' in cleaned
    first = (tmp_path / "site" / "walk" / "walk.ipynb").read_bytes()
    clean_notebook(page, tmp_path / "site", source)
    assert (tmp_path / "site" / "walk" / "walk.ipynb").read_bytes() == first  # stable cell ids


def test_notebook_figure_without_alt_text_fails(tmp_path):
    page, source = notebook_page(tmp_path, "# %%")
    with pytest.raises(notebook.NotebookError, match="cell 2 shows 1 figure"):
        notebook.figures(page, "walk/", tmp_path / "site", source)


def test_notebook_figures_come_in_both_palettes_and_a_phone_layout(tmp_path):
    """A build kernel shows a figure as a placeholder with its files; the page gets them."""
    import matplotlib.pyplot as plt

    from kernelsite import notebookfigures

    fig, axes = plt.subplots(1, 4, figsize=(10, 2.5))
    for ax in axes:
        ax.plot([1, 2, 3])
        ax.set_title("a panel title")
    shown = notebookfigures.placeholder(fig)
    plt.close(fig)
    page, source = notebook_page(tmp_path, '# %% alt="Four rising lines"')
    page = re.sub(r"<img [^>]*/>", lambda _: shown, page)
    cleaned = clean_notebook(page, tmp_path / "site", source)
    files = sorted(p.name for p in (tmp_path / "site" / "walk").glob("figure-*"))
    stem = files[0].split(".")[0]
    assert files == [f"{stem}.{v}svg" for v in ("dark.", "narrow.dark.", "narrow.", "")]
    assert "kernelsite-figure" not in cleaned and cleaned.count("<picture>") == 2
    for only in ("#only-light", "#only-dark"):
        assert re.search(rf'<img src="{stem}[.\w]*svg{only}" alt="Four rising lines"', cleaned)
    assert f'srcset="{stem}.narrow.dark.svg"' in cleaned
    again = clean_notebook(page, tmp_path / "site", source)
    assert again == cleaned  # the same figure, the same names


def test_css_purge_keeps_what_may_match():
    css = ".a .b{x:1}.c{x:2}.a:not(.zz){x:3}.zz,.a{x:4}@font-face{src:u}@media (x){.c{y:1}}"
    assert notebook.purge_css(css, {"a", "b"}) == (
        ".a .b{x:1}.a:not(.zz){x:3}.zz,.a{x:4}@font-face{src:u}"
    )


def test_truncated_notebook_cache_file_is_dropped(tmp_path):
    from kernelsite.plugin import drop_corrupt_notebook_cache

    write(tmp_path / "good.json", '{"content": "<p>ok</p>"}')
    write(tmp_path / "cut.json", '{"content": "<p>o')
    drop_corrupt_notebook_cache(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.json"]


def test_notebook_download_is_the_same_whatever_the_hash_seed():
    """jupytext orders some metadata by set order, which follows the process's hash seed."""
    snippet = SNIPPETS / "learning" / "cnn_natural_patches.py"  # cells with titles, alt text
    code = (
        "import sys; from pathlib import Path; from kernelsite.downloads import notebook_json; "
        "sys.stdout.write(notebook_json(Path(sys.argv[1]).read_text()))"
    )
    texts = {
        subprocess.run(
            [sys.executable, "-c", code, str(snippet)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(texts) == 1


def test_notebook_download_is_valid_and_runs(tmp_path):
    write(tmp_path / "snippets/demo/figs.py", FIGURE_SNIPPET)
    result = run(tmp_path)["demo/figs.py"]
    notebook_file = execute_notebook(result.folder / "figs.ipynb", tmp_path)
    outputs = [o for cell in notebook_file.cells for o in cell.get("outputs", [])]
    assert any(o.get("output_type") == "display_data" for o in outputs)  # the figures


HELPER = "def greeting():\n    return 'hello'\n"
USES_HELPER = (
    '"""Uses a helper."""\n# %%\nfrom greet import greeting\n\nword = greeting()\nprint(word)\n'
)


def test_a_snippet_runs_with_only_what_its_download_holds(tmp_path):
    """The build runs a snippet in a folder holding its download's files and nothing else: a
    module or a data file beside it that the download would not ship fails the build."""
    write(tmp_path / "snippets/demo/greet.py", HELPER)
    write(tmp_path / "snippets/demo/table.csv", "1,2\n")
    hidden = 'import importlib\n\ngreet = importlib.import_module("gr" + "eet")\n'
    write(tmp_path / "snippets/demo/hidden.py", hidden)
    reads = 'from pathlib import Path\n\nrows = Path(__file__).with_name("table.csv").read_text()\n'
    write(tmp_path / "snippets/demo/reads.py", reads)
    with pytest.raises(runner.SnippetError) as failed:
        run(tmp_path)
    hidden_failure, reads_failure = sorted(failed.value.failures, key=lambda f: f.snippet.id)
    assert str(hidden_failure) == (
        "snippets/demo/hidden.py:3: ModuleNotFoundError: No module named 'greet'"
    )
    assert str(reads_failure).startswith("snippets/demo/reads.py:3: FileNotFoundError")
    source = tmp_path.resolve() / "snippets" / "demo" / "reads.py"
    assert f'File "{source}", line 3' in reads_failure.traceback  # the frame names the source


def execute_notebook(path: Path, folder: Path):
    """Run a notebook with a fresh kernel in ``folder``; return the executed notebook."""
    import nbformat

    notebook_file = nbformat.read(path, as_version=4)
    nbformat.validate(notebook_file)
    notebook_client(notebook_file, folder).execute()
    return notebook_file


def test_helper_snippet_is_offered_as_a_zip_and_a_notebook_that_run_alone(tmp_path):
    write(tmp_path / "snippets/demo/greet.py", HELPER)
    write(tmp_path / "snippets/demo/hello.py", USES_HELPER)
    result = run(tmp_path)["demo/hello.py"]
    assert result.downloads == ["hello.zip", "hello.ipynb"]
    alone = tmp_path / "alone"
    alone.mkdir()
    with zipfile.ZipFile(result.folder / "hello.zip") as archive:
        assert sorted(archive.namelist()) == ["greet.py", "hello.py"]
        archive.extractall(alone)
        held = {name: hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}
    assert result.ran == held  # the build ran exactly what the .zip holds
    assert (alone / "hello.py").read_text() == USES_HELPER  # the exact file, not a rewrite
    proc = subprocess.run([sys.executable, "hello.py"], cwd=alone, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "hello\n", proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(result.folder / "hello.ipynb", empty)
    executed = execute_notebook(empty / "hello.ipynb", empty)
    assert executed.cells[1].source.startswith("%%writefile greet.py")
    streams = [o.get("text", "") for c in executed.cells for o in c.get("outputs", [])]
    assert "hello\n" in streams


def test_a_changed_helper_rebuilds_the_downloads_of_the_snippets_using_it(tmp_path):
    write(tmp_path / "snippets/demo/greet.py", HELPER)
    write(tmp_path / "snippets/demo/hello.py", USES_HELPER)
    run(tmp_path)
    write(tmp_path / "snippets/demo/greet.py", HELPER.replace("hello", "bonjour"))
    result = run(tmp_path)["demo/hello.py"]
    assert not result.cached and result.values["word"] == "bonjour"
    notebook_text = (result.folder / "hello.ipynb").read_text()
    assert "bonjour" in notebook_text and "'hello'" not in notebook_text
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy(result.folder / "hello.ipynb", empty)
    streams = [
        o.get("text", "")
        for c in execute_notebook(empty / "hello.ipynb", empty).cells
        for o in c.get("outputs", [])
    ]
    assert "bonjour\n" in streams


def test_downloads_are_byte_identical_across_runs(tmp_path):
    write(tmp_path / "snippets/demo/greet.py", HELPER)
    write(tmp_path / "snippets/demo/hello.py", USES_HELPER)
    first = run(tmp_path)["demo/hello.py"]
    second = runner.run_all(runner.discover(tmp_path / "snippets"), tmp_path / "other", log=print)
    for name in first.downloads:
        assert (first.folder / name).read_bytes() == (
            second["demo/hello.py"].folder / name
        ).read_bytes()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize(
    "breakage",
    ["import warnings\nwarnings.warn('careful')\n", "raise ValueError('broken')\n"],
    ids=["warning", "error"],
)
def test_a_failed_or_warned_build_keeps_the_last_good_site(tmp_path, breakage):
    from kernelsite.publish import publish

    page = "# Demo\n\n{{ snippet demo/one.py }}\n"
    make_site(tmp_path, page, {"demo/one.py": "x = 1\nprint(x)\n"})
    assert publish(tmp_path / "mkdocs.yml", tmp_path / "site") == 0
    good = snapshot(tmp_path / "site")
    assert "index.html" in good
    write(tmp_path / "snippets/demo/one.py", breakage)
    assert publish(tmp_path / "mkdocs.yml", tmp_path / "site") == 1
    assert snapshot(tmp_path / "site") == good
    assert not (tmp_path / "site.next").exists()


def test_a_glossary_tooltip_is_kept_at_the_first_use_only():
    from kernelsite.pagehtml import first_tooltips_only

    html = (
        '<p><abbr title="A grid">kernel</abbr> and <abbr title="A stack">filter</abbr>, '
        'then <abbr title="A grid">kernels</abbr> again.</p>'
    )
    assert first_tooltips_only(html) == (
        '<p><abbr title="A grid">kernel</abbr> and <abbr title="A stack">filter</abbr>, '
        "then kernels again.</p>"
    )


def test_the_page_that_defines_the_terms_has_no_tooltips(tmp_path):
    abbr = '<p><abbr title="A grid.">kernel</abbr> and <abbr title="B">bias</abbr></p>'
    assert "<abbr" not in pagehtml.finish_html(abbr, tooltips=False)
    assert "kernel and bias" in pagehtml.finish_html(abbr, tooltips=False)
    page = (
        "---\ntooltips: false\n---\n\n# Glossary\n\nkernel\n:   A grid.\n\n"
        "{{ value demo/one.py x }}\n\n*[kernel]: A grid.\n"
    )
    make_site(tmp_path, page, {"demo/one.py": "x = 1\n"})
    config = tmp_path / "mkdocs.yml"
    config.write_text(config.read_text().replace("attr_list,", "attr_list, abbr, def_list,"))
    text = (build_site(tmp_path) / "index.html").read_text(encoding="utf-8")
    assert "<dt>kernel</dt>" in text and "<abbr" not in text
    assert (ROOT / "docs/glossary.md").read_text().startswith("---\ntooltips: false")


def test_a_notebook_page_collapses_long_code_and_long_output_like_a_chapter():
    def cell(lines: int) -> str:
        code = "\n".join(f'<span class="n">x</span> = {i}' for i in range(lines))
        return f'<div class="highlight-ipynb hl-python"><pre data-search-exclude>{code}</pre></div>'

    def output(lines: int) -> str:
        text = "\n".join(str(i) for i in range(lines)) + "\n"
        return (
            '<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain" '
            f'tabindex="0">\n<pre data-search-exclude>{text}</pre>\n</div>'
        )

    short = cell(notebook.CODE_SHOWN_LINES) + output(embed.OUTPUT_SHOWN_LINES)
    assert notebook.collapse_long_cells(short) == short
    long = notebook.collapse_long_cells(cell(40) + output(9))
    assert long.count('<details class="notebook-collapsed">') == 2
    assert "<summary>Code · 40 lines</summary>" in long
    assert "<summary>Printed output · 9 lines</summary>" in long


def test_code_tokens_in_the_codes_own_colour_lose_their_span_and_others_keep_it():
    from kernelsite.pagehtml import plain_unstyled_tokens

    block = (
        '<div class="language-python highlight"><pre><span></span><code>'
        '<span class="kn">import</span><span class="w"> </span><span class="nn">torch</span>\n'
        '<span class="n">x</span> <span class="o">=</span> <span class="mi">1</span>'
        "</code></pre></div>"
    )
    notebook = '<div class="highlight-ipynb"><pre><span class="n">x</span></pre></div>'
    assert plain_unstyled_tokens(block + notebook) == (
        '<div class="language-python highlight"><pre><span></span><code>'
        '<span class="kn">import</span> <span class="nn">torch</span>\n'
        'x <span class="o">=</span> <span class="mi">1</span></code></pre></div>' + notebook
    )


def test_a_headings_permalink_is_named_without_a_title_that_would_mount_a_tooltip():
    from kernelsite.pagehtml import untitled_permalinks

    html = '<h2 id="a">A<a class="headerlink" href="#a" title="Permanent link">&para;</a></h2>'
    assert untitled_permalinks(html) == (
        '<h2 id="a">A<a class="headerlink" href="#a" aria-label="Permanent link">&para;</a></h2>'
    )


def test_tables_scroll_in_a_keyboard_reachable_box():
    from kernelsite.pagehtml import scrollable_tables

    html = scrollable_tables("<p>x</p><table>\n<tr><td>kernel</td></tr>\n</table>")
    assert html == (
        '<p>x</p><div class="table-scroll" tabindex="0" role="region" aria-label="Table">'
        "<table>\n<tr><td>kernel</td></tr>\n</table></div>"
    )


# -- Figures in both palettes, and laid out for phones -------------------------------------------

WIDE_SNIPPET = '''
"""Four small grey panels side by side, then one line chart."""
import matplotlib.pyplot as plt
import numpy as np

fig, axes = plt.subplots(1, 4, figsize=(10, 2.5))
for i, ax in enumerate(axes):
    ax.imshow(np.arange(16).reshape(4, 4) * (i + 1), cmap="gray")
    ax.set_title(f"panel {i}", fontsize=8)
fig.tight_layout()
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 1], [1, 0])
plt.show()
'''


def palette_figure():
    """A title, a black line, a grey image in the lower right, a black number on its white end."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set_title("A title in black ink")
    ax.plot([0, 10], [0, 10], color="black", linewidth=4)
    ax.imshow(np.linspace(0, 1, 100).reshape(10, 10), cmap="gray", extent=(5, 10, 0, 5))
    ax.text(9.5, 0.5, "9", color="black", fontsize=14, ha="center", va="center")
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    return fig


def test_dark_variant_recolours_background_and_ink_and_leaves_images_alone(tmp_path):
    import matplotlib.pyplot as plt
    import numpy as np

    from kernelsite import figures

    fig = palette_figure()
    assert figures.save_figure(fig, tmp_path, "fig1.png").names == ["fig1.png", "fig1.dark.png"]
    plt.close(fig)
    positions = {xy: fig.axes[0].transData.transform(xy) for xy in [(2, 2), (2, 8)]}
    light, dark = (
        np.asarray(Image.open(tmp_path / name).convert("RGB")).astype(int)
        for name in ("fig1.png", "fig1.dark.png")
    )
    assert light.shape == dark.shape
    background = np.array(Image.new("RGB", (1, 1), DARK_BACKGROUND).getpixel((0, 0)))
    height = light.shape[0]

    def at(image, xy):
        x, y = positions[xy]
        return image[height - 1 - round(y), round(x)]

    # the figure's and the axes' background: white, then the dark page's colour
    for image, expected in ((light, (255, 255, 255)), (dark, background)):
        assert np.abs(image[2, 2] - expected).max() <= 3
        assert np.abs(at(image, (2, 8)) - expected).max() <= 3
    # the black line becomes light ink
    assert at(light, (2, 2)).max() < 60 and at(dark, (2, 2)).min() > 180
    # the title: dark ink on white, light ink on the dark background
    band_light, band_dark = light[: height // 10], dark[: height // 10]
    assert band_light.min() < 60 and band_dark.max() > 180
    assert band_dark.min() >= background.min() - 3  # no dark ink left
    # the image is untouched (up to the PNG palette), and so is the number drawn on it
    x0, y0 = fig.axes[0].transData.transform((5.5, 4.5))
    x1, y1 = fig.axes[0].transData.transform((8.5, 1.5))
    rows, cols = slice(height - round(y0), height - round(y1)), slice(round(x0), round(x1))
    assert np.abs(light[rows, cols] - dark[rows, cols]).mean() < 2
    x, y = fig.axes[0].transData.transform((9.5, 0.5))
    box = (slice(height - round(y) - 6, height - round(y) + 6), slice(round(x) - 6, round(x) + 6))
    assert light[box].min() < 60 and dark[box].min() < 60

    # in SVG the image is embedded as is: the same bytes in both palettes
    fig = palette_figure()
    figures.save_figure(fig, tmp_path, "fig2.svg")
    plt.close(fig)
    embedded = [
        re.findall(r'xlink:href="(data:image/png;base64,[^"]+)"', (tmp_path / name).read_text())
        for name in ("fig2.svg", "fig2.dark.svg")
    ]
    assert len(embedded[0]) == 1 and embedded[0] == embedded[1]


def test_an_ink_on_paper_image_is_light_ink_on_the_dark_page(tmp_path):
    # An edge map drawn with gray_r (black edges on white) would be a white box on a dark page:
    # its dark variant draws light edges on black instead. Other colour maps are left alone.
    import matplotlib.pyplot as plt
    import numpy as np

    from kernelsite import figures

    edges = np.zeros((40, 40))
    edges[:, 18:22] = 1.0  # one vertical edge
    fig, axes = plt.subplots(1, 2, figsize=(4, 2))
    axes[0].imshow(edges, cmap="gray_r", vmin=0, vmax=1)
    axes[1].imshow(edges, cmap="viridis", vmin=0, vmax=1)
    saved = figures.save_figure(fig, tmp_path, "fig1.png")
    plt.close(fig)
    light, dark = (
        np.asarray(Image.open(tmp_path / file.name).convert("L")).astype(int)
        for file in (saved.light, saved.dark)
    )
    height = light.shape[0]
    for ax, reversed_ in ((axes[0], True), (axes[1], False)):
        (x0, y0), (x1, y1) = ax.transData.transform([(2, 30), (8, 10)])  # paper, no edge
        paper = (slice(height - round(y1), height - round(y0)), slice(round(x0), round(x1)))
        (x0, y0), (x1, y1) = ax.transData.transform([(19, 30), (20.5, 10)])  # the edge
        ink = (slice(height - round(y1), height - round(y0)), slice(round(x0), round(x1)))
        if reversed_:
            assert light[paper].mean() > 240 and light[ink].mean() < 20
            assert dark[paper].mean() < 20 and dark[ink].mean() > 240
        else:
            assert abs(light[paper].mean() - dark[paper].mean()) < 3


def saved_with_narrow_layout(fig, folder: Path) -> list[tuple[int, int]]:
    """Save ``fig`` as fig1.svg, check that it got a narrow layout in both palettes, and return
    the sizes of the wide and the narrow layout, in CSS px."""
    import matplotlib.pyplot as plt

    from kernelsite import figures

    names = figures.save_figure(fig, folder, "fig1.svg").names
    plt.close(fig)
    assert names == ["fig1.svg", "fig1.narrow.svg", "fig1.dark.svg", "fig1.narrow.dark.svg"]
    return [figurefiles.figure_size(folder / name) for name in ("fig1.svg", "fig1.narrow.svg")]


def test_a_wide_multi_panel_figure_gets_a_narrow_layout_for_phones(tmp_path):
    import matplotlib.pyplot as plt

    from kernelsite import figures

    fig, axes = plt.subplots(1, 4, figsize=(10, 2.5))
    for i, ax in enumerate(axes):
        ax.plot([0, i])
        ax.set_title(f"panel {i}", fontsize=8)
    fig.tight_layout()
    (width, height), (narrow_width, narrow_height) = saved_with_narrow_layout(fig, tmp_path)
    assert narrow_width < width / 2 and narrow_height > 2 * height
    narrow_dark = figurefiles.figure_size(tmp_path / "fig1.narrow.dark.svg")
    assert narrow_dark == (narrow_width, narrow_height)
    # on a phone the smallest text (8 pt) is drawn at least PHONE_TEXT_PX high
    scale = min(1, PHONE_WIDTH_PX / narrow_width)
    assert 8 * 4 / 3 * scale >= PHONE_TEXT_PX > 8 * 4 / 3 * PHONE_WIDTH_PX / width

    fig, ax = plt.subplots(figsize=(4, 3))  # one panel, readable on a phone: no narrow layout
    ax.plot([0, 1])
    assert figures.save_figure(fig, tmp_path, "fig2.svg").names == ["fig2.svg", "fig2.dark.svg"]
    plt.close(fig)


def test_a_wide_single_chart_gets_narrower_unless_its_text_would_collide(tmp_path):
    import matplotlib.pyplot as plt

    from kernelsite import figures

    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(range(10))
    ax.set_title("A line chart with a title of some length", fontsize=8)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    (width, height), (narrow_width, narrow_height) = saved_with_narrow_layout(fig, tmp_path)
    assert narrow_width < 0.6 * width and narrow_height == height  # the text keeps its size
    scale = min(1, PHONE_WIDTH_PX / narrow_width)
    assert 8 * 4 / 3 * scale > 8.5  # CSS px: about PHONE_TEXT_PX

    fig, ax = plt.subplots(figsize=(8, 3))  # labels in data coordinates would run together
    for x in range(8):
        ax.text(x, 0.5, "a longer label", fontsize=8)
    ax.set_xlim(0, 8)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    assert figures.save_figure(fig, tmp_path, "fig2.svg").names == ["fig2.svg", "fig2.dark.svg"]
    plt.close(fig)


def test_page_shows_a_figure_in_each_palette_and_its_narrow_layout_on_phones(tmp_path):
    page = """
        # Mini

        ![Four grey panels, "darker" to lighter](snippet:demo/wide.py#1)

        ![A falling line](snippet:demo/wide.py#2)
        """
    site = build_site(make_site(tmp_path, page, {"demo/wide.py": WIDE_SNIPPET}))
    html = (site / "index.html").read_text()
    folder = "snippets/demo/wide"
    alt = "Four grey panels, &quot;darker&quot; to lighter"
    assert f'<picture><source media="(max-width: 600px)" srcset="{folder}/fig1.narrow.svg"' in html
    assert f'<img src="{folder}/fig1.svg#only-light" alt="{alt}"' in html
    assert f'srcset="{folder}/fig1.narrow.dark.svg"' in html
    assert f'<img src="{folder}/fig1.dark.svg#only-dark" alt="{alt}"' in html
    assert f'<img src="{folder}/fig2.svg#only-light" alt="A falling line"' in html
    assert f'<img src="{folder}/fig2.dark.svg#only-dark" alt="A falling line"' in html
    assert "fig2.narrow" not in html
    assert html.count('loading="lazy"') == 4
    for url in re.findall(r'(?:src|srcset)="([^"#]+)', html):
        if url.startswith(folder):
            assert (site / url).is_file(), url


def test_dark_and_narrow_variants_are_byte_identical_across_runs(tmp_path):
    write(tmp_path / "snippets/demo/wide.py", WIDE_SNIPPET)
    first = run(tmp_path)["demo/wide.py"]
    second = runner.run_all(runner.discover(tmp_path / "snippets"), tmp_path / "other", log=print)
    assert first.figures == second["demo/wide.py"].figures  # names, pixel sizes and bytes
    figure = first.figures[0]
    assert figure.names == ["fig1.svg", "fig1.narrow.svg", "fig1.dark.svg", "fig1.narrow.dark.svg"]
    for name in (name for figure in first.figures for name in figure.names):
        assert (first.folder / name).read_bytes() == (
            second["demo/wide.py"].folder / name
        ).read_bytes(), name


def test_search_index_leaves_out_notebook_code_and_output_but_keeps_prose():
    from material.plugins.search.plugin import Parser

    from kernelsite import pagehtml

    prose = (
        '<div class="jp-Cell jp-MarkdownCell"><div class="jp-InputArea"><div class="jp-Prompt">'
        '</div><h2 id="t">Title</h2><p>Prose to find.</p></div></div>'
    )
    code = (
        '<div class="jp-Cell jp-CodeCell"><div class="jp-InputArea">'
        '<div class="jp-InputPrompt jp-InputArea-prompt">In [1]:</div>'
        '<div class="highlight-ipynb"><div class="notices"><span class="notice">Copied!</span>'
        "</div><pre><span>import</span> torch\n<span>print</span>(42)</pre>"
        '<div class="clipboard-copy-txt" id="cell-1">import torch\nprint(42)</div></div></div>'
        '<div class="jp-OutputArea"><div class="jp-OutputArea-output"><pre>42</pre></div></div>'
        "</div><p>More prose.</p>"
    )
    parser = Parser()
    parser.feed(pagehtml.finish_html(prose + code))
    parser.close()
    text = " ".join("".join(s.title + s.text) for s in parser.data)
    assert "Prose to find." in text and "More prose." in text
    for left_out in ("In [1]:", "Copied!", "torch", "42"):
        assert left_out not in text, f"{left_out!r} reached the search index: {text}"


def test_photographs_and_heavy_raster_figures_are_lossy_webp_and_repeat_exactly(tmp_path):
    import matplotlib.pyplot as plt
    import numpy as np

    from kernelsite import figures

    rng = np.random.default_rng(0)
    made = {}
    for kind, image in {
        "photo": rng.integers(0, 256, (120, 160, 3)).astype(np.uint8),  # colour: a photograph
        "heavy": rng.random((300, 300)),  # grey noise: a PNG far over the limit
        "light": np.outer(np.arange(200), np.ones(200)),  # a smooth ramp: a small PNG
    }.items():
        for run in (1, 2):
            folder = tmp_path / f"{kind}{run}"
            folder.mkdir()
            fig, ax = plt.subplots(figsize=(3, 3))
            ax.imshow(image, cmap="gray")
            names = figures.save_figure(fig, folder, figures.figure_name(fig, 1)).names
            plt.close(fig)
            made[kind, run] = {n: (folder / n).read_bytes() for n in names}
    assert list(made["photo", 1]) == ["fig1.webp", "fig1.dark.webp"]
    assert list(made["heavy", 1]) == ["fig1.webp", "fig1.dark.webp"]
    assert list(made["light", 1]) == ["fig1.png", "fig1.dark.png"]
    assert all(made[kind, 1] == made[kind, 2] for kind in ("photo", "heavy", "light"))
    for kind in ("photo", "heavy"):
        assert Image.open(io.BytesIO(made[kind, 1]["fig1.webp"])).format == "WEBP"


def test_a_page_names_its_modules_and_all_they_import_in_its_head(tmp_path):
    write(
        tmp_path / "assets" / "main.js",
        'import { a } from "./a.js";\nimport {\n  b,\n} from "./b.js";\n',
    )
    write(tmp_path / "assets" / "a.js", 'import { b } from "./b.js";\nexport const a = 1;\n')
    write(tmp_path / "assets" / "b.js", 'export const b = 2; // import nothing from "./c.js"\n')
    page = '<head></head><body><script type="module" src="../assets/main.js"></script></body>'
    html = pagehtml.preload_modules(page, "chapter/", tmp_path)
    links = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html[: html.index("</head>")])
    assert links == ["../assets/main.js", "../assets/a.js", "../assets/b.js"]
    home = pagehtml.preload_modules(page.replace("../", ""), "", tmp_path)
    assert re.findall(r'modulepreload" href="([^"]+)"', home)[0] == "assets/main.js"
    plain = "<head></head><body><p>No script.</p></body>"
    assert pagehtml.preload_modules(plain, "chapter/", tmp_path) == plain
