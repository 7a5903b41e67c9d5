"""Save a snippet's figures: as drawn, in the site's dark palette, and laid out for phones.

Every figure is saved as drawn ("fig1.svg"), then, from the same figure object (the snippet is
not run again), recoloured for Material's dark palette ("fig1.dark.svg"). A figure whose
smallest text would be drawn below PHONE_TEXT_PX on a phone and whose axes sit side by side
is also laid out again in fewer columns ("fig1.narrow.svg", "fig1.narrow.dark.svg"). Bytes never
change between runs.
"""

from __future__ import annotations

import colorsys
import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axis import Axis
from matplotlib.backend_bases import MouseEvent
from matplotlib.cm import ScalarMappable
from matplotlib.collections import Collection, PathCollection
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.image import AxesImage
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.spines import Spine
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from kernelsite.figurefiles import Figure, palette_png, palette_webp, photo_webp, variant

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


# Material's slate background, hsl(225deg 15% 14%), and its text colour made opaque (90 %).
DARK_BACKGROUND = "#1e2129"
DARK_INK = "#e2e4e9"
# Lines, markers and text keep their hue; one too dark to see on the slate background is
# lightened to this contrast ratio (WCAG 1.4.11, graphical objects).
STROKE_CONTRAST = 3.0
# A colour whose channels differ by at most this much is a grey: it is mirrored (black ink becomes
# light ink, a white box becomes the dark background); other colours are kept.
GREY_SPREAD = 0.08
# A phone: 390 CSS px wide, minus Material's 16 px margins (see figurefiles.NARROW_MEDIA).
PHONE_WIDTH_PX = 358
PHONE_TEXT_PX = 9.0
# Columns are chosen so that the text is about PHONE_TEXT_PX: a layout that misses it by a
# fraction of a pixel is kept rather than one with a column less, twice as tall.
PHONE_TEXT_SLACK = 0.95
# CSS px per inch of a figure as the page shows it at its natural size.
CSS_PX_PER_INCH = {"svg": 96, "png": 100, "webp": 100}
LAYOUT_GAP = 0.12  # inches between the re-arranged panels, and around them
NARROW_GAIN = 1.25  # a narrow layout is kept if the phone shows its text this much larger


def _luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour (channels 0..1)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours."""
    la, lb = sorted((_luminance(to_rgb(a)), _luminance(to_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _is_grey(rgb) -> bool:
    return max(rgb[:3]) - min(rgb[:3]) <= GREY_SPREAD


def _mirror_grey(rgba):
    """Black -> the dark palette's ink, white -> its background, greys in between."""
    level = sum(rgba[:3]) / 3
    ink, background = to_rgb(DARK_INK), to_rgb(DARK_BACKGROUND)
    return (*(i + (b - i) * level for i, b in zip(ink, background, strict=True)), rgba[3])


def dark_fill(rgba):
    """An area's colour in the dark palette: greys mirrored, colours kept."""
    return _mirror_grey(rgba) if _is_grey(rgba) else tuple(rgba)


def dark_stroke(rgba):
    """A line's, marker's or text's colour in the dark palette: greys mirrored, colours kept
    unless too dark to see on the dark background, then lightened (same hue) until they are."""
    if _is_grey(rgba):
        return _mirror_grey(rgba)
    hue, lightness, saturation = colorsys.rgb_to_hls(*rgba[:3])
    rgb = tuple(rgba[:3])
    while contrast(rgb, DARK_BACKGROUND) < STROKE_CONTRAST and lightness < 0.95:
        lightness = min(0.95, lightness + 0.02)
        rgb = colorsys.hls_to_rgb(hue, lightness, saturation)
    return (*rgb, rgba[3])


def _keeps_area(rgba) -> bool:
    """Whether an area keeps its colour in the dark palette (so text drawn on it keeps its own)."""
    return rgba[3] >= 0.5 and not _is_grey(rgba)


def _is_mapped(artist) -> bool:
    """A colour-mapped artist (image, heat map, colour bar, scatter with c=...): data colours."""
    return isinstance(artist, ScalarMappable) and artist.get_array() is not None


