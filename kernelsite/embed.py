"""The three page directives, replaced in a page's Markdown before it is rendered.

``{{ snippet notation/flip.py }}`` (or ``{{ snippet notation/flip.py open }}``)
    alone on a line: download links (.py or .zip, .ipynb), the snippet's code in a collapsed
    block (open with ``open``) without its jupytext cell markers, and its printed output
    (collapsed too when longer than OUTPUT_SHOWN_LINES).
``![alt text](snippet:notation/flip.py#1)``
    figure 1 of that snippet (``#name.png``: a file the snippet wrote; no ``#``: the .py file).
    An image must have alt text. A figure is shown in the page's palette (light or dark), and
    in its narrow layout on a phone when it has one (see ``figure_html``).
``{{ value notation/flip.py max_error .1e }}``
    a value the snippet computed (a module-level variable), with an optional format spec;
    ``name.key`` and ``name[0]`` reach into dicts and lists. A value of several lines (a table)
    alone on an indented line keeps that indentation (inside a collapsible block or a list).

Directives inside code (fenced blocks, inline code) are left alone, so they can be documented.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from kernelsite.figurefiles import NARROW_MEDIA, Figure
from kernelsite.paths import PagePaths, SnippetPaths
from kernelsite.runner import Result

BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)\{\{\s*snippet\s+(?P<id>\S+?)(?:\s+(?P<open>open))?\s*\}\}[ \t]*$",
    re.MULTILINE,
)
# jupytext cell markers: kept in the file and the downloads, hidden in the reading view.
CELL_MARKER = re.compile(r"^# %%.*\n", re.MULTILINE)
VALUE = re.compile(
    r"\{\{\s*value\s+(?P<id>\S+)\s+(?P<name>[A-Za-z_]\w*(?:\.\w+|\[\d+\])*)"
    r"(?:\s+(?P<spec>[^\s}]+))?\s*\}\}"
)
LINK = re.compile(
    r"(?P<bang>!?)\[(?P<text>(?:\{\{.*?\}\}|[^\]])*)\]\(snippet:(?P<id>[^)#\s]+)(?:#(?P<part>[^)\s]+))?\)"
)
CODE = re.compile(
    r"^(?P<i>[ \t]*)(?P<fence>`{3,}|~{3,}).*?^(?P=i)(?P=fence)[ \t]*$"  # fenced block
    r"|(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`)",  # inline code
    re.MULTILINE | re.DOTALL,
)
FIELD = re.compile(r"\.(\w+)|\[(\d+)\]")
# Where a directive starts: one that none of the patterns above matches is malformed.
OPENING = re.compile(r"\{\{\s*(?:snippet|value)\b")


@dataclass
class EmbedError(Exception):
    page: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.message}"


class EmbedErrors(ValueError):
    """Every bad directive of a page, reported at once (one line each, in page order)."""

    def __init__(self, errors: list[EmbedError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def directives(markdown: str) -> list[tuple[str, re.Match]]:
    """(kind, match) of every directive of a page outside code, in page order."""
    protected = [m.span() for m in CODE.finditer(markdown)]
    found = [
        (kind, match)
        for kind, pattern in (("block", BLOCK), ("value", VALUE), ("link", LINK))
        for match in pattern.finditer(markdown)
        if not any(a <= match.start() < b for a, b in protected)
    ]
    return sorted(found, key=lambda item: item[1].start())


def malformed(markdown: str, found: list[tuple[str, re.Match]]) -> list[re.Match]:
    """Directive openings outside code that no directive pattern matched (a name with a hyphen,
    a missing brace): left alone they would reach the reader as raw text."""
    covered = [m.span() for _, m in found] + [m.span() for m in CODE.finditer(markdown)]
    return [
        m for m in OPENING.finditer(markdown) if not any(a <= m.start() < b for a, b in covered)
    ]


def references(markdown: str) -> list[tuple[str, int]]:
    """(snippet id, line) of every directive in a page."""
    return [(m["id"], markdown.count("\n", 0, m.start()) + 1) for _, m in directives(markdown)]


def quoted_values(docs_dir: Path) -> dict[str, list[tuple[str, str, str]]]:
    """snippet id -> (value name, format spec, "docs/<page>:<line>") for every value the pages
    below ``docs_dir`` quote, in page order."""
    quoted: dict[str, list[tuple[str, str, str]]] = {}
    for page in sorted(docs_dir.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        for kind, match in directives(text):
            if kind == "value":
                line = text.count("\n", 0, match.start()) + 1
                where = f"{docs_dir.name}/{page.relative_to(docs_dir).as_posix()}:{line}"
                quoted.setdefault(match["id"], []).append((match["name"], match["spec"], where))
    return quoted


def lookup_value(values: dict, snippet_id: str, name: str):
    """The value ``name`` (``a``, ``a.key``, ``a[0]``) among a snippet's recorded values."""
    head, *_ = re.split(r"[.\[]", name, maxsplit=1)
    if head not in values:
        known = ", ".join(sorted(values)) or "none"
        raise ValueError(f"{snippet_id} has no value {head!r} (values: {known})")
    value, reached = values[head], head
    for key, index in FIELD.findall(name[len(head) :]):
        if key:
            if not isinstance(value, dict) or key not in value:
                keys = ", ".join(sorted(value)) if isinstance(value, dict) else "none"
                kind = type(value).__name__
                raise ValueError(
                    f"{snippet_id} value {reached}.{key}: {reached} is a {kind} without key "
                    f"{key!r} (keys: {keys})"
                )
            value, reached = value[key], f"{reached}.{key}"
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                size = (
                    f"the list has {len(value)} items"
                    if isinstance(value, list)
                    else (f"{reached} is a {type(value).__name__}, not a list")
                )
                raise ValueError(f"{snippet_id} value {reached}[{index}]: {size}")
            value, reached = value[int(index)], f"{reached}[{index}]"
    return value


