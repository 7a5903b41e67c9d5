"""The MkDocs adapter: settings read at every build."""

from __future__ import annotations

from pathlib import Path

from mkdocs.commands.build import build
from mkdocs.config import load_config

from conftest import make_site


def build_site(root: Path) -> Path:
    """Build in this process, as ``mkdocs build`` does."""
    config = load_config(str(root / "mkdocs.yml"), strict=True)
    config.plugins.on_startup(command="build", dirty=False)
    build(config)
    return root / "site"


def test_settings_are_read_at_every_build_in_one_process(tmp_path, monkeypatch):
    make_site(tmp_path, "# P\n\n{{ value demo/one.py x }}\n", {"demo/one.py": "x = 1\n"})
    for cache in ("first", "second"):
        monkeypatch.setenv("KERNELSITE_CACHE", cache)
        build_site(tmp_path)
        assert list((tmp_path / cache / "snippets").glob("*/result.json")), cache
