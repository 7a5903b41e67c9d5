"""The names and encodings of a snippet's figure files.

Kept apart from ``figures`` (which draws with matplotlib) so that the build's own process, which
only names and embeds figures, never imports matplotlib.
"""

from __future__ import annotations

import io
import re

from PIL import Image

# Below this width a page shows a figure's narrow layout, when it has one.
NARROW_MEDIA = "(max-width: 600px)"
MAIN_FIGURE = re.compile(r"fig\d+\.(svg|png|webp)")
# Photographs are saved as lossy WebP at this quality: a photo's grain costs a lossless file
# five to ten times the bytes, for no difference a reader can see.
PHOTO_QUALITY = 70


def variant(name: str, *, dark: bool = False, narrow: bool = False) -> str:
    """The file name of a figure's variant: variant("fig1.svg", dark=True) == "fig1.dark.svg".

    A raster figure's narrow layout is lossless WebP ("fig1.narrow.webp"): it stacks panels that
    stood side by side, which PNG compresses about half as well (its window is 32 KB). A figure
    of photographs is lossy WebP in every variant ("fig1.webp", "fig1.narrow.webp")."""
    stem, ext = name.rsplit(".", 1)
    ext = "webp" if narrow and ext == "png" else ext
    return ".".join([stem, *(["narrow"] if narrow else []), *(["dark"] if dark else []), ext])


def main_figures(names: list[str]) -> list[str]:
    """The figures a page numbers (#1, #2, ...) among all saved files, without their variants."""
    return [name for name in names if MAIN_FIGURE.fullmatch(name)]


def palette_png(png: bytes) -> bytes:
    """Re-encode a PNG with a 256-colour palette: matplotlib's colour maps have 256 entries, so
    figures look the same at about half the bytes. No metadata, so the bytes never change."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


def palette_webp(png: bytes) -> bytes:
    """The same 256 colours as ``palette_png``, as lossless WebP (deterministic, no metadata)."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256)
    out = io.BytesIO()
    image.save(out, format="webp", lossless=True, quality=100, method=4)
    return out.getvalue()


def photo_webp(png: bytes) -> bytes:
    """A figure of photographs as lossy WebP (deterministic: one thread, no metadata)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="webp", quality=PHOTO_QUALITY, method=6)
    return out.getvalue()