def lookup(result: Result, name: str):
    return lookup_value(result.values, result.snippet.id, name)


ICONS = {
    ".py": ":material-download:",
    ".zip": ":material-folder-zip-outline:",
    ".ipynb": ":material-notebook-outline:",
}


def download_links(result: Result, results: dict[str, Result], page_dir: str) -> list[str]:
    """The download links of a snippet and, if it imports helpers, a line naming them."""

    def url(snippet_id: str, name: str) -> str:
        return SnippetPaths(snippet_id).link(name, page_dir)

    code, notebook = result.downloads
    label = code if code.endswith(".py") else f"{code} (snippet + helpers)"
    links = " · ".join(
        f"[{ICONS[posixpath.splitext(name)[1]]} {text}]({url(result.snippet.id, name)})"
        "{ download }"
        for name, text in ((code, label), (notebook, notebook))
    )
    lines = [links, "{ .snippet-downloads }"]
    if result.snippet.helpers:
        root = result.snippet.path.parents[result.snippet.id.count("/")]  # the snippets folder
        helpers = []
        for helper in result.snippet.helpers:
            helper_id = helper.relative_to(root).as_posix()
            download = results[helper_id].downloads[0]
            helpers.append(f"[`{helper.name}`]({url(helper_id, download)})")
        lines += [
            "",
            f"Needs the helper module {', '.join(helpers)} in the same folder; the .zip and "
            "the notebook include it.",
            "{ .snippet-helpers }",
        ]
    return lines


def reading_view(source: str) -> str:
    """The code as shown on the page: without jupytext cell markers, nor the blank lines they
    leave in a row (the markers are comments: what a reader copies still runs)."""
    shown = CELL_MARKER.sub("", source)
    return re.sub(r"\n{3,}", "\n\n", shown).strip("\n")


# Printed output up to this many lines is shown; longer output is one click away (the numbers
# the page relies on are quoted in its text).
OUTPUT_SHOWN_LINES = 6


def code_block(
    result: Result, results: dict[str, Result], page_dir: str, indent: str, shown_open: bool
) -> str:
    """Download links, then the code in a collapsible block titled with the file name and its
    size (open when the page asks for it), then the printed output (collapsed when long)."""
    source = result.snippet.path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    code = reading_view(source)
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", code)), default=0))
    marker = "???+" if shown_open else "???"
    parts = [
        *download_links(result, results, page_dir),
        "",
        f'{marker} snippet "snippets/{result.snippet.id} · {lines} lines"',
        "",
        *(f"    {line}" if line else "" for line in [f"{fence}python", *code.split("\n"), fence]),
    ]
    if result.stdout.strip():
        out = result.stdout.rstrip("\n")
        out_fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", out)), default=0))
        # .snippet-output: printed lines wrap at the column's edge (site.css), code does not.
        header = f'{out_fence}{{.text .snippet-output title="Output"}}'
        block = [header, *out.split("\n"), out_fence]
        count = len(out.split("\n"))
        if count > OUTPUT_SHOWN_LINES:
            title = f'??? snippet "Printed output · {count} lines"'
            block = [title, "", *(f"    {line}" if line else "" for line in block)]
        parts += ["", *block]
    return "\n".join(indent + line if line else line for line in "\n".join(parts).split("\n"))


def figure_html(result: Result, figure: Figure, alt: str, folder: str) -> str:
    """A figure of a snippet's result, on a page published in ``folder``."""
    return picture_html(
        figure, alt, lambda file: SnippetPaths(result.snippet.id).link(file, folder)
    )


