"""Post-processing of the pages mkdocs-jupyter renders from notebooks (jupytext percent files).

mkdocs-jupyter inlines ~590 KB of Jupyter CSS into every notebook page, adds scripts that load
MathJax and Mermaid from a CDN, leaves ``$…$`` maths as raw text, gives every figure the alt text
"No description has been provided for this image" and random cell ids. This module:

- keeps only the CSS rules the page uses, in a shared, cacheable file;
- removes the external scripts and renders the maths as MathML, like the other pages;
- takes each figure's alt text from its cell's metadata (``# %% alt="…"``; a list for several
  figures) and fails the build when a figure has none;
- publishes each figure as files beside the page, in both palettes and, when it needs one, in a
  phone layout, like the snippets' figures (the kernels draw them: see ``notebookfigures``);
- numbers cells deterministically, so rebuilding gives the same bytes;
- collapses long code cells and long printed output, one click away, like the chapters' code;
- adds download links for the walkthrough as ``.py`` and as ``.ipynb``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import posixpath
import re
from pathlib import Path

import jupytext

from kernelsite import notebookfigures
from kernelsite.downloads import notebook_json
from kernelsite.embed import OUTPUT_SHOWN_LINES, picture_html
from kernelsite.figurefiles import Figure, palette_png
from kernelsite.mathml import to_mathml
from kernelsite.pagecache import PageCache

STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)
EXTERNAL = re.compile(
    r'<script src="">\s*</script>'
    r'|<!-- MathJax configuration -->\s*<script type="text/x-mathjax-config">.*?</script>'
    r'|<script type="module">(?:(?!</script>).)*?cdnjs.*?</script>',
    re.DOTALL,
)
CELL = re.compile(r'<div class="jp-Cell [^"]*" id="cell-id=[^"]*">')
MARKDOWN = '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown'
DIV = re.compile(r"<div\b|</div>")
CODE = re.compile(r"(<(pre|code)\b.*?</\2>)", re.DOTALL)
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\n]|\n(?!\n))+?)(?<!\\)\$")
NO_ALT = 'alt="No description has been provided for this image"'
FIGURE = re.compile(f"{re.escape(NO_ALT)}|{notebookfigures.PLACEHOLDER.pattern}")
PNG = re.compile(r'src="data:image/png;base64,([^"]+)"')
CLASS_ATTR = re.compile(r'class="([^"]*)"')
SELECTOR_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
FUNCTIONAL = re.compile(r":[\w-]+\((?:[^()]|\([^()]*\))*\)")
TOP_LEVEL_COMMA = re.compile(r",(?![^()]*\))")


def _maths(text: str) -> str:
    parts = CODE.split(text)  # text, code, tag name, text, code, tag name, ...
    for i in range(0, len(parts), 3):
        display = DISPLAY.sub(lambda m: to_mathml(html.unescape(m[1]), display=True), parts[i])
        parts[i] = INLINE.sub(lambda m: to_mathml(html.unescape(m[1]), display=False), display)
    return "".join(p for i, p in enumerate(parts) if i % 3 != 2)


def render_maths(page_html: str) -> str:
    """Convert ``$…$`` and ``$$…$$`` inside every rendered Markdown cell (nested divs included)."""
    out, end = [], 0
    while (start := page_html.find(MARKDOWN, end)) != -1:
        depth, stop = 0, start
        for tag in DIV.finditer(page_html, start):
            depth += 1 if tag[0] == "<div" else -1
            if depth == 0:
                stop = tag.end()
                break
        out += [page_html[end:start], _maths(page_html[start:stop])]
        end = stop
    return "".join(out) + page_html[end:]


class NotebookError(ValueError):
    pass


def _css_blocks(css: str) -> list[tuple[str, str]]:
    """Split CSS into top-level (prelude, body) pairs, minding strings; drops @charset/@import."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    blocks, depth, quote, prelude_start, body_start, prelude = [], 0, None, 0, 0, ""
    for i, char in enumerate(css):
        if quote:
            quote = None if char == quote and css[i - 1] != "\\" else quote
        elif char in "\"'":
            quote = char
        elif char == ";" and depth == 0:
            prelude_start = i + 1
        elif char == "{":
            if depth == 0:
                prelude, body_start = css[prelude_start:i].strip(), i + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                blocks.append((prelude, css[body_start:i]))
                prelude_start = i + 1
    return blocks


