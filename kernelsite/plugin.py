"""The MkDocs plugin (``kernelsite`` under ``plugins:`` in mkdocs.yml): run the snippets, embed
their results, render maths.

The pipeline: snippets/**.py --(runner, cached)--> figures, output, values --(embed)--> pages.
This is the adapter to MkDocs: the runner, capture, figures, downloads and the directives take
paths and strings (only pagecache.py and ahead.py also reach into MkDocs and mkdocs-jupyter).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from jinja2 import FileSystemBytecodeCache
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url, yaml_load

from kernelsite import (
    embed,
    mathfont,
    notebook,
    notebookfigures,
    pagecache,
    pagehtml,
    paths,
    runner,
)

log = logging.getLogger("mkdocs.plugins.kernelsite")
# While serving, a build error is shown in the browser instead of aborting the build (an aborted
# build leaves the browser's request hanging). This logger is outside "mkdocs", so MkDocs' strict
# mode does not count it; `make build` and `make test` still fail on the same error.
serve_log = logging.getLogger("kernelsite.serve")
JUPYTER_CONFIG = Path(__file__).parent / "jupyter"


class KernelSiteConfig(base.Config):
    """The knobs a reader may turn (listed on the "Rebuild this site" page and by `make help`).
    Each has an environment variable that overrides it (see KernelSite.setting)."""

    cpu_limit = c.Type((int, float), default=runner.CPU_LIMIT)  # CPU seconds for one snippet
    wall_limit = c.Type((int, float), default=runner.WALL_LIMIT)  # wall seconds for one snippet
    jobs = c.Type(int, default=0)  # snippets run side by side; 0: one per core
    cache = c.Type(str, default=".cache")  # relative to mkdocs.yml's folder, or absolute
    math_font = c.Type(str, default=str(Path(sys.prefix) / "fonts" / mathfont.FONT_NAME))


def setting(options: KernelSiteConfig, name: str, kind: type):
    """Option ``name``, or the environment variable KERNELSITE_<NAME> when it is set (CI)."""
    variable = f"KERNELSITE_{name.upper()}"
    value = os.environ.get(variable, options[name])
    try:
        return kind(value)
    except ValueError:
        raise PluginError(f"{variable}={value!r} cannot be read as {kind.__name__}") from None


def options_of(root: Path) -> KernelSiteConfig:
    """The plugin's options as ``root/mkdocs.yml`` sets them (defaults for the others), read
    without loading the site's whole configuration (for the tools that read the build's cache)."""
    with open(root / "mkdocs.yml", encoding="utf-8") as file:
        plugins = yaml_load(file).get("plugins", [])
    entries = (p if isinstance(p, dict) else {p: {}} for p in plugins)
    given = next((e["kernelsite"] for e in entries if "kernelsite" in e), None) or {}
    options = KernelSiteConfig()
    options.load_dict(given)
    errors, _ = options.validate()
    if errors:
        name, error = errors[0]
        raise PluginError(f"{root / 'mkdocs.yml'}: kernelsite option {name!r}: {error}")
    return options


def cache_folder(root: Path, options: KernelSiteConfig | None = None) -> Path:
    """The build's cache folder: option ``cache`` (relative to ``root``, the folder of
    mkdocs.yml, or absolute), or KERNELSITE_CACHE when it is set."""
    return root / setting(options or options_of(root), "cache", str)


def cached_results(root: Path) -> dict[str, runner.Result]:
    """The snippet results the last build of the site in ``root`` stored in its cache (those of
    the snippets as they are now; a snippet changed since is missing)."""
    snippets = runner.discover(root / "snippets", runner.lock_salt(root))
    return runner.cached_results(snippets, cache_folder(root) / "snippets")


class KernelSite(BasePlugin[KernelSiteConfig]):
    # MkDocs keeps one instance for the whole process (it has on_startup): `mkdocs serve` builds
    # many times, so everything that may change between builds is set again by on_config.
    serving = False

    def on_startup(self, *, command, dirty):
        self.serving = command == "serve"
        if self.serving and not serve_log.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("ERROR   -  %(message)s"))
            serve_log.addHandler(handler)
            serve_log.propagate = False

    def fail(self, message: str) -> None:
        """A build error: abort the build, or, while serving, show it on every page."""
        if not self.serving:
            raise PluginError(message)
        serve_log.error(message)
        self.errors.append(message)

    def page_failed(self, page, error: ValueError) -> str:
        """An error in a page's HTML: fail the build, or, while serving, show it instead."""
        message = f"docs/{page.file.src_uri}: {error}"
        self.fail(message)
        return pagehtml.error_page([message])

    def setting(self, name: str, kind: type):
        return setting(self.config, name, kind)

    def on_config(self, config):
        root = Path(config.config_file_path).parent
        self.cpu_limit = self.setting("cpu_limit", float)
        self.wall_limit = self.setting("wall_limit", float)
        self.jobs = self.setting("jobs", int) or None
        self.cache = cache_folder(root, self.config)
        self.math_font = root / self.setting("math_font", str)
        self.errors: list[str] = []
        self.results: dict[str, runner.Result] = {}
        self.snippets = root / "snippets"
        self.salt = runner.lock_salt(root)
        self.pages = pagecache.PageCache(
            self.cache / "pages",
            [
                Path(config.config_file_path),
                *(root / "docs" / "includes").glob("*"),
                *Path(__file__).parent.glob("*.py"),
            ],
        )
        # Notebook kernels talk to the build over local sockets (see kernelsite/jupyter/).
        paths = [
            str(JUPYTER_CONFIG),
            *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(":")),
        ]
        os.environ["JUPYTER_CONFIG_PATH"] = ":".join(dict.fromkeys(paths))
        notebooks = config.plugins.get("mkdocs-jupyter")
        if notebooks is not None:
            # The kernels draw each figure as the snippets' figures are drawn (both palettes,
            # phone layouts): a change to that code, or to the pins, executes the notebooks again.
            os.environ["IPYTHONDIR"] = str(notebookfigures.ipython_dir(self.cache / "ipython"))
            figure_code = runner.fingerprint(
                runner.glue_files((*runner.GLUE, "notebookfigures")), self.salt
            )
            cache_dir = self.cache / "mkdocs-jupyter" / figure_code
            notebooks.config["cache_dir"] = str(cache_dir)
            drop_corrupt_notebook_cache(cache_dir)
            # mkdocs-jupyter evicts stale files in its folder; the folders of older figure code:
            runner.evict(cache_dir.parent, {figure_code})
        return config

    def on_files(self, files, config):
        self.reuse_search_entries(config)
        snippets = runner.discover(self.snippets, self.salt)
        embedded = self.validate(files, {s.id for s in snippets})
        try:
            self.results = self.run(snippets, files, config)
        except runner.SnippetError as error:
            report = []
            for failure in error.failures:
                where = ", ".join(embedded.get(failure.snippet.id, [])) or "no page"
                report.append(f"{failure} (embedded in {where})\n{failure.traceback}")
            self.fail("snippet failed:\n" + "\n".join(report))
            return files
        self.register(snippets, embedded, files, config)
        return files

    def reuse_search_entries(self, config) -> None:
        """Material's search: its entries for an unchanged page are reused."""
        search = config.plugins.get("material/search")
        if search is not None:
            index = search.search_index
            add_entry = index.add_entry_from_context
            index.add_entry_from_context = lambda page: pagecache.search_entries(
                self.pages, index, add_entry, page
            )

    def validate(self, files, known: set[str]) -> dict[str, list[str]]:
        """Where each snippet is embedded ("docs/<page>:<line>"); a page naming a snippet that
        does not exist fails the build."""
        embedded: dict[str, list[str]] = {}
        missing = []
        for page in files.documentation_pages():
            if not page.src_uri.endswith(".md"):
                continue
            for snippet_id, line in embed.references(Path(page.abs_src_path).read_text("utf-8")):
                where = f"docs/{page.src_uri}:{line}"
                if snippet_id not in known:
                    missing.append(f"{where}: no snippet snippets/{snippet_id}")
                places = embedded.setdefault(snippet_id, [])
                if where not in places:  # several directives on one line: one place
                    places.append(where)
        if missing:  # every missing snippet at once, not only the first
            self.fail("\n".join(dict.fromkeys(missing)))
        return embedded

    def run(self, snippets: list[runner.Snippet], files, config) -> dict[str, runner.Result]:
        """Every snippet's result (run, or from the cache), while the notebook pages execute."""
        executing = None
        notebooks = config.plugins.get("mkdocs-jupyter")
        if notebooks is not None:  # imported only here: it loads nbconvert
            from kernelsite import ahead

            executing = ahead.start(notebooks, files)
        try:
            return runner.run_all(
                snippets,
                self.cache / "snippets",
                jobs=self.jobs,
                cpu_limit=self.cpu_limit,
                wall_limit=self.wall_limit,
                log=log.info,
            )
        finally:
            if executing is not None:
                executing.join()  # the notebooks' pages are rendered next

    def register(self, snippets, embedded, files, config) -> None:
        """Report warnings and snippets no page embeds; add every result's files to the site."""
        runner.evict(self.cache / "snippets", {r.snippet.key for r in self.results.values()})
        imported = {p for s in snippets for p in s.helpers}
        for result in self.results.values():
            snippet = result.snippet
            for warning in result.warnings:
                if self.serving:
                    self.fail(f"snippets/{snippet.id} warned: {warning}")
                else:
                    log.warning(f"snippets/{snippet.id}: {warning}")
            if snippet.id not in embedded and snippet.path not in imported:
                log.warning(f"snippets/{snippet.id} is not embedded in any page")
            figures = [name for figure in result.figures for name in figure.names]
            names = [*figures, *result.downloads, *(f"files/{f}" for f in result.files)]
            for name in names:
                uri = paths.SnippetPaths(snippet.id).file(name)
                files.append(File.generated(config, uri, abs_src_path=str(result.folder / name)))

    def on_env(self, env, config, files):
        # Material's templates are compiled once, not on every build: Jinja keeps the compiled
        # code under a checksum of each template's source (written atomically, never corrupt).
        folder = self.cache / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = FileSystemBytecodeCache(str(folder))
        return env

    def on_pre_page(self, page, config, files):
        if page.file.src_uri.endswith(".md"):  # an unchanged page is not rendered again
            page.render = lambda config, files: pagecache.render(self.pages, page, config, files)
        return page

    def on_page_markdown(self, markdown, page, config, files):
        if self.errors:
            return pagehtml.error_page(self.errors)
        if not page.file.src_uri.endswith(".md"):
            return markdown
        try:
            return embed.render(
                markdown, page.file.src_uri, self.results, config.use_directory_urls
            )
        except embed.EmbedErrors as error:
            lines = [f"docs/{e}" for e in error.errors]
            self.fail("\n".join(lines))
            return pagehtml.error_page(lines)

    def on_page_content(self, html, page, config, files):
        try:
            if not page.file.src_uri.endswith(".md"):  # a notebook: its figures, before search
                site_dir, source = Path(config.site_dir), Path(page.file.abs_src_path)
                folder = paths.PagePaths(page.file.src_uri, config.use_directory_urls).url_folder
                html = notebook.figures(html, folder, site_dir, source, self.pages)
            # The page that defines the glossary's terms gets no tooltips (front matter
            # "tooltips: false"): there they would repeat the definition beside them.
            tooltips = page.meta.get("tooltips", True) is not False
            key = self.pages.key("content", html, str(tooltips))
            return self.pages.cached(key, lambda: pagehtml.finish_html(html, tooltips))
        except ValueError as error:  # MathError, NotebookError
            return self.page_failed(page, error)

    def on_post_page(self, output, page, config):
        output = pagehtml.name_search_dialog(output)
        if not page.file.src_uri.endswith(".md"):
            try:
                site_dir, source = Path(config.site_dir), Path(page.file.abs_src_path)
                folder = paths.PagePaths(page.file.src_uri, config.use_directory_urls).url_folder
                output = notebook.clean(output, folder, site_dir, source, self.pages)
            except ValueError as error:  # MathError, NotebookError
                return output.replace(page.content, self.page_failed(page, error), 1)
        font_url = get_relative_url(mathfont.SITE_PATH, page.url)
        output = pagehtml.preload_math_font(output, font_url)
        return pagehtml.preload_modules(output, page.url, Path(config.docs_dir))

    def on_post_template(self, output_content, template_name, config):
        if template_name == "404.html":
            return pagehtml.name_search_dialog(output_content)
        return output_content

    def on_post_build(self, config):
        if not self.errors:
            self.pages.evict()
        if not mathfont.characters(Path(config.site_dir)):
            return  # no maths on any page
        try:
            mathfont.publish(Path(config.site_dir), self.math_font, self.cache / "fonts")
        except mathfont.MathFontError as error:
            raise PluginError(str(error)) from None


def drop_corrupt_notebook_cache(folder: Path) -> None:
    """mkdocs-jupyter writes its cache files in place; one cut short by an interrupted build
    would fail every later build. Such a file is removed (the notebook is simply re-executed)."""
    for entry in folder.glob("*.json"):
        try:
            json.loads(entry.read_text(encoding="utf-8"))
        except ValueError:
            log.info(f"removing an incomplete mkdocs-jupyter cache file: {entry.name}")
            entry.unlink()
