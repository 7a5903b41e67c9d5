"""Execute the notebook pages while the snippets run, instead of after them.

mkdocs-jupyter executes a notebook page when MkDocs renders it, which comes after every snippet
has run, so on a cold build the two notebooks wait for all the snippets and then run alone. Here
they are executed in a background thread as soon as the file list is known, with the plugin's
own converter and settings, and the result is written to the plugin's own cache, where its page
rendering finds it. A notebook that fails here is simply not cached: the plugin executes it
again when it renders the page and reports the error there, as it always did.
"""

from __future__ import annotations

import json
import logging
import pathlib
import threading

from mkdocs_jupyter import convert, plugin

log = logging.getLogger("mkdocs.plugins.kernelsite")


def _execute(notebooks: plugin.Plugin, path: str, cache_path: pathlib.Path) -> None:
    """What mkdocs-jupyter does for a page on a cache miss (plugin.on_pre_page's new_render)."""
    options = notebooks.config
    body = convert.nb2html(
        path,
        execute=True,
        kernel_name=options["kernel_name"],
        theme=options["theme"],
        allow_errors=options["allow_errors"],
        show_input=options["show_input"],
        no_input=options["no_input"],
        no_prompt=options["no_prompt"],
        remove_tag_config=options["remove_tag_config"],
        highlight_extra_classes=options["highlight_extra_classes"],
        include_requirejs=options["include_requirejs"],
        custom_mathjax_url=options["custom_mathjax_url"],
    )
    toc_tokens, title = plugin._get_nb_toc_tokens(path, options["toc_depth"])
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache_path.with_suffix(".tmp")
    temporary.write_text(
        json.dumps({"content": body, "toc_tokens": toc_tokens, "title": title}), encoding="utf-8"
    )
    temporary.replace(cache_path)


def start(notebooks: plugin.Plugin, files) -> threading.Thread | None:
    """Start executing, one after the other, the notebook pages not in the plugin's cache."""
    options = notebooks.config
    if not (options["execute"] and options["cache"]) or options["execute_ignore"]:
        return None  # settings this shortcut does not reproduce: the plugin does it all
    todo = []
    for file in files.documentation_pages():
        if isinstance(file, plugin.NotebookFile):  # the plugin's on_files marked it as one
            key = plugin._compute_cache_key(file.abs_src_path, options, True)
            cache_path = plugin._get_cache_path(options["cache_dir"], key)
            if not cache_path.exists():
                todo.append((file.abs_src_path, cache_path))
    if not todo:
        return None

    def work() -> None:
        for path, cache_path in todo:
            log.info(f"executing {pathlib.Path(path).name} beside the snippets")
            try:
                _execute(notebooks, path, cache_path)
            except Exception:  # noqa: BLE001 - the plugin re-executes it and reports the error
                log.info(f"{pathlib.Path(path).name} failed here; the page build will report it")

    thread = threading.Thread(target=work, name="notebooks-ahead", daemon=True)
    thread.start()
    return thread