def _may_match(selector: str, used: set[str]) -> bool:
    """False only when the selector needs a class that no element of the page has."""
    selector = FUNCTIONAL.sub("", selector)  # :not(.x), :is(.a, .b) ... never make it required
    return set(SELECTOR_CLASS.findall(selector)) <= used


def purge_css(css: str, used: set[str]) -> str:
    """Keep the rules that could match an element of the page."""
    kept = []
    for prelude, body in _css_blocks(css):
        if prelude.startswith(("@media", "@supports", "@layer")):
            inner = purge_css(body, used)
            if inner:
                kept.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@") or any(
            _may_match(selector, used) for selector in TOP_LEVEL_COMMA.split(prelude)
        ):
            kept.append(f"{prelude}{{{body}}}")
    return "".join(kept)


def _smaller_png(match: re.Match) -> str:
    png = palette_png(base64.b64decode(match[1]))
    return f'src="data:image/png;base64,{base64.b64encode(png).decode()}"'


def figure_files(page_html: str) -> dict[int, tuple[Figure, dict[str, bytes]]]:
    """Per placeholder (by its offset in the page): its figure and files, named by the content
    of the light figure (``figure-3f2a….png``, ``figure-3f2a….dark.png``, …)."""
    found = {}
    for match in notebookfigures.PLACEHOLDER.finditer(page_html):
        figure, files = notebookfigures.saved(match)
        stem = "figure-" + hashlib.sha256(files[figure.light.name]).hexdigest()[:12]
        named = figure.renamed(stem)
        renamed = {
            new.name: files[old.name] for old, new in zip(figure.files, named.files, strict=True)
        }
        found[match.start()] = (named, renamed)
    return found


def _figures(page_html: str, source: Path, placed: dict) -> str:
    """Give each figure its alt text from its cell's metadata, in both palettes and, when it has
    one, its phone layout (``placed``: from ``figure_files``, written beside the page); number
    the cells."""
    cells = jupytext.read(source).cells
    starts = list(CELL.finditer(page_html))
    if len(starts) != len(cells):
        raise NotebookError(f"{len(cells)} cells but {len(starts)} rendered")
    out, end = [], 0
    for number, (cell, match) in enumerate(zip(cells, starts, strict=True), start=1):
        stop = starts[number].start() if number < len(starts) else len(page_html)
        alts = cell.metadata.get("alt", [])
        alts = [alts] if isinstance(alts, str) else list(alts)
        shown = list(FIGURE.finditer(page_html, match.end(), stop))
        if len(shown) != len(alts):
            raise NotebookError(
                f"cell {number} shows {len(shown)} figure(s) but its metadata gives "
                f'{len(alts)} alt text(s): write `# %% alt="…"` (a list for several figures)'
            )
        tag = match[0].replace(
            re.search(r'id="[^"]*"', match[0])[0], f'id="notebook-cell-{number}"'
        )
        out += [page_html[end : match.start()], tag]
        end = match.end()
        for figure, alt in zip(shown, alts, strict=True):
            if figure[0] == NO_ALT:
                markup = f'alt="{html.escape(alt)}"'
            else:
                markup = picture_html(placed[figure.start()][0], alt, lambda file: file)
            out += [PNG.sub(_smaller_png, page_html[end : figure.start()]), markup]
            end = figure.end()
        out.append(PNG.sub(_smaller_png, page_html[end:stop]))
        end = stop
    return "".join(out) + page_html[end:]


