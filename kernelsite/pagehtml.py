"""What the build does to a page's HTML after MkDocs rendered it, and the box that shows build
errors while serving."""

from __future__ import annotations

import posixpath
import re
from html import escape
from pathlib import Path

from kernelsite import mathml

TABLE = re.compile(r"<table>.*?</table>", re.DOTALL)
ABBR = re.compile(r'<abbr title="([^"]*)">(.*?)</abbr>', re.DOTALL)
# What the search index leaves out: code blocks and printed output (Markdown pages: the
# highlight box; notebook pages: every <pre>, the cells' prompts, and the copy button's notice
# and hidden text).
# Material's search parser ends an exclusion at the first closing tag of the same name, so the
# mark goes on elements that hold no element of their own kind (a notebook's cell areas do).
SEARCH_EXCLUDED = re.compile(
    r"<(?:pre\b"
    r'|div(?= class="(?:[^"]*\bhighlight|jp-(?:Input|Output)Prompt|clipboard-copy-txt)[\s"])'
    r'|span(?= class="notice"))'
)


# A code block's <code>, which Material mounts (copy button; tabindex="0" if it scrolls sideways,
# none otherwise) only when it first comes into view (its content.lazy feature, see mkdocs.yml).
CODE_BLOCK = re.compile(r"(<pre\b[^>]*>(?:<span></span>)?<code)>")
# A Markdown page's highlighted code (pymdownx.highlight; notebooks use their own CSS), and the
# Pygments tokens that Material's stylesheet leaves in the code's own colour: names ("n", the
# commonest token) and whitespace ("w").
# A heading's permalink (the toc extension's "¶"), named by its title attribute.
PERMALINK = re.compile(r'(<a class="headerlink" href="[^"]*") title=("[^"]*")>')
HIGHLIGHTED = re.compile(r'(<div[^>]* class="language-[^"]* highlight">.*?</pre>)', re.DOTALL)
UNSTYLED_TOKEN = re.compile(r'<span class="[nw]">([^<]*)</span>')


def error_page(messages: list[str]) -> str:
    """A box that shows build errors, in HTML (which Markdown keeps as it is); the page reloads
    by itself once they are fixed."""
    blocks = "".join(f"<pre><code>{escape(m)}</code></pre>" for m in messages)
    return (
        '<div class="admonition failure"><p class="admonition-title">The build failed</p>'
        f"<p>Fix the file named below and save it: this page reloads by itself.</p>{blocks}</div>\n"
    )


def first_tooltips_only(html: str, tooltips: bool = True) -> str:
    """Keep a glossary term's tooltip at its first use on a page; later uses are plain text
    (an underline on every "kernel" would carry no signal). ``tooltips=False`` (the glossary,
    which defines every term in its text): none at all."""
    seen: set[str] = set()

    def keep_first(match: re.Match) -> str:
        if match[1] in seen or not tooltips:
            return match[2]
        seen.add(match[1])
        return match[0]

    return ABBR.sub(keep_first, html)


def scrollable_tables(html: str) -> str:
    """Wrap each table in a box that scrolls sideways on a narrow screen (so no word is split)
    and can be reached and scrolled from the keyboard."""
    return TABLE.sub(
        lambda m: (
            f'<div class="table-scroll" tabindex="0" role="region" aria-label="Table">{m[0]}</div>'
        ),
        html,
    )


def name_search_dialog(page: str) -> str:
    """Material's search box is a dialog without a name, which screen readers announce as just
    "dialog" (axe's aria-dialog-name); it gets the name of its input's placeholder. (Other
    themes have no such dialog; tests/test_site.py checks that every dialog of the site has a
    name, so a change of Material's markup is caught.)"""
    dialog = 'data-md-component="search" role="dialog"'
    return page.replace(dialog, f'{dialog} aria-label="Search"', 1)


def preload_math_font(page: str, font_url: str) -> str:
    """A page with formulas fetches the maths font (site.css) with its stylesheets rather than
    after them: it is there for the first frame, and the formulas do not change size (a layout
    shift) when it arrives. ``font_url``: the font's URL relative to the page."""
    if "<math" not in page:
        return page
    link = f'<link rel="preload" href="{font_url}" as="font" type="font/woff" crossorigin>'
    return page.replace("</head>", f"{link}\n</head>", 1)


MODULE_SCRIPT = re.compile(r'<script type="module" src="([^"]+)"></script>')
# A module's static imports of the site's own modules: `import { a } from "./dom.js";`
STATIC_IMPORT = re.compile(r'^import\b[^;]*?\bfrom\s+"(\.{1,2}/[^"]+)"', re.MULTILINE)


def preload_modules(page: str, page_url: str, docs_dir: Path) -> str:
    """A page's module scripts and every module they import, named in its head: the browser
    fetches them all at once, with the stylesheets, instead of learning of each import only when
    the file that imports it has arrived. ``page_url``: the page's URL folder (``playground/``);
    a script's file is found below ``docs_dir`` (one that is not is left to the link checks)."""

    def site_path(folder: str, relative: str) -> str:
        return posixpath.normpath(posixpath.join(folder, relative))

    wanted: dict[str, None] = {}  # site paths, in the order found
    todo = [site_path(page_url, src) for src in MODULE_SCRIPT.findall(page)]
    while todo:
        path = todo.pop(0)
        if path in wanted:
            continue
        if not (docs_dir / path).is_file():
            continue
        wanted[path] = None
        source = (docs_dir / path).read_text(encoding="utf-8")
        todo += [site_path(posixpath.dirname(path), i) for i in STATIC_IMPORT.findall(source)]
    links = "".join(
        f'<link rel="modulepreload" href="{posixpath.relpath(path, page_url or ".")}">\n'
        for path in wanted
    )
    return page.replace("</head>", f"{links}</head>", 1) if links else page


def focusable_code_blocks(html: str) -> str:
    """Every code block can be focused (and so scrolled sideways from the keyboard) before
    Material has mounted it: a wide block a reader has not yet scrolled to is still reachable
    with Tab. Material removes the tabindex of a block that does not scroll when it mounts it."""
    return CODE_BLOCK.sub(r'\1 tabindex="0">', html)


def plain_unstyled_tokens(html: str) -> str:
    """Code tokens that would look the same unwrapped lose their <span>: a third of a chapter's
    elements, nearly all inside collapsed blocks, which the browser still parses and walks at
    every full style pass."""
    return HIGHLIGHTED.sub(lambda m: UNSTYLED_TOKEN.sub(r"\1", m[1]), html)


def untitled_permalinks(html: str) -> str:
    """A heading's "¶" is named by aria-label rather than title: with content.tooltips Material
    mounts a tooltip (measured with a forced layout) on every element with a title as the page
    loads, and a chapter has more headings than glossary terms. The name is kept for screen
    readers; a pointer loses only the "Permanent link" bubble."""
    return PERMALINK.sub(r"\1 aria-label=\2>", html)


def finish_html(html: str, tooltips: bool = True) -> str:
    """``tooltips``: whether glossary terms keep a tooltip (their first use) on this page."""
    # Code and printed output stay out of the search index, which every page downloads.
    html = focusable_code_blocks(plain_unstyled_tokens(html))
    html = SEARCH_EXCLUDED.sub(lambda m: f"{m[0]} data-search-exclude", html)
    return mathml.render(
        scrollable_tables(first_tooltips_only(untitled_permalinks(html), tooltips))
    )
