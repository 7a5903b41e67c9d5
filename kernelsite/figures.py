"""Save a snippet's figures: as drawn, in the site's dark palette, and laid out for phones.

Every figure is saved as drawn ("fig1.svg"), then, from the same figure object (the snippet is
not run again), recoloured for Material's dark palette ("fig1.dark.svg", darkfigures.py). A
figure whose smallest text a phone would draw too small is also laid out again for phones
("fig1.narrow.svg", "fig1.narrow.dark.svg", narrowfigures.py). Bytes never change between runs.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from kernelsite.darkfigures import DARK_BACKGROUND, dark_palette
from kernelsite.figurefiles import Figure, palette_png, palette_webp, photo_webp, variant
from kernelsite.narrowfigures import apply_layout, current_layout, narrow_layout

# An image-heavy figure is written as PNG; line art as SVG.
RASTER_PIXELS = 20_000
PHOTO_PIXELS = 64 * 64
# A raster figure whose lossless file would be larger than this is saved as lossy WebP, like a
# photograph: a page's figures share a budget of a few hundred kilobytes.
LOSSY_ABOVE = 24_000


def is_raster(fig) -> bool:
    pixels = 0
    for ax in fig.axes:
        for image in ax.get_images():
            array = image.get_array()
            if array is not None:
                pixels += array.shape[0] * array.shape[1]
    return pixels >= RASTER_PIXELS


def is_photo(fig) -> bool:
    """Does the figure show a colour photograph (an RGB image of at least PHOTO_PIXELS)?"""
    for ax in fig.axes:
        for image in ax.get_images():
            array = image.get_array()
            if (
                array is not None
                and array.ndim == 3
                and array.shape[0] * array.shape[1] >= PHOTO_PIXELS
            ):
                return True
    return False


def _render(fig, facecolor: str) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, facecolor=facecolor)
    return buffer.getvalue()


def _save(fig, path: Path, facecolor: str, photo: bool = False) -> None:
    if path.suffix in (".png", ".webp"):
        encode = photo_webp if photo else palette_png if path.suffix == ".png" else palette_webp
        path.write_bytes(encode(_render(fig, facecolor)))
    else:
        with plt.rc_context({"svg.hashsalt": "kernelsite"}):  # element ids that never change
            fig.savefig(
                path, format="svg", facecolor=facecolor, metadata={"Date": None, "Creator": None}
            )


def figure_name(fig, index: int) -> str:
    """``fig3.png`` for an image-heavy third figure (``save_figure`` makes it ``fig3.webp``
    when it shows photographs or is as heavy as they are), ``fig3.svg`` for line art."""
    return f"fig{index}.{'png' if is_raster(fig) or is_photo(fig) else 'svg'}"


def save_figure(fig, out_dir: Path, name: str) -> Figure:
    """Write ``fig`` as ``name``, its dark variant and, when it needs one, its narrow layout in
    both palettes; returns the record of the files written."""
    fmt, photo = name.rsplit(".", 1)[1], False
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        fig.set_layout_engine(None)  # (after tight_layout) saves one draw per save
    if fmt == "svg":
        _save(fig, out_dir / name, "white")
    else:  # photographs, and figures as heavy as they are, are lossy WebP in every variant
        light = _render(fig, "white")
        photo = is_photo(fig) or len(lossless := palette_png(light)) > LOSSY_ABOVE
        if photo:
            fmt, name = "webp", name.replace(".png", ".webp")
        (out_dir / name).write_bytes(photo_webp(light) if photo else lossless)
    # The saves below draw the axes where the first one put them: no layout engine (which would
    # also cost savefig an extra draw).
    fig.set_layout_engine(None)
    renderer = fig.canvas.get_renderer()
    wide = current_layout(fig)
    narrow = narrow_layout(fig, renderer, fmt)
    if narrow is not None:
        apply_layout(fig, narrow)
        _save(fig, out_dir / variant(name, narrow=True), "white", photo)
        apply_layout(fig, wide)
    dark_palette(fig, renderer)
    _save(fig, out_dir / variant(name, dark=True), DARK_BACKGROUND, photo)
    if narrow is not None:
        apply_layout(fig, narrow)
        _save(fig, out_dir / variant(name, narrow=True, dark=True), DARK_BACKGROUND, photo)
    return Figure.saved(out_dir, name, narrow=narrow is not None)


def save_figures(out_dir: Path) -> list[Figure]:
    """Write every open figure, in creation order, with bytes that do not change between runs:
    each as drawn and in the dark palette, and multi-panel figures also laid out for phones."""
    saved = []
    for index, number in enumerate(plt.get_fignums(), start=1):
        fig = plt.figure(number)
        saved.append(save_figure(fig, out_dir, figure_name(fig, index)))
    plt.close("all")
    return saved