def _inside(artist, x: float, y: float, renderer) -> bool:
    """Whether the display point (x, y) is on the filled area of ``artist``."""
    if isinstance(artist, AxesImage):
        box = artist.get_window_extent(renderer)
        if artist.get_clip_on() and artist.axes is not None:
            box = Bbox.intersection(box, artist.axes.bbox)
        return box is not None and box.contains(x, y)
    if isinstance(artist, Patch):
        return artist.contains_point((x, y))
    if isinstance(artist, Collection):
        radius = artist.get_pickradius()
        artist.set_pickradius(0)  # 0: inside the paths, not near their outlines
        try:
            canvas = artist.get_figure(root=True).canvas
            return artist.contains(MouseEvent("motion_notify_event", canvas, x, y))[0]
        finally:
            artist.set_pickradius(radius)
    return False


class _Areas:
    """What is drawn in each axes that another artist may sit on, topmost first, with its extent
    on the canvas (computed once)."""

    def __init__(self, renderer) -> None:
        self.renderer = renderer
        self.found: dict[int, list] = {}

    def of(self, ax) -> list[tuple]:
        if id(ax) not in self.found:
            areas = []
            for a in ax.get_children():
                if (
                    isinstance(a, AxesImage | Patch | Collection)
                    and a.get_visible()
                    and a is not ax.patch
                    and not isinstance(a, Spine)
                ):
                    extent = _extent(a, self.renderer)
                    if extent is not None:
                        image = isinstance(a, AxesImage) or _is_mapped(a)
                        areas.append((a, extent, image))
            self.found[id(ax)] = sorted(areas, key=lambda area: -area[0].get_zorder())
        return self.found[id(ax)]


def _extent(artist, renderer) -> Bbox | None:
    """Where an artist draws on the canvas (None: nothing, or not a finite box)."""
    try:
        extent = artist.get_window_extent(renderer)
    except (ValueError, RuntimeError):
        return None
    return extent if np.isfinite(extent.get_points()).all() else None


