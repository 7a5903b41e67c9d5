"""The simple module-level values a run leaves (numbers, strings, short lists and dicts): what a
page may quote with ``{{ value … }}``. Kept free of heavy imports, so that a test can read them
from a reader's Jupyter kernel too."""

from __future__ import annotations

import math

MAX_STR = 20_000
MAX_ITEMS = 1_000


def simple_value(value):
    """Return a JSON-able copy of a 'simple' value (number, string, short list/dict), else None."""
    if isinstance(value, bool | int | str) and not (
        isinstance(value, str) and len(value) > MAX_STR
    ):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if type(value).__module__ in ("numpy", "torch") and getattr(value, "ndim", None) == 0:
        return simple_value(value.item())
    if isinstance(value, list | tuple) and len(value) <= MAX_ITEMS:
        items = [simple_value(v) for v in value]
        return items if all(i is not None for i in items) else None
    if (
        isinstance(value, dict)
        and len(value) <= MAX_ITEMS
        and all(isinstance(k, str) for k in value)
    ):
        items = {k: simple_value(v) for k, v in value.items()}
        return items if all(i is not None for i in items.values()) else None
    return None


def simple_values(namespace: dict) -> dict:
    found = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        simple = simple_value(value)
        if simple is not None:
            found[name] = simple
    return found
