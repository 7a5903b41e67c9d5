"""The names and encodings of a snippet's figure files.

Kept apart from ``figures`` (which draws with matplotlib) so that the build's own process, which
only names and embeds figures, never imports matplotlib.
"""

from __future__ import annotations

import dataclasses
import io
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# Below this width a page shows a figure's narrow layout, when it has one.
NARROW_MEDIA = "(max-width: 600px)"
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


def figure_size(path: Path) -> tuple[int, int]:
    """Width and height of a saved figure in CSS px (an SVG's pt are 4/3 px)."""
    if path.suffix == ".svg":
        head = path.read_text(encoding="utf-8")[:1000]
        found = re.search(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', head)
        return round(float(found[1]) * 4 / 3), round(float(found[2]) * 4 / 3)
    with Image.open(path) as image:
        return image.size


@dataclass(frozen=True)
class FigureFile:
    name: str
    width: int  # CSS px, as the page's <img> gives it
    height: int
    bytes: int

    @classmethod
    def saved(cls, folder: Path, name: str) -> FigureFile:
        path = folder / name
        return cls(name, *figure_size(path), path.stat().st_size)


@dataclass(frozen=True)
class Figure:
    """One figure as saved: the file of each variant (None where it has none)."""

    light: FigureFile  # as drawn
    dark: FigureFile | None = None  # in the dark palette
    narrow: FigureFile | None = None  # its layout for phones
    narrow_dark: FigureFile | None = None

    @classmethod
    def saved(cls, folder: Path, name: str, narrow: bool) -> Figure:
        """The record of figure ``name`` saved in ``folder`` with its dark variant and, if
        ``narrow``, its narrow layout in both palettes (named by ``variant``)."""

        def file(**kind) -> FigureFile:
            return FigureFile.saved(folder, variant(name, **kind))

        return cls(
            file(),
            file(dark=True),
            file(narrow=True) if narrow else None,
            file(narrow=True, dark=True) if narrow else None,
        )

    @property
    def files(self) -> list[FigureFile]:
        """Its files in the order they are saved."""
        return [f for f in (self.light, self.narrow, self.dark, self.narrow_dark) if f]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]

    def renamed(self, stem: str) -> Figure:
        """The same files named after ``stem`` instead of ``fig1`` (``stem.dark.svg``, …)."""
        light = f"{stem}.{self.light.name.rsplit('.', 1)[1]}"
        kinds = {"light": {}, "dark": {"dark": True}, "narrow": {"narrow": True}}
        kinds["narrow_dark"] = {"narrow": True, "dark": True}
        return Figure(
            **{
                kind: dataclasses.replace(file, name=variant(light, **kinds[kind]))
                for kind in kinds
                if (file := getattr(self, kind)) is not None
            }
        )

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Figure:
        return cls(**{kind: FigureFile(**file) for kind, file in data.items() if file})


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
