"""Remember what a rebuild would otherwise compute again for an unchanged page.

Three steps dominate a rebuild in which no snippet changed: turning each page's Markdown into
HTML, this project's post-processing of that HTML (maths, tooltips, tables), and the search
plugin's parsing of the result. Each is a pure function of its inputs, so its output is stored
under a hash of those inputs (and of the configuration and code that could change it), in one
JSON file per entry, written atomically. A render that logged a warning is never stored, so a
cached page cannot hide a warning: a strict build still sees it the next time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path

from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, get_toc

# Packages whose upgrade may change the HTML of a page.
RENDERERS = ("mkdocs", "markdown", "pymdown-extensions", "mkdocs-material", "pygments")


class PageCache:
    def __init__(self, folder: Path, inputs: Iterable[Path]) -> None:
        """``inputs``: files that affect every page (configuration, includes, this glue)."""
        self.folder = folder
        digest = hashlib.sha256()
        for name in RENDERERS:
            digest.update(f"{name}=={version(name)}\n".encode())
        for path in sorted(inputs):
            digest.update(path.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        self.salt = digest.hexdigest()
        self.used: set[str] = set()
        self._files: tuple[object, str] | None = None

    def files_digest(self, files) -> str:
        """A hash of the site's file list (computed once per build: every page asks for it)."""
        if self._files is None or self._files[0] is not files:
            names = "\n".join(sorted(f.src_uri for f in files))
            self._files = (files, hashlib.sha256(names.encode()).hexdigest())
        return self._files[1]

    def key(self, kind: str, *parts: str) -> str:
        digest = hashlib.sha256(f"{self.salt}\0{kind}".encode())
        for part in parts:
            digest.update(b"\0" + part.encode())
        return f"{kind}-{digest.hexdigest()[:32]}"

    def load(self, key: str):
        self.used.add(key)
        path = self.folder / f"{key}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:  # cut short by a killed build: recompute it
            path.unlink(missing_ok=True)
            return None

    def store(self, key: str, value) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(value, out)
        os.replace(temporary, self.folder / f"{key}.json")

    def evict(self) -> None:
        """Remove the entries this build did not use (every page is visited on every build)."""
        for path in self.folder.glob("*.json"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)
        for path in self.folder.glob("*.tmp"):
            path.unlink(missing_ok=True)

    def cached(self, key: str, compute: Callable[[], object]):
        """``compute()``'s JSON-able result, from the cache when this key was computed before."""
        found = self.load(key)
        if found is not None:
            return found["value"]
        value = compute()
        self.store(key, {"value": value})
        return value


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _tokens(items: Iterable[AnchorLink]) -> list[dict]:
    return [
        {"level": a.level, "id": a.id, "name": a.title, "children": _tokens(a.children)}
        for a in items
    ]


def render(cache: PageCache, page: Page, config, files) -> None:
    """``page.render(config, files)``, from the cache when the same Markdown was rendered with
    the same configuration and the same set of site files (links and anchors depend on them)."""
    key = cache.key("render", page.file.src_uri, page.markdown, cache.files_digest(files))
    found = cache.load(key)
    if found is not None:
        page.content = found["content"]
        page.toc = get_toc(found["toc"])
        page._title_from_render = found["title"]
        page.present_anchor_ids = set(found["anchors"])
        page.links_to_anchors = {
            files.get_file_from_path(uri): links for uri, links in found["links"].items()
        }
        return
    warnings = _Warnings()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(warnings)
    try:
        Page.render(page, config, files)
    finally:
        logger.removeHandler(warnings)
    if warnings.count:
        return
    links = {f.src_uri: anchors for f, anchors in (page.links_to_anchors or {}).items()}
    cache.store(
        key,
        {
            "content": page.content,
            "toc": _tokens(page.toc),
            "title": page._title_from_render,
            "anchors": sorted(page.present_anchor_ids or ()),
            "links": links,
        },
    )


def search_entries(cache: PageCache, index, add_entry: Callable[[Page], None], page: Page) -> None:
    """The search plugin's ``add_entry_from_context(page)``, from the cache for a page whose
    HTML, address, title, metadata and table of contents are unchanged."""
    key = cache.key(
        "search",
        page.url,
        page.content or "",
        str(page.title),
        json.dumps(page.meta, sort_keys=True, default=str),
        json.dumps(_tokens(page.toc), sort_keys=True),
    )
    found = cache.load(key)
    if found is not None:
        index.entries.extend(found["entries"])
        return
    before = len(index.entries)
    add_entry(page)
    cache.store(key, {"entries": index.entries[before:]})
