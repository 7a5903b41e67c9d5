"""A figure laid out again for a phone: axes that stand side by side re-arranged in fewer
columns, or a single chart made narrower, so that its smallest text is drawn at about
PHONE_TEXT_PX on a 390 px screen. Every axes keeps its size in inches."""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.text import Text
from matplotlib.transforms import Bbox

from kernelsite.figureparts import colorbar_parents, drawn_ticks, suptitle_of, titles

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


def current_layout(fig) -> Layout:
    positions = {
        id(ax): (ax, ax.get_position(original=True), ax.get_position(original=False))
        for ax in fig.axes
    }
    texts = {}
    title = suptitle_of(fig)
    if title is not None:
        texts[id(title)] = (title, title.get_text(), title.get_position())
    return Layout(tuple(fig.get_size_inches()), positions, texts)


def apply_layout(fig, layout: Layout) -> None:
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
    title = suptitle_of(fig)
    loose = [t for t in fig.texts if t is not title and t.get_text()]
    if fig.subfigs or loose or fig.legends or fig.images:
        return None  # a figure-level text or legend: where would it go?
    axes = [ax for ax in fig.axes if ax.get_visible()]
    if any(ax.name != "rectilinear" and ax.name != "polar" for ax in axes):
        return None
    units: dict[int, Unit] = {}
    bars = []
    for ax in axes:
        if colorbar_parents(ax) is not None or ax.get_label() == "<colorbar>":
            bars.append(ax)
            continue
        box = _inches(ax.get_position(original=False).transformed(fig.transFigure), fig)
        tight = ax.get_tightbbox(renderer)
        units[id(ax)] = Unit([ax], box, box if tight is None else _inches(tight, fig))
    extra = []
    for bar in bars:
        parents = colorbar_parents(bar) or []
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
    main = [u for u in units if colorbar_parents(u.axes[0]) is None]
    bars = [u for u in units if colorbar_parents(u.axes[0]) is not None]
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
    layout = current_layout(fig)
    title, title_band = suptitle_of(fig), 0.0
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
        texts += [t for t in titles(ax) if t.get_text()]
        texts += [t for t in ax.texts if t.get_visible() and t.get_text()]
        legend = ax.get_legend()
        texts += legend.get_texts() if legend is not None else []
        for axis in (ax.xaxis, ax.yaxis):
            texts += [axis.label] if axis.label.get_text() else []
            for tick in drawn_ticks(axis):
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
    wide = current_layout(fig)
    collisions = _collisions(_texts(fig, renderer))
    layout = current_layout(fig)
    new_width = text_width + 2 * LAYOUT_GAP
    band = 0.0  # a title wrapped onto more lines needs room above the axes
    suptitle = suptitle_of(fig)
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
            apply_layout(fig, layout)
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
        apply_layout(fig, wide)


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
