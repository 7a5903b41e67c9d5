"""Server-side maths: LaTeX written with pymdownx.arithmatex (generic mode) becomes MathML.

Browsers render MathML natively, so pages need no maths JavaScript and make no request for it.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

# pymdownx.arithmatex (generic: true) wraps maths as \( … \) in a span, \[ … \] in a div.
ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*\\(?P<open>[(\[])(?P<tex>.*?)\\[)\]]\s*</(?P=tag)>',
    re.DOTALL,
)


class MathError(ValueError):
    pass


def to_mathml(tex: str, display: bool) -> str:
    try:
        mathml = convert(tex.strip(), display="block" if display else "inline")
    except Exception as error:
        raise MathError(f"cannot convert LaTeX {tex.strip()!r}: {error}") from error
    if "<mi>&</mi>" in mathml:  # alignment points are not supported by the converter
        raise MathError(f"unsupported LaTeX (alignment '&') in {tex.strip()!r}")
    return mathml


def render(page_html: str) -> str:
    """Replace every arithmatex span/div in ``page_html`` by MathML."""

    def replace(match: re.Match) -> str:
        display = match["open"] == "["
        mathml = to_mathml(html.unescape(match["tex"]), display)
        # A wide formula scrolls sideways: its box is focusable, so the keyboard can scroll it.
        return f'<div class="math" tabindex="0">{mathml}</div>' if display else mathml

    return ARITHMATEX.sub(replace, page_html)