def _keeps_colour(artist, areas: _Areas) -> bool:
    """Whether an artist keeps its colours in the dark palette because of what it is drawn on:
    an image or a colour map (the outline of a region of a photo, the numbers in a heat map's
    cells) or, for a text, an area that keeps its colour (a label on a coloured box)."""
    text = isinstance(artist, Text)
    if text:
        if not artist.get_visible() or not artist.get_text().strip():
            return False
        box = artist.get_bbox_patch()
        if box is not None and box.get_visible():
            return _keeps_area(box.get_facecolor())
    ax = artist.axes
    if ax is None or artist is ax.patch or isinstance(artist, Spine):
        return False
    below = [
        (area, extent, image)
        for area, extent, image in areas.of(ax)
        if area is not artist
        and area.get_zorder() <= artist.get_zorder()
        and (text or image)  # a line on a coloured box still follows the palette
    ]
    if not below:
        return False
    extent = _extent(artist, areas.renderer)
    if extent is None:
        return False
    x, y = (extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2
    if not ax.bbox.contains(x, y):
        return False
    for area, area_extent, image in below:
        if not area_extent.contains(x, y) or not _inside(area, x, y, areas.renderer):
            continue
        if image:
            # a text by its centre; a line or a shape only if it lies within the image
            return (
                text or area_extent.expanded(1, 1).padded(3).count_contains(extent.corners()) == 4
            )
        faces = area.get_facecolor()
        faces = [faces] if isinstance(area, Patch) else list(faces)
        if len(faces) and faces[0][3] > 0:
            return _keeps_area(faces[0])
    return False


def _recolour(set_colour, colour, rule) -> None:
    rgba = to_rgba(colour)
    if rgba[3] > 0:
        set_colour(rule(rgba))


def _recolour_collection(collection: Collection, face_rule) -> None:
    faces = collection.get_facecolor()
    if len(faces):
        collection.set_facecolor([face_rule(tuple(c)) if c[3] > 0 else tuple(c) for c in faces])
    edges = collection.get_edgecolor()
    if len(edges) and not isinstance(edges, str):
        collection.set_edgecolor([dark_stroke(tuple(c)) if c[3] > 0 else tuple(c) for c in edges])


# -- What matplotlib draws, read through its public API where it has one ----------------------


def _suptitle(fig) -> Text | None:
    """The figure's suptitle: the figure text that holds it (matplotlib stores it there)."""
    string = fig.get_suptitle()
    return next((t for t in fig.texts if string and t.get_text() == string), None)


def _titles(ax) -> list[Text]:
    """The axes' three titles (centre, left, right): its own texts that are not ax.texts."""
    return [c for c in ax.get_children() if isinstance(c, Text) and c not in ax.texts]


def _axes_lines(ax) -> list[Axis]:
    """The x and y axis (and z for 3-D) of an axes."""
    return [c for c in ax.get_children() if isinstance(c, Axis)]


def _colorbar_extensions(fig) -> set[int]:
    """The triangles a colour bar draws for values beyond its range (no public accessor)."""
    return {id(p) for a in fig.axes if hasattr(a, "_colorbar") for p in a._colorbar._extend_patches}


def _drawn_ticks(axis) -> list:
    """The ticks an axis would draw now, positioned (no public accessor)."""
    return axis._update_ticks()


def _drawn_beside(ax):
    yield from _titles(ax)
    for axis in _axes_lines(ax):
        yield from (axis.label, axis.offsetText)
        for tick in [*axis.majorTicks, *axis.minorTicks]:
            yield from tick.get_children()


# Grey colour maps that draw dark ink on white paper (edge maps, digits): in the dark palette
# their reversed map draws light ink on the dark page, instead of a white box.
INK_MAPS = ("gray_r", "Greys", "binary")


def dark_palette(fig, renderer) -> None:
    """Recolour a drawn figure, in place, for a dark page: backgrounds dark, black ink light,
    white boxes dark; colours kept (lines lightened if too dark to see); images, colour maps,
    and text drawn on them, untouched, except ink-on-paper greys (INK_MAPS), reversed."""
    for image in fig.findobj(AxesImage):
        if image.get_cmap().name in INK_MAPS:
            image.set_cmap(image.get_cmap().reversed())
    artists = list({id(a): a for a in fig.findobj()}.values())
    # ticks, tick labels, axis labels and titles are drawn beside the axes, on the background;
    # a legend and what it holds follow the palette
    beside = {id(a) for ax in fig.axes for a in _drawn_beside(ax)}
    beside |= {id(a) for legend in fig.findobj(Legend) for a in legend.findobj()}
    areas = _Areas(renderer)
    keep = {
        id(a)
        for a in artists
        if isinstance(a, Text | Line2D | Patch | Collection)
        and id(a) not in beside
        and not _is_mapped(a)
        and _keeps_colour(a, areas)
    }
    extensions = _colorbar_extensions(fig)
    patches = [a for a in artists if isinstance(a, Patch)]
    for artist in artists:
        if isinstance(artist, Text):
            if isinstance(artist, Annotation) and artist.arrow_patch is not None:
                patches.append(artist.arrow_patch)
            if artist.get_bbox_patch() is not None:
                patches.append(artist.get_bbox_patch())
            if id(artist) not in keep:
                _recolour(artist.set_color, artist.get_color(), dark_stroke)
        elif id(artist) in keep:
            continue
        elif isinstance(artist, Line2D):
            # read all three first: the marker colours may follow the line colour
            colours = artist.get_color(), artist.get_markerfacecolor(), artist.get_markeredgecolor()
            for setter, colour in zip(
                (artist.set_color, artist.set_markerfacecolor, artist.set_markeredgecolor),
                colours,
                strict=True,
            ):
                _recolour(setter, colour, dark_stroke)
        elif isinstance(artist, Collection) and not _is_mapped(artist):
            markers = isinstance(artist, PathCollection)  # scatter: small marks, like lines
            _recolour_collection(artist, dark_stroke if markers else dark_fill)
    for patch in {id(p): p for p in patches}.values():
        if id(patch) in extensions or id(patch) in keep:
            continue
        face, edge = patch.get_facecolor(), patch.get_edgecolor()
        _recolour(patch.set_facecolor, face, dark_fill)
        _recolour(patch.set_edgecolor, edge, dark_stroke)


# -- The narrow layout ---------------------------------------------------------------------------


@dataclass
class Unit:
    """Axes that move together (an axes and its colour bar), with boxes in inches."""

    axes: list
    box: Bbox  # the main axes' drawn position
    tight: Bbox  # everything they draw: tick labels, titles, legends, colour bars


@dataclass
class Layout:
    size: tuple[float, float]
    positions: dict  # id(axes) -> (axes, original Bbox, active Bbox), in figure fractions
    texts: dict  # id(text) -> (text, string, position)


def _inches(box: Bbox, fig) -> Bbox:
    return Bbox(box.get_points() / fig.dpi)


def _current_layout(fig) -> Layout:
    positions = {
        id(ax): (ax, ax.get_position(original=True), ax.get_position(original=False))
        for ax in fig.axes
    }
    texts = {}
    title = _suptitle(fig)
    if title is not None:
        texts[id(title)] = (title, title.get_text(), title.get_position())
    return Layout(tuple(fig.get_size_inches()), positions, texts)


def _apply_layout(fig, layout: Layout) -> None:
    fig.set_size_inches(*layout.size, forward=False)
    for ax, original, active in layout.positions.values():
        in_layout = ax.get_in_layout()
        ax.set_position(original, which="original")
        ax.set_position(active, which="active")
        ax.set_in_layout(in_layout)
    for text, string, position in layout.texts.values():
        text.set_text(string)
        text.set_position(position)


def smallest_text_pt(fig) -> float:
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0
    ]
    return min(sizes, default=10.0)


