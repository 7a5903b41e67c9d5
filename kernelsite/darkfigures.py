"""A drawn figure recoloured, in place, for Material's dark palette: backgrounds dark, black ink
light, white boxes dark, colours kept (lines lightened if too dark to see); images, colour maps
and the text drawn on them untouched, except grey ink-on-paper maps, reversed."""

from __future__ import annotations

import colorsys

import numpy as np
from matplotlib.backend_bases import MouseEvent
from matplotlib.cm import ScalarMappable
from matplotlib.collections import Collection, PathCollection
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.image import AxesImage
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.spines import Spine
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from kernelsite.figureparts import colorbar_extensions, drawn_beside

# Material's slate background, hsl(225deg 15% 14%), and its text colour made opaque (90 %).
DARK_BACKGROUND = "#1e2129"
DARK_INK = "#e2e4e9"
# Lines, markers and text keep their hue; one too dark to see on the slate background is
# lightened to this contrast ratio (WCAG 1.4.11, graphical objects).
STROKE_CONTRAST = 3.0
# A colour whose channels differ by at most this much is a grey: it is mirrored (black ink becomes
# light ink, a white box becomes the dark background); other colours are kept.
GREY_SPREAD = 0.08


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
    beside = {id(a) for ax in fig.axes for a in drawn_beside(ax)}
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
    extensions = colorbar_extensions(fig)
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
