"""A maths font served with the site, so MathML renders the same on every system.

Browsers draw MathML with a font that has an OpenType MATH table (stretchy brackets, large
operators, matrix layout). Many systems have none, and then brackets do not stretch. The build
takes Noto Sans Math (SIL Open Font License; npm package ``@fontsource/noto-sans-math``, fetched
by ``make`` into ``.venv/fonts/``), keeps only the characters the pages' maths uses (plus the
size variants and pieces the MATH table needs to stretch them) and writes it beside the site's
CSS, which uses it for ``<math>``. The subset is cached by the characters it holds.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path

FONT_NAME = "noto-sans-math.woff"
SITE_PATH = "assets/fonts/math.woff"
MATH = re.compile(r"<math\b.*?</math>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")


class MathFontError(RuntimeError):
    pass


def characters(site_dir: Path) -> str:
    """Every character inside the MathML of the built pages, sorted."""
    found: set[str] = set()
    for page in site_dir.rglob("*.html"):
        for maths in MATH.findall(page.read_text(encoding="utf-8")):
            found |= set(html.unescape(TAG.sub("", maths)))
    return "".join(sorted(found - {"\n", "\t"}))


def subset(font: Path, text: str, target: Path) -> None:
    from fontTools import subset as fontsubset

    options = fontsubset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright and licence names
    options.notdef_outline = True
    subsetter = fontsubset.Subsetter(options)
    loaded = fontsubset.load_font(str(font), options)
    subsetter.populate(text=text + " ")
    subsetter.subset(loaded)
    fontsubset.save_font(loaded, str(target), options)


def publish(site_dir: Path, font: Path, cache_dir: Path) -> Path:
    """Write the subset font into the built site; return its path."""
    if not font.is_file():
        raise MathFontError(
            f"the maths font {font} is missing: run `make` (it fetches @fontsource/noto-sans-math "
            "with npm) or set KERNELSITE_MATH_FONT to a .woff/.otf with a MATH table"
        )
    text = characters(site_dir)
    key = hashlib.sha256(font.read_bytes() + text.encode()).hexdigest()[:16]
    cached = cache_dir / f"math-{key}.woff"
    if not cached.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        subset(font, text, tmp)
        tmp.replace(cached)
    target = site_dir / SITE_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, target)
    return target