def phone_text_px(fig, fmt: str, width: float | None = None) -> float:
    """Height in CSS px of the figure's smallest text on a phone (the figure scaled to fit)."""
    width = width or fig.get_size_inches()[0]
    scale = min(1.0, PHONE_WIDTH_PX / (width * CSS_PX_PER_INCH[fmt]))
    return smallest_text_pt(fig) * CSS_PX_PER_INCH[fmt] / 72 * scale


def _units(fig, renderer) -> list[Unit] | None:
    """The figure's movable units; None when its layout is not one this module re-arranges."""
    title = _suptitle(fig)
    loose = [t for t in fig.texts if t is not title and t.get_text()]
    if fig.subfigs or loose or fig.legends or fig.images:
        return None  # a figure-level text or legend: where would it go?
    axes = [ax for ax in fig.axes if ax.get_visible()]
    if any(ax.name != "rectilinear" and ax.name != "polar" for ax in axes):
        return None
    units: dict[int, Unit] = {}
    bars = []
    for ax in axes:
        if hasattr(ax, "_colorbar_info") or ax.get_label() == "<colorbar>":
            bars.append(ax)
            continue
        box = _inches(ax.get_position(original=False).transformed(fig.transFigure), fig)
        tight = ax.get_tightbbox(renderer)
        units[id(ax)] = Unit([ax], box, box if tight is None else _inches(tight, fig))
    extra = []
    for bar in bars:
        parents = getattr(bar, "_colorbar_info", {}).get("parents", [])
        box = _inches(bar.get_position(original=False).transformed(fig.transFigure), fig)
        tight = bar.get_tightbbox(renderer)
        tight = box if tight is None else _inches(tight, fig)
        if len(parents) == 1 and id(parents[0]) in units:
            unit = units[id(parents[0])]
            unit.axes.append(bar)
            unit.tight = Bbox.union([unit.tight, tight])
        else:
            extra.append(Unit([bar], box, tight))
    return [*units.values(), *extra] if units else None


def _rows(units: list[Unit]) -> list[list[Unit]] | None:
    """Units grouped in rows (top to bottom, each left to right); None if a unit spans rows."""
    main = [u for u in units if not hasattr(u.axes[0], "_colorbar_info")]
    bars = [u for u in units if hasattr(u.axes[0], "_colorbar_info")]
    rows: list[list[Unit]] = []
    for unit in sorted(main, key=lambda u: -(u.box.y0 + u.box.y1)):
        for row in rows:
            top, bottom = max(u.box.y1 for u in row), min(u.box.y0 for u in row)
            overlap = min(top, unit.box.y1) - max(bottom, unit.box.y0)
            if overlap > 0.5 * min(unit.box.height, top - bottom):
                row.append(unit)
                break
        else:
            rows.append([unit])
    spans = [(max(u.box.y1 for u in row), min(u.box.y0 for u in row)) for row in rows]
    for unit in main:  # a unit must not reach into another row
        touched = [
            i for i, (top, bottom) in enumerate(spans) if unit.box.y0 < top and unit.box.y1 > bottom
        ]
        if len(touched) != 1:
            return None
    for bar in bars:  # a colour bar shared by several rows follows the last one it spans
        touched = [
            i for i, (top, bottom) in enumerate(spans) if bar.box.y0 < top and bar.box.y1 > bottom
        ]
        if not touched:
            return None
        rows[max(touched)].append(bar)
    return [sorted(row, key=lambda u: u.box.x0) for row in rows]


def _span_overlap(a: Bbox, b: tuple[float, float]) -> bool:
    """Whether a box's horizontal extent overlaps the span ``b`` by over half the smaller one."""
    overlap = min(a.x1, b[1]) - max(a.x0, b[0])
    return overlap > 0.5 * min(a.width, b[1] - b[0])


