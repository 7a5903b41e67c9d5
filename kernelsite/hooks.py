"""MkDocs hooks (see ``hooks:`` in mkdocs.yml): run the snippets, embed their results, render maths.

The pipeline: snippets/**.py --(runner, cached)--> figures, output, values --(embed)--> pages.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from html import escape
from pathlib import Path

from jinja2 import FileSystemBytecodeCache
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

from kernelsite import embed, mathfont, mathml, notebook, notebookfigures, pagecache, runner

log = logging.getLogger("mkdocs.hooks.kernelsite")
# While serving, a build error is shown in the browser instead of aborting the build (an aborted
# build leaves the browser's request hanging). This logger is outside "mkdocs", so MkDocs' strict
# mode does not count it; `make build` and `make test` still fail on the same error.
serve_log = logging.getLogger("kernelsite.serve")
JUPYTER_CONFIG = Path(__file__).parent / "jupyter"
# MkDocs imports this module once per process (`mkdocs serve` builds many times): everything
# that may change between builds is set by on_config.
state: dict = {}
TABLE = re.compile(r"<table>.*?</table>", re.DOTALL)
ABBR = re.compile(r'<abbr title="([^"]*)">(.*?)</abbr>', re.DOTALL)
# What the search index leaves out: code blocks and printed output (Markdown pages: the
# highlight box; notebook pages: every <pre>, the cells' prompts, and the copy button's notice
# and hidden text).
# Material's search parser ends an exclusion at the first closing tag of the same name, so the
# mark goes on elements that hold no element of their own kind (a notebook's cell areas do).
SEARCH_EXCLUDED = re.compile(
    r"<(?:pre\b"
    r'|div(?= class="(?:[^"]*\bhighlight|jp-(?:Input|Output)Prompt|clipboard-copy-txt)[\s"])'
    r'|span(?= class="notice"))'
)


def on_startup(command, dirty):
    state["serving"] = command == "serve"
    if state["serving"] and not serve_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("ERROR   -  %(message)s"))
        serve_log.addHandler(handler)
        serve_log.propagate = False


def fail(message: str) -> None:
    """A build error: abort the build, or, while serving, show it on every page."""
    if not state.get("serving"):
        raise PluginError(message)
    serve_log.error(message)
    state["errors"].append(message)


def error_page(messages: list[str]) -> str:
    """A box that shows build errors, in HTML (which Markdown keeps as it is); the page reloads
    by itself once they are fixed."""
    blocks = "".join(f"<pre><code>{escape(m)}</code></pre>" for m in messages)
    return (
        '<div class="admonition failure"><p class="admonition-title">The build failed</p>'
        f"<p>Fix the file named below and save it: this page reloads by itself.</p>{blocks}</div>\n"
    )


def page_failed(page, error: ValueError) -> str:
    """An error in a page's HTML: fail the build, or, while serving, show it instead."""
    message = f"docs/{page.file.src_uri}: {error}"
    fail(message)
    return error_page([message])


def on_config(config):
    root = Path(config.config_file_path).parent
    # Notebook kernels talk to the build over local sockets (see kernelsite/jupyter/).
    paths = [
        str(JUPYTER_CONFIG),
        *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(":")),
    ]
    os.environ["JUPYTER_CONFIG_PATH"] = ":".join(dict.fromkeys(paths))
    lock = root / "requirements.lock"
    cache = root / os.environ.get("KERNELSITE_CACHE", ".cache")
    # The knobs a reader may turn (listed on the "Rebuild this site" page and by `make help`).
    state.update(
        cpu_limit=float(os.environ.get("KERNELSITE_CPU_LIMIT", runner.CPU_LIMIT)),
        wall_limit=float(os.environ.get("KERNELSITE_WALL_LIMIT", runner.WALL_LIMIT)),
        jobs=int(os.environ.get("KERNELSITE_JOBS", "0")) or None,
        math_font=Path(
            os.environ.get("KERNELSITE_MATH_FONT", Path(sys.prefix) / "fonts" / mathfont.FONT_NAME)
        ),
        cache=cache,
        snippets=root / "snippets",
        snippets_cache=cache / "snippets",
        salt=lock.read_bytes() if lock.is_file() else b"",
        pages=pagecache.PageCache(
            cache / "pages",
            [
                Path(config.config_file_path),
                *(root / "docs" / "includes").glob("*"),
                *Path(__file__).parent.glob("*.py"),
            ],
        ),
    )
    notebooks = config.plugins.get("mkdocs-jupyter")
    if notebooks is not None:
        # The kernels draw each figure as the snippets' figures are drawn (both palettes, phone
        # layouts): a change to that code, or to the pins, executes the notebooks again.
        os.environ["IPYTHONDIR"] = str(notebookfigures.ipython_dir(cache / "ipython"))
        figure_code = runner.fingerprint(
            runner.glue_files((*runner.GLUE, "notebookfigures")), state["salt"]
        )
        cache_dir = cache / "mkdocs-jupyter" / figure_code  # follows KERNELSITE_CACHE
        notebooks.config["cache_dir"] = str(cache_dir)
        drop_corrupt_notebook_cache(cache_dir)
        # mkdocs-jupyter evicts stale files in its folder; the folders of older figure code too:
        runner.evict(cache_dir.parent, {figure_code})
    return config


def drop_corrupt_notebook_cache(folder: Path) -> None:
    """mkdocs-jupyter writes its cache files in place; one cut short by an interrupted build
    would fail every later build. Such a file is removed (the notebook is simply re-executed)."""
    for entry in folder.glob("*.json"):
        try:
            json.loads(entry.read_text(encoding="utf-8"))
        except ValueError:
            log.info(f"removing an incomplete mkdocs-jupyter cache file: {entry.name}")
            entry.unlink()


