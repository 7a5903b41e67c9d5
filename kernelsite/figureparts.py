"""What matplotlib draws, read through its public API where it has one: the parts of a figure
that the dark palette (darkfigures.py) and the phone layout (narrowfigures.py) need. The three
that have no public accessor (colour bars' parts, the ticks an axis would draw) are read here
only, so that a matplotlib upgrade has one place to check."""

from __future__ import annotations

from matplotlib.axis import Axis
from matplotlib.text import Text


def suptitle_of(fig) -> Text | None:
    """The figure's suptitle: the figure text that holds it (matplotlib stores it there)."""
    string = fig.get_suptitle()
    return next((t for t in fig.texts if string and t.get_text() == string), None)


def titles(ax) -> list[Text]:
    """The axes' three titles (centre, left, right): its own texts that are not ax.texts."""
    return [c for c in ax.get_children() if isinstance(c, Text) and c not in ax.texts]


def axes_lines(ax) -> list[Axis]:
    """The x and y axis (and z for 3-D) of an axes."""
    return [c for c in ax.get_children() if isinstance(c, Axis)]


def colorbar_extensions(fig) -> set[int]:
    """The triangles a colour bar draws for values beyond its range (no public accessor)."""
    return {id(p) for a in fig.axes if hasattr(a, "_colorbar") for p in a._colorbar._extend_patches}


def colorbar_parents(ax) -> list | None:
    """The axes a colour bar's axes was made beside (no public accessor), or None when ``ax``
    is not such a colour bar."""
    info = getattr(ax, "_colorbar_info", None)
    return None if info is None else info.get("parents", [])


def drawn_ticks(axis) -> list:
    """The ticks an axis would draw now, positioned (no public accessor)."""
    return axis._update_ticks()


def drawn_beside(ax):
    yield from titles(ax)
    for axis in axes_lines(ax):
        yield from (axis.label, axis.offsetText)
        for tick in [*axis.majorTicks, *axis.minorTicks]:
            yield from tick.get_children()
