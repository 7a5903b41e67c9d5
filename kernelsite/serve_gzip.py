"""Serve a built site on 127.0.0.1 as a static host does: text gzipped when the browser asks.

Python's ``http.server`` sends every file as it is, so a page measured through it weighs several
times what a reader downloads from any static host. This server compresses text files (level 6,
like nginx and Apache) for a request with ``Accept-Encoding: gzip``, sends the file as it is
otherwise, and never serves anything outside the site folder (symbolic links included).

``python -m kernelsite.serve_gzip [site] [port]`` serves until interrupted.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import io
import mimetypes
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

COMPRESSIBLE = {  # file suffixes a static host sends gzipped
    *(".html", ".css", ".js", ".mjs", ".json", ".svg", ".xml", ".txt", ".map"),
    *(".py", ".ipynb", ".md", ".csv"),
}


def gzipped(path: Path) -> bool:
    return path.suffix.lower() in COMPRESSIBLE


def transfer(path: Path) -> bytes:
    """The bytes a static host sends for ``path`` to a browser that accepts gzip."""
    data = path.read_bytes()
    return gzip.compress(data, compresslevel=6, mtime=0) if gzipped(path) else data


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def handle(self) -> None:
        # A browser may drop a request it no longer needs (Lighthouse does, between its passes).
        with contextlib.suppress(ConnectionError):
            super().handle()

    def send_head(self) -> io.BytesIO | None:
        root = Path(self.directory).resolve()
        url_path = urlsplit(self.path).path
        path = Path(self.translate_path(self.path)).resolve()
        if not path.is_relative_to(root):
            self.send_error(404)
            return None
        if path.is_dir():
            if not url_path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", url_path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404)
            return None
        encode = gzipped(path) and "gzip" in self.headers.get("Accept-Encoding", "")
        body = transfer(path) if encode else path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        if encode:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve(site_dir: Path, port: int = 0) -> Iterator[str]:
    """Serve ``site_dir`` on ``port`` (0: a free one) of 127.0.0.1; yields the base URL."""
    handler = partial(GzipHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str]) -> None:
    site = Path(argv[0] if argv else "site")
    with serve(site, int(argv[1]) if len(argv) > 1 else 8000) as base:
        print(f"serving {site}/ gzipped at {base} (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