def on_files(files, config):
    state["errors"] = []
    search = config.plugins.get("material/search")
    if search is not None:  # Material's search: its entries for an unchanged page are reused
        index = search.search_index
        add_entry = index.add_entry_from_context
        index.add_entry_from_context = lambda page: pagecache.search_entries(
            state["pages"], index, add_entry, page
        )
    snippets = runner.discover(state["snippets"], state["salt"])
    known = {s.id for s in snippets}
    embedded: dict[str, list[str]] = {}
    for page in files.documentation_pages():
        if not page.src_uri.endswith(".md"):
            continue
        for snippet_id, line in embed.references(Path(page.abs_src_path).read_text("utf-8")):
            if snippet_id not in known:
                fail(f"docs/{page.src_uri}:{line}: no snippet snippets/{snippet_id}")
            embedded.setdefault(snippet_id, []).append(f"docs/{page.src_uri}:{line}")
    executing = None
    notebooks = config.plugins.get("mkdocs-jupyter")
    if notebooks is not None:  # imported only here: it loads nbconvert
        from kernelsite import ahead

        executing = ahead.start(notebooks, files)
    try:
        results = runner.run_all(
            snippets,
            state["snippets_cache"],
            jobs=state["jobs"],
            cpu_limit=state["cpu_limit"],
            wall_limit=state["wall_limit"],
            log=log.info,
        )
    except runner.SnippetError as error:
        report = []
        for failure in error.failures:
            where = ", ".join(embedded.get(failure.snippet.id, [])) or "no page"
            report.append(f"{failure} (embedded in {where})\n{failure.traceback}")
        fail("snippet failed:\n" + "\n".join(report))
        state["results"] = {}
        return files
    finally:
        if executing is not None:
            executing.join()  # the notebooks' pages are rendered next
    runner.evict(state["snippets_cache"], {r.snippet.key for r in results.values()})
    imported = {p for s in snippets for p in s.helpers}
    for result in results.values():
        for warning in result.warnings:
            if state.get("serving"):
                fail(f"snippets/{result.snippet.id} warned: {warning}")
            else:
                log.warning(f"snippets/{result.snippet.id}: {warning}")
        if result.snippet.id not in embedded and result.snippet.path not in imported:
            log.warning(f"snippets/{result.snippet.id} is not embedded in any page")
        names = [*result.figures, *result.snippet.downloads, *(f"files/{f}" for f in result.files)]
        for name in names:
            uri = embed.site_path(result.snippet.id, name)
            files.append(File.generated(config, uri, abs_src_path=str(result.folder / name)))
    state["results"] = results
    return files


def on_env(env, config, files):
    # Material's templates are compiled once, not on every build: Jinja keeps the compiled code
    # under a checksum of each template's source (written atomically, so never left corrupt).
    folder = state["cache"] / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = FileSystemBytecodeCache(str(folder))
    return env


def on_pre_page(page, config, files):
    if page.file.src_uri.endswith(".md"):  # an unchanged page is not rendered again
        page.render = lambda config, files: pagecache.render(state["pages"], page, config, files)
    return page


def on_page_markdown(markdown, page, config, files):
    if state["errors"]:
        return error_page(state["errors"])
    if not page.file.src_uri.endswith(".md"):
        return markdown
    try:
        return embed.render(
            markdown, page.file.src_uri, state["results"], config.use_directory_urls
        )
    except embed.EmbedError as error:
        fail(f"docs/{error}")
        return error_page([f"docs/{error}"])


def first_tooltips_only(html: str) -> str:
    """Keep a glossary term's tooltip at its first use on a page; later uses are plain text
    (an underline on every "kernel" would carry no signal)."""
    seen: set[str] = set()

    def keep_first(match: re.Match) -> str:
        if match[1] in seen:
            return match[2]
        seen.add(match[1])
        return match[0]

    return ABBR.sub(keep_first, html)


def scrollable_tables(html: str) -> str:
    """Wrap each table in a box that scrolls sideways on a narrow screen (so no word is split)
    and can be reached and scrolled from the keyboard."""
    return TABLE.sub(
        lambda m: (
            f'<div class="table-scroll" tabindex="0" role="region" aria-label="Table">{m[0]}</div>'
        ),
        html,
    )


def finish_html(html: str) -> str:
    # Code and printed output stay out of the search index, which every page downloads.
    html = SEARCH_EXCLUDED.sub(lambda m: f"{m[0]} data-search-exclude", html)
    return mathml.render(scrollable_tables(first_tooltips_only(html)))


def on_page_content(html, page, config, files):
    try:
        if not page.file.src_uri.endswith(".md"):  # a notebook: its figures, before search
            site_dir, source = Path(config.site_dir), Path(page.file.abs_src_path)
            html = notebook.figures(html, page.url, site_dir, source, state["pages"])
        key = state["pages"].key("content", html)
        return state["pages"].cached(key, lambda: finish_html(html))
    except ValueError as error:  # MathError, NotebookError
        return page_failed(page, error)


def on_post_page(output, page, config):
    if page.file.src_uri.endswith(".md"):
        return output
    try:
        return notebook.clean(
            output,
            page.url,
            Path(config.site_dir),
            Path(page.file.abs_src_path),
            state["pages"],
        )
    except ValueError as error:  # MathError, NotebookError
        return output.replace(page.content, page_failed(page, error), 1)


def on_post_build(config):
    if not state["errors"]:
        state["pages"].evict()
    if not mathfont.characters(Path(config.site_dir)):
        return  # no maths on any page
    try:
        mathfont.publish(Path(config.site_dir), state["math_font"], state["cache"] / "fonts")
    except mathfont.MathFontError as error:
        raise PluginError(str(error)) from None
