"""The references page lists every work the chapters cite, once, and nothing nobody cites."""

from __future__ import annotations

import collections
import re

from conftest import ROOT

DOCS = ROOT / "docs"
REFERENCES = DOCS / "references.md"
# Markdown pages link references.md#anchor; notebook pages link ../references/#anchor.
CITATION = re.compile(r"references(?:\.md|/)#([\w-]+)")
ENTRY = re.compile(r'<span id="([\w-]+)"></span>')


def citations() -> dict[str, list[str]]:
    """Anchor -> the files that cite it."""
    found: dict[str, list[str]] = collections.defaultdict(list)
    sources = [*DOCS.rglob("*.md"), *DOCS.rglob("*.py"), *(ROOT / "snippets").rglob("*.py")]
    for path in sources:
        if path != REFERENCES:
            for anchor in CITATION.findall(path.read_text(encoding="utf-8")):
                found[anchor].append(path.relative_to(ROOT).as_posix())
    return found


def section_anchors() -> set[str]:
    """Anchors of the page's own headings (as MkDocs' toc slugifies them)."""
    headings = re.findall(r"^#+ (.+)$", REFERENCES.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", h).strip().lower()) for h in headings}


def test_every_entry_is_listed_once():
    entries = ENTRY.findall(REFERENCES.read_text(encoding="utf-8"))
    twice = [anchor for anchor, n in collections.Counter(entries).items() if n > 1]
    assert not twice, f"listed more than once on the references page: {twice}"


def test_every_citation_points_at_an_entry():
    entries = set(ENTRY.findall(REFERENCES.read_text(encoding="utf-8"))) | section_anchors()
    missing = {a: files for a, files in citations().items() if a not in entries}
    assert not missing, f"cited but not on the references page: {missing}"


def test_every_entry_is_cited_somewhere():
    cited = set(citations())
    dangling = sorted(set(ENTRY.findall(REFERENCES.read_text(encoding="utf-8"))) - cited)
    assert not dangling, f"on the references page but cited by no page: {dangling}"