def _as_grid(rows: list[list[Unit]]) -> list[list[Unit | None]] | None:
    """The rows as a table whose columns line up (a unit or None per cell), or None when some
    unit does not fall in exactly one column."""
    spans: list[tuple[float, float]] = []
    for unit in sorted((u for row in rows for u in row), key=lambda u: u.box.x0):
        for i, span in enumerate(spans):
            if _span_overlap(unit.box, span):
                spans[i] = (min(span[0], unit.box.x0), max(span[1], unit.box.x1))
                break
        else:
            spans.append((unit.box.x0, unit.box.x1))
    spans.sort()
    table = []
    for row in rows:
        cells: list[Unit | None] = [None] * len(spans)
        for unit in row:
            columns = [i for i, span in enumerate(spans) if _span_overlap(unit.box, span)]
            if len(columns) != 1 or cells[columns[0]] is not None:
                return None
            cells[columns[0]] = unit
        table.append(cells)
    return table


def _labels_rows(table: list[list[Unit | None]]) -> bool:
    """Whether the table's rows are labelled (a y label on the first axes of every row): then
    its rows are conditions compared column by column, e.g. "before" and "after"."""
    firsts = [next((u for u in row if u is not None), None) for row in table]
    return len(table) > 1 and all(u is not None and u.axes[0].get_ylabel() for u in firsts)


def _piece(chunks: list[list[Unit | None]]):
    """Rows of units (None: an empty cell) that share their columns: (the rows, per column (room
    left of the box, box width, room right), the total width)."""
    chunks = [c for c in chunks if any(u is not None for u in c)]
    extents = []
    for j in range(max(len(c) for c in chunks)):
        cell = [c[j] for c in chunks if j < len(c) and c[j] is not None]
        if not cell:
            extents.append((0.0, 0.0, 0.0))
            continue
        box_width = max(u.box.width for u in cell)  # each box is centred in its column
        left = max(u.box.x0 - u.tight.x0 - (box_width - u.box.width) / 2 for u in cell)
        right = max(u.tight.x1 - u.box.x0 - (box_width + u.box.width) / 2 for u in cell)
        extents.append((max(left, 0.0), box_width, max(right, 0.0)))
    width = sum(sum(e) for e in extents) + LAYOUT_GAP * (len(extents) - 1)
    return chunks, extents, width