def picture_html(figure: Figure, alt: str, url) -> str:
    """A figure in the page's palette: the light file and its dark variant (``#only-light`` and
    ``#only-dark``: Material shows one, and a lazy image that is not shown is not downloaded),
    each in a ``<picture>`` whose narrow layout replaces it on a phone, when the figure has one.
    ``url``: a file name's link."""
    parts = []
    for wide, narrow, only in (
        (figure.light, figure.narrow, "only-light"),
        (figure.dark, figure.narrow_dark, "only-dark"),
    ):
        if figure.dark is None:  # a figure without variants
            wide, narrow, only = figure.light, None, ""
        img = (
            f'<img src="{url(wide.name)}{"#" + only if only else ""}" alt="{html.escape(alt)}" '
            f'width="{wide.width}" height="{wide.height}" loading="lazy">'
        )
        if narrow is not None:
            kind = ' type="image/webp"' if narrow.name.endswith(".webp") else ""
            img = (
                f'<picture><source media="{NARROW_MEDIA}" srcset="{url(narrow.name)}"'
                f'{kind} width="{narrow.width}" height="{narrow.height}">{img}</picture>'
            )
        parts.append(img)
        if not only:
            break
    return "".join(parts)


def render(
    markdown: str, page: str, results: dict[str, Result], directory_urls: bool = True
) -> str:
    """Replace every directive of ``page`` (its path below docs/) using the snippets' results.
    ``directory_urls``: MkDocs' setting of that name (figures are written as HTML, whose URLs
    MkDocs does not rewrite)."""
    where = PagePaths(page, directory_urls)
    page_dir = where.source_folder

    def error(match: re.Match, message: str, offset: int = 0) -> EmbedError:
        line = markdown.count("\n", 0, offset + match.start()) + 1
        return EmbedError(page, line, message)

    def result_for(match: re.Match, offset: int = 0) -> Result:
        if match["id"] not in results:
            raise error(match, f"no snippet snippets/{match['id']}", offset)
        return results[match["id"]]

    def block(match: re.Match) -> str:
        return code_block(
            result_for(match), results, page_dir, match["indent"], bool(match["open"])
        )

    def value(match: re.Match, offset: int = 0) -> str:
        result = result_for(match, offset)
        found = lookup_or_fail(result, match, offset)
        spec = match["spec"] or ""
        try:
            return format(found, spec)
        except (TypeError, ValueError) as problem:
            raise error(
                match,
                f"{result.snippet.id} value {match['name']} = {found!r} cannot be formatted "
                f"with {spec!r}: {problem}",
                offset,
            ) from None

    def lookup_or_fail(result: Result, match: re.Match, offset: int):
        try:
            return lookup(result, match["name"])
        except ValueError as problem:
            raise error(match, str(problem), offset) from None

    def link(match: re.Match) -> str:
        result = result_for(match)
        part = match["part"]
        if part is None:
            name = posixpath.basename(result.snippet.id)
        elif part.isdigit():
            if not 1 <= int(part) <= len(result.figures):
                count = len(result.figures)
                raise error(
                    match, f"{result.snippet.id} has {count} figure(s), not a figure {part}"
                )
            figure = result.figures[int(part) - 1]
            name = figure.light.name
        elif part in result.files:
            name = f"files/{part}"
        else:
            files = ", ".join(result.files) or "none"
            raise error(match, f"{result.snippet.id} wrote no file {part!r} (files: {files})")
        if match["bang"] and not match["text"].strip():
            raise error(match, f"image of {result.snippet.id}#{part} has no alt text")
        # Values may be quoted in alt text and link text too.
        text = VALUE.sub(lambda m: value(m, match.start("text")), match["text"])
        if match["bang"] and part is not None and part.isdigit():
            return figure_html(result, figure, text, where.url_folder)
        url = SnippetPaths(result.snippet.id).link(name, page_dir)
        return f"{match['bang']}[{text}]({url})"

    def indented_value(match: re.Match) -> str:
        """A value of several lines (a table) keeps the indentation of its directive, so that
        it stays inside a collapsible block or list item."""
        text = value(match)
        line_start = markdown.rfind("\n", 0, match.start()) + 1
        indent = markdown[line_start : match.start()]
        if "\n" not in text or indent.strip():
            return text
        return text.replace("\n", "\n" + indent)

    replace = {"block": block, "value": indented_value, "link": link}
    found = directives(markdown)
    errors = [
        error(opening, f"malformed directive: {markdown[opening.start() :][:60]!r}")
        for opening in malformed(markdown, found)
    ]
    out, end = [], 0
    for kind, match in found:
        if match.start() < end:  # a value inside a link's text: the link replaced it
            continue
        try:
            out += [markdown[end : match.start()], replace[kind](match)]
        except EmbedError as problem:  # every bad directive is reported, not only the first
            errors.append(problem)
        end = match.end()
    if errors:
        raise EmbedErrors(sorted(errors, key=lambda e: e.line))
    return "".join(out) + markdown[end:]
