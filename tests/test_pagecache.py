"""A rebuild reuses each unchanged page's rendering, and the reuse never hides a change or a
warning (kernelsite/pagecache.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.exceptions import Abort
from mkdocs.structure.pages import Page

from conftest import build_site, make_site, write

PAGE = """
    # Mini

    The sum is $\\sum_i x_i$. See [the other page](other.md#details).
    """
OTHER = """
    # Other

    ## Details

    Text.
    """


def site(root: Path) -> Path:
    make_site(root, PAGE, {})
    (root / "snippets").mkdir()
    write(root / "docs" / "other.md", OTHER)
    with (root / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write("validation: {anchors: warn}\n")
    return root


def built_page(root: Path) -> str:
    return (build_site(root) / "index.html").read_text(encoding="utf-8")


def test_an_unchanged_page_is_not_rendered_again_and_comes_out_the_same(tmp_path, monkeypatch):
    root = site(tmp_path)
    first = built_page(root)
    assert "<math" in first  # the site's own post-processing ran
    entries = sorted(p.name for p in (root / ".cache" / "pages").glob("*.json"))
    assert any(name.startswith("render-") for name in entries)

    def no_render(*args, **kwargs):
        raise AssertionError("an unchanged page was rendered again")

    monkeypatch.setattr(Page, "render", no_render)
    assert built_page(root).split("Build Date UTC")[0] == first.split("Build Date UTC")[0]


def test_an_edit_shows_in_the_rebuilt_page(tmp_path):
    root = site(tmp_path)
    built_page(root)
    write(root / "docs" / "index.md", PAGE.replace("The sum is", "The total is"))
    assert "The total is" in built_page(root)


def test_a_warning_is_reported_on_every_build_not_cached_away(tmp_path, caplog):
    root = site(tmp_path)
    write(root / "docs" / "index.md", PAGE.replace("other.md#details", "missing.md"))
    for _ in range(2):
        with pytest.raises(Abort):
            built_page(root)
        assert "missing.md" in caplog.text
        caplog.clear()


def test_a_cached_page_still_checks_its_links_into_a_changed_page(tmp_path, caplog):
    root = site(tmp_path)
    built_page(root)  # both pages cached
    write(root / "docs" / "other.md", OTHER.replace("## Details", "## Summary"))
    with pytest.raises(Abort):
        built_page(root)
    assert "#details" in caplog.text


def test_a_cache_entry_cut_short_is_recomputed(tmp_path):
    root = site(tmp_path)
    first = built_page(root)
    for entry in (root / ".cache" / "pages").glob("*.json"):
        entry.write_text('{"content": "<p>cut', encoding="utf-8")
    assert built_page(root).split("Build Date UTC")[0] == first.split("Build Date UTC")[0]
