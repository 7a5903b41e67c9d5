"""Post-processing of the pages mkdocs-jupyter renders from notebooks.

mkdocs-jupyter inlines ~590 KB of Jupyter CSS into every notebook page and adds scripts that
load MathJax and Mermaid from a CDN. This moves the CSS into one shared, cacheable file, removes
the external scripts, and renders the notebook's ``$…$`` maths as MathML like the other pages.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
from pathlib import Path

from kernelsite.mathml import to_mathml

STYLE = re.compile(
    r'<style type="text/css">\n(?:@charset "UTF-8";)?.*?</style>|<style>\s*\.jp-Mermaid.*?</style>',
    re.DOTALL,
)
EXTERNAL = re.compile(
    r'<script src="">\s*</script>'
    r"|<!-- MathJax configuration -->\s*<script type=\"text/x-mathjax-config\">.*?</script>"
    r'|<script type="module">(?:(?!</script>).)*?cdnjs.*?</script>',
    re.DOTALL,
)
MARKDOWN_CELL = re.compile(
    r'(<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^>]*>)(.*?)(</div>)', re.DOTALL
)
CODE = re.compile(r"(<(pre|code)\b.*?</\2>)", re.DOTALL)
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$")


def _maths(cell: str) -> str:
    parts = CODE.split(cell)
    for i in range(0, len(parts), 3):  # split() yields text, code, tag name, text, ...
        text = DISPLAY.sub(lambda m: to_mathml(html.unescape(m[1]), display=True), parts[i])
        parts[i] = INLINE.sub(lambda m: to_mathml(html.unescape(m[1]), display=False), text)
    return "".join(p for i, p in enumerate(parts) if i % 3 != 2)


def clean(page_html: str, page_url: str, site_dir: Path) -> str:
    styles = "\n".join(m[0] for m in STYLE.finditer(page_html))
    if styles:
        css = re.sub(r"</?style[^>]*>", "", styles)
        name = f"assets/notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        target = site_dir / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(css, encoding="utf-8")
        href = posixpath.relpath(name, posixpath.dirname(page_url.rstrip("/") + "/x"))
        first = True

        def link(match: re.Match) -> str:
            nonlocal first
            if first:
                first = False
                return f'<link rel="stylesheet" href="{href}">'
            return ""

        page_html = STYLE.sub(link, page_html)
    page_html = EXTERNAL.sub("", page_html)
    return MARKDOWN_CELL.sub(lambda m: m[1] + _maths(m[2]) + m[3], page_html)