# Like a chapter (embed.code_block): code longer than this many lines, and printed output longer
# than embed.OUTPUT_SHOWN_LINES, are one click away; the prose and the figures carry the page.
CODE_SHOWN_LINES = 12
CODE_CELL = re.compile(r'(<div class="highlight-ipynb hl-python">)(<pre\b.*?</pre>)', re.DOTALL)
TEXT_OUTPUT = re.compile(
    r'(<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain"[^>]*>\s*)'
    r"(<pre\b.*?</pre>)",
    re.DOTALL,
)


def collapse_long_cells(page_html: str) -> str:
    """Put each long code cell and each long printed output in a closed ``<details>`` whose
    summary says what it holds and how many lines."""

    def collapsed(kind: str, shown: int):
        def replace(match: re.Match) -> str:
            text = re.sub(r"<[^>]*>", "", match[2]).rstrip("\n")
            lines = text.count("\n") + 1
            if lines <= shown:
                return match[0]
            return (
                f'{match[1]}<details class="notebook-collapsed"><summary>{kind} · {lines} lines'
                f"</summary>{match[2]}</details>"
            )

        return replace

    page_html = CODE_CELL.sub(collapsed("Code", CODE_SHOWN_LINES), page_html)
    return TEXT_OUTPUT.sub(collapsed("Printed output", OUTPUT_SHOWN_LINES), page_html)


def _downloads(page_html: str, source: Path, page_dir: Path, notebook: str) -> str:
    """Write the notebook version next to the page and link both files under the title."""
    (page_dir / f"{source.stem}.ipynb").write_text(notebook, encoding="utf-8")
    links = (
        f'<p class="snippet-downloads"><a download href="{source.name}">{source.name}</a> · '
        f'<a download href="{source.stem}.ipynb">{source.stem}.ipynb</a></p>'
    )
    return re.sub(r"(</h1>)", r"\1" + links, page_html, count=1)


def _cached(cache: PageCache | None, kind: str, compute, *inputs: str) -> str:
    return compute() if cache is None else cache.cached(cache.key(kind, *inputs), compute)


def figures(
    content: str, url_folder: str, site_dir: Path, source: Path, cache: PageCache | None = None
) -> str:
    """A rendered notebook's content (before the search index reads it) with its figures
    published beside the page (in ``url_folder`` below ``site_dir``: see paths.PagePaths), their
    alt text, numbered cells and long cells collapsed. With a ``cache``, the markup is reused
    while its input is unchanged."""
    page_dir = site_dir / url_folder
    page_dir.mkdir(parents=True, exist_ok=True)
    placed = figure_files(content)
    for _, files in placed.values():
        for name, data in files.items():
            (page_dir / name).write_bytes(data)
    text = source.read_text(encoding="utf-8")

    def markup() -> str:
        return collapse_long_cells(_figures(content, source, placed))

    return _cached(cache, "notebook-figures", markup, content, text)


def clean(
    page_html: str, url_folder: str, site_dir: Path, source: Path, cache: PageCache | None = None
) -> str:
    """Post-process one rendered notebook page (in ``url_folder`` below ``site_dir``), after
    ``figures``. With a ``cache``, the costly CSS step is reused while its input is unchanged."""
    page_html = EXTERNAL.sub("", page_html)
    text = source.read_text(encoding="utf-8")
    page_dir = site_dir / url_folder
    page_dir.mkdir(parents=True, exist_ok=True)
    notebook = _cached(cache, "notebook-ipynb", lambda: notebook_json(text), text)
    page_html = _downloads(page_html, source, page_dir, notebook)
    css = "\n".join(STYLE.findall(page_html))
    if css:
        used = {name for attr in CLASS_ATTR.findall(page_html) for name in attr.split()}
        used |= {"jupyter-wrapper"}
        purged = functools.partial(purge_css, css, used)
        css = _cached(cache, "notebook-css", purged, css, " ".join(sorted(used)))
        name = f"assets/notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        (site_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (site_dir / name).write_text(css, encoding="utf-8")
        href = posixpath.relpath(name, url_folder)
        page_html = STYLE.sub("", page_html)
        page_html = page_html.replace(
            "</head>", f'<link rel="stylesheet" href="{href}">\n</head>', 1
        )
    return render_maths(page_html)
