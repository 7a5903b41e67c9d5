"""Where things are published in the site: paths relative to the site root, with ``/``.

A snippet ``snippets/fixed/gradients.py`` (its id: ``fixed/gradients.py``) publishes its figures,
downloads and files in the site folder ``snippets/fixed/gradients/``; a page ``docs/notation.md``
(``notation.md`` below docs/) is served from the URL folder ``notation/``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

SNIPPETS = "snippets"  # the site folder of the snippets' outputs (as in the repository)


@dataclass(frozen=True)
class SnippetPaths:
    id: str  # the snippet's path below the snippets folder, e.g. "fixed/gradients.py"

    @classmethod
    def of(cls, site_file: str) -> SnippetPaths | None:
        """The snippet that published ``site_file`` directly in its folder
        (``snippets/fixed/gradients/gradients.zip`` -> ``fixed/gradients.py``), else None."""
        folder, _, _ = site_file.rpartition("/")
        top, _, below = folder.partition("/")
        return cls(f"{below}.py") if top == SNIPPETS and below else None

    @property
    def folder(self) -> str:
        """The site folder of its outputs: ``snippets/fixed/gradients``."""
        return f"{SNIPPETS}/{self.id.removesuffix('.py')}"

    def file(self, name: str) -> str:
        """Where its output ``name`` is published, relative to the site root."""
        return f"{self.folder}/{name}"

    def link(self, name: str, from_folder: str) -> str:
        """A relative link to its output ``name`` from the site folder ``from_folder``."""
        return posixpath.relpath(self.file(name), from_folder)


@dataclass(frozen=True)
class PagePaths:
    src: str  # the page's path below docs/, e.g. "notation.md"
    directory_urls: bool = True  # MkDocs' setting of that name

    @property
    def source_folder(self) -> str:
        """The folder of its source below docs/ (MkDocs rewrites Markdown links from there)."""
        return posixpath.dirname(self.src) or "."

    @property
    def url_folder(self) -> str:
        """The folder its URL points into, as MkDocs publishes it: with directory URLs
        ``notation.md`` is served as ``notation/`` (``index.md`` as its folder). Links written
        as HTML, which MkDocs does not rewrite, are relative to it."""
        stem = posixpath.splitext(self.src)[0]
        if not self.directory_urls or posixpath.basename(stem) in ("index", "README"):
            return self.source_folder
        return stem
