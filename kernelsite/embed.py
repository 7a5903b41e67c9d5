"""The three page directives, replaced in a page's Markdown before it is rendered.

``{{ snippet notation/flip.py }}``
    alone on a line: the snippet's code exactly as in the file, download links (.py, .ipynb),
    and its printed output.
``![alt text](snippet:notation/flip.py#1)``
    figure 1 of that snippet (``#name.png``: a file the snippet wrote; no ``#``: the .py file).
    An image must have alt text.
``{{ value notation/flip.py max_error .1e }}``
    a value the snippet computed (a module-level variable), with an optional format spec;
    ``name.key`` and ``name[0]`` reach into dicts and lists.

Directives inside code (fenced blocks, inline code) are left alone, so they can be documented.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from kernelsite.runner import Result

BLOCK = re.compile(r"^(?P<indent>[ \t]*)\{\{\s*snippet\s+(?P<id>\S+?)\s*\}\}[ \t]*$", re.MULTILINE)
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


@dataclass
class EmbedError(Exception):
    page: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.message}"


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


def references(markdown: str) -> list[tuple[str, int]]:
    """(snippet id, line) of every directive in a page."""
    return [(m["id"], markdown.count("\n", 0, m.start()) + 1) for _, m in directives(markdown)]


def site_path(snippet_id: str, name: str) -> str:
    """Where a snippet's output ``name`` is published, relative to the site root."""
    return f"snippets/{snippet_id.removesuffix('.py')}/{name}"


def lookup(result: Result, name: str):
    head, *_ = re.split(r"[.\[]", name, maxsplit=1)
    if head not in result.values:
        known = ", ".join(sorted(result.values)) or "none"
        raise KeyError(f"{result.snippet.id} has no value {head!r} (values: {known})")
    value = result.values[head]
    for key, index in FIELD.findall(name[len(head) :]):
        value = value[key] if key else value[int(index)]
    return value


def code_block(result: Result, page_dir: str, indent: str) -> str:
    source = result.snippet.path.read_text(encoding="utf-8").rstrip("\n")
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", source)), default=0))
    stem = posixpath.basename(result.snippet.id).removesuffix(".py")
    py = posixpath.relpath(site_path(result.snippet.id, f"{stem}.py"), page_dir)
    nb = posixpath.relpath(site_path(result.snippet.id, f"{stem}.ipynb"), page_dir)
    parts = [
        f'{fence}python title="snippets/{result.snippet.id}"',
        source,
        fence,
        "",
        f"[:material-download: {stem}.py]({py}){{ download }} · "
        f"[:material-notebook-outline: {stem}.ipynb]({nb}){{ download }}",
        "{ .snippet-downloads }",
    ]
    if result.stdout.strip():
        out = result.stdout.rstrip("\n")
        out_fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", out)), default=0))
        parts += ["", f'{out_fence}text title="Output"', out, out_fence]
    return "\n".join(indent + line if line else line for line in "\n".join(parts).split("\n"))


def render(markdown: str, page: str, results: dict[str, Result]) -> str:
    """Replace every directive of ``page`` (its path below docs/) using the snippets' results."""
    page_dir = posixpath.dirname(page) or "."

    def error(match: re.Match, message: str, offset: int = 0) -> EmbedError:
        line = markdown.count("\n", 0, offset + match.start()) + 1
        return EmbedError(page, line, message)

    def result_for(match: re.Match, offset: int = 0) -> Result:
        if match["id"] not in results:
            raise error(match, f"no snippet snippets/{match['id']}", offset)
        return results[match["id"]]

    def block(match: re.Match) -> str:
        return code_block(result_for(match), page_dir, match["indent"])

    def value(match: re.Match, offset: int = 0) -> str:
        result = result_for(match, offset)
        try:
            return format(lookup(result, match["name"]), match["spec"] or "")
        except (KeyError, IndexError, TypeError, ValueError) as problem:
            raise error(match, str(problem).strip("\"'"), offset) from None

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
            name = result.figures[int(part) - 1]
        elif part in result.files:
            name = f"files/{part}"
        else:
            files = ", ".join(result.files) or "none"
            raise error(match, f"{result.snippet.id} wrote no file {part!r} (files: {files})")
        if match["bang"] and not match["text"].strip():
            raise error(match, f"image of {result.snippet.id}#{part} has no alt text")
        # Values may be quoted in alt text and link text too.
        text = VALUE.sub(lambda m: value(m, match.start("text")), match["text"])
        url = posixpath.relpath(site_path(result.snippet.id, name), page_dir)
        return f"{match['bang']}[{text}]({url})"

    replace = {"block": block, "value": value, "link": link}
    out, end = [], 0
    for kind, match in directives(markdown):
        if match.start() < end:  # a value inside a link's text: the link replaced it
            continue
        out += [markdown[end : match.start()], replace[kind](match)]
        end = match.end()
    return "".join(out) + markdown[end:]