def _groups(count: int, size: int) -> list[range]:
    """``count`` items in consecutive groups of at most ``size``, as even as possible."""
    groups = -(-count // size)
    size = -(-count // groups)
    return [range(i, min(i + size, count)) for i in range(0, count, size)]


def _wrap_columns(table: list[list[Unit | None]], columns: int):
    """A table cut into groups of columns, each group with all its rows (a wide table wrapped):
    what stood one above the other still does."""
    return [
        _piece([[row[j] for j in group] for row in table])
        for group in _groups(len(table[0]), columns)
    ]


def _wrap_rows(rows: list[list[Unit]], target: float):
    """Each row cut, on its own, into rows of as many units as fit ``target`` inches."""
    pieces = []
    for row in rows:
        for size in range(len(row), 0, -1):
            piece = _piece([[row[i] for i in group] for group in _groups(len(row), size)])
            if piece[2] <= target + 1e-9 or size == 1:
                break
        pieces.append(piece)
    return pieces


def _grid(pieces):
    """Stack the pieces, each centred. Returns the width and height in inches and, per unit,
    the left edge of its box and the depth of the box's centre below the top."""
    fig_width = max(width for _, _, width in pieces) + 2 * LAYOUT_GAP
    placed, y = {}, 0.0
    for chunks, extents, width in pieces:
        for chunk in chunks:
            units = [u for u in chunk if u is not None]
            above = max(u.tight.y1 - (u.box.y0 + u.box.y1) / 2 for u in units)
            below = max((u.box.y0 + u.box.y1) / 2 - u.tight.y0 for u in units)
            centre = y + LAYOUT_GAP + above
            x = (fig_width - width) / 2
            for unit, (left, box_width, right) in zip(chunk, extents, strict=False):
                if unit is not None:
                    placed[id(unit)] = (x + left + (box_width - unit.box.width) / 2, centre)
                x += left + box_width + right + LAYOUT_GAP
            y = centre + below
    return fig_width, y + LAYOUT_GAP, placed


def narrow_layout(fig, renderer, fmt: str) -> Layout | None:
    """A taller layout with fewer columns for a figure whose axes stand side by side and whose
    smallest text a phone would draw below PHONE_TEXT_PX.

    The axes are re-arranged to fit the width at which that text is drawn at about PHONE_TEXT_PX
    (or the widest axes, if wider): a table whose rows are labelled is wrapped like a wide table
    (groups of columns, each with all its rows, so "after" stays under "before"); other figures
    row by row, in reading order. Every axes keeps its size in inches, so its text grows on the
    phone as the figure gets narrower. None when the figure needs no narrow layout, or when the
    new one would neither reach about PHONE_TEXT_PX nor make the text NARROW_GAIN times larger."""
    before = phone_text_px(fig, fmt)
    if before >= PHONE_TEXT_PX:
        return None
    units = _units(fig, renderer)
    width, height = fig.get_size_inches()
    smallest = smallest_text_pt(fig)
    # the width (inches, inside the margins) at which the smallest text is about PHONE_TEXT_PX
    text_width = (
        smallest * PHONE_WIDTH_PX / (72 * PHONE_TEXT_PX * PHONE_TEXT_SLACK) - 2 * LAYOUT_GAP
    )
    if units and len(units) == 1 and len(units[0].axes) == 1:
        return _narrower_chart(fig, renderer, units[0], text_width)
    rows = _rows(units) if units else None
    if not rows or max(len(r) for r in rows) < 2:
        return None
    target = max(text_width, max(_piece([[u]])[2] for u in units))
    table = _as_grid(rows)
    if table is None or not _labels_rows(table):
        pieces = _wrap_rows(rows, target)
    else:
        for size in range(len(table[0]), 0, -1):
            pieces = _wrap_columns(table, size)
            if max(p[2] for p in pieces) <= target + 1e-9:
                break
    new_width, grid_height, placed = _grid(pieces)
    after = phone_text_px(fig, fmt, new_width)
    if after < PHONE_TEXT_PX * PHONE_TEXT_SLACK and after < NARROW_GAIN * before:
        return None
    layout = _current_layout(fig)
    title, title_band = _suptitle(fig), 0.0
    if title is not None and title.get_visible() and title.get_text():
        # the title keeps its distance from the top edge; wrapped, it grows downwards
        string = _wrap(title, renderer, new_width - 2 * LAYOUT_GAP, fig.dpi)
        before = _inches(title.get_window_extent(renderer), fig)
        title.set_text(string)
        after = _inches(title.get_window_extent(renderer), fig)
        title.set_text(layout.texts[id(title)][1])
        title_band = height - before.y0 + after.height - before.height
        x, y = title.get_position()
        new_height = title_band + grid_height
        layout.texts[id(title)] = (title, string, (x, 1 - (1 - y) * height / new_height))
    new_height = title_band + grid_height
    for unit in [u for row in rows for u in row]:
        x0, centre_y = placed[id(unit)]
        dx = x0 - unit.box.x0
        dy = (grid_height - centre_y) - (unit.box.y0 + unit.box.y1) / 2
        for ax in unit.axes:
            boxes = []
            for original in (True, False):
                box = ax.get_position(original=original).transformed(fig.transFigure)
                box = _inches(box, fig)
                moved = Bbox.from_bounds(box.x0 + dx, box.y0 + dy, box.width, box.height)
                boxes.append(Bbox(moved.get_points() / [new_width, new_height]))
            layout.positions[id(ax)] = (ax, *boxes)
    layout.size = (new_width, new_height)
    return layout


# A single chart is made narrower only down to this fraction of its width: below, its data
# would be squeezed more than its text gains.
NARROWEST_CHART = 0.45


def _texts(fig, renderer) -> list[Bbox]:
    """The boxes of all the text a figure draws (tick labels as they would be drawn now)."""
    texts = [t for t in fig.texts if t.get_visible() and t.get_text()]
    for ax in fig.axes:
        texts += [t for t in _titles(ax) if t.get_text()]
        texts += [t for t in ax.texts if t.get_visible() and t.get_text()]
        legend = ax.get_legend()
        texts += legend.get_texts() if legend is not None else []
        for axis in (ax.xaxis, ax.yaxis):
            texts += [axis.label] if axis.label.get_text() else []
            for tick in _drawn_ticks(axis):
                texts += [t for t in (tick.label1, tick.label2) if t.get_visible() and t.get_text()]
    return [t.get_window_extent(renderer) for t in texts]


def _collisions(boxes: list[Bbox]) -> int:
    """How many pairs of text boxes overlap by more than a sliver (a pixel)."""
    return sum(
        1
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if min(a.x1, b.x1) - max(a.x0, b.x0) > 1 and min(a.y1, b.y1) - max(a.y0, b.y0) > 1
    )


def _narrower_chart(fig, renderer, unit: Unit, text_width: float) -> Layout | None:
    """A single chart (one axes) made narrower, its text keeping its size, so that a phone draws
    that text at about PHONE_TEXT_PX; the title is wrapped to the new width. None when the chart
    would get too narrow, or when anything would then stick out of the figure or collide with
    other text (a long tick label, an annotation placed in data coordinates)."""
    height = fig.get_size_inches()[1]
    left, right = unit.box.x0 - unit.tight.x0, unit.tight.x1 - unit.box.x1
    box_width = text_width - left - right
    if box_width < NARROWEST_CHART * unit.box.width or box_width >= unit.box.width:
        return None
    (ax,) = unit.axes
    wide = _current_layout(fig)
    collisions = _collisions(_texts(fig, renderer))
    layout = _current_layout(fig)
    new_width = text_width + 2 * LAYOUT_GAP
    band = 0.0  # a title wrapped onto more lines needs room above the axes
    suptitle = _suptitle(fig)
    for title in (ax.title, suptitle):
        if title is None or not title.get_text():
            continue
        original = title.get_text()
        before = _inches(title.get_window_extent(renderer), fig).height
        string = _wrap(title, renderer, text_width, fig.dpi)
        title.set_text(string)
        band += _inches(title.get_window_extent(renderer), fig).height - before
        title.set_text(original)
        layout.texts[id(title)] = (title, string, title.get_position())
    new_height = height + band
    if suptitle is not None:  # same distance from the top
        x, y = suptitle.get_position()
        string = layout.texts[id(suptitle)][1]
        position = (x, 1 - (1 - y) * height / new_height)
        layout.texts[id(suptitle)] = (suptitle, string, position)
    originals = [
        _inches(ax.get_position(original=original).transformed(fig.transFigure), fig)
        for original in (True, False)
    ]
    x0, extra = LAYOUT_GAP + left, 0.0
    try:
        for _ in range(2):  # a tick label at the edge may need a little more room: then once more
            size = (new_width + extra, new_height)
            boxes = [
                Bbox.from_bounds(x0, b.y0, b.width * box_width / unit.box.width, b.height)
                for b in originals
            ]
            boxes = [Bbox(b.get_points() / size) for b in boxes]
            layout.positions[id(ax)] = (ax, *boxes)
            layout.size = size
            _apply_layout(fig, layout)
            tight = fig.get_tightbbox(renderer)  # inches
            if tight.y0 < -0.01 or tight.y1 > new_height + 0.01:
                return None
            overflow = (max(0.0, -tight.x0), max(0.0, tight.x1 - size[0]))
            if overflow == (0.0, 0.0):
                if _collisions(_texts(fig, renderer)) > collisions:
                    return None
                return layout
            x0, extra = x0 + overflow[0] + 0.01, extra + sum(overflow) + 0.02
        return None
    finally:
        _apply_layout(fig, wide)


def _wrap(text: Text, renderer, width_in: float, dpi: float) -> str:
    """The text broken at spaces so that each line fits ``width_in`` inches."""
    original = text.get_text()
    words, lines = original.replace("\n", " \n ").split(" "), [""]
    try:
        for word in words:
            if word == "\n":
                lines.append("")
                continue
            trial = f"{lines[-1]} {word}".strip()
            text.set_text(trial)
            if lines[-1] and text.get_window_extent(renderer).width / dpi > width_in:
                lines.append(word)
            else:
                lines[-1] = trial
    finally:
        text.set_text(original)
    return "\n".join(lines)


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
    wide = _current_layout(fig)
    narrow = narrow_layout(fig, renderer, fmt)
    if narrow is not None:
        _apply_layout(fig, narrow)
        _save(fig, out_dir / variant(name, narrow=True), "white", photo)
        _apply_layout(fig, wide)
    dark_palette(fig, renderer)
    _save(fig, out_dir / variant(name, dark=True), DARK_BACKGROUND, photo)
    if narrow is not None:
        _apply_layout(fig, narrow)
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
