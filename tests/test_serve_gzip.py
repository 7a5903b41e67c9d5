"""The measuring server (``kernelsite.serve_gzip``): gzip when asked, the file as it is otherwise,
and nothing from outside the site folder."""

from __future__ import annotations

import gzip
import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kernelsite.serve_gzip import serve

PAGE = "<!doctype html><title>t</title>" + "<p>kernel</p>" * 200


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("served")
    (root / "secret.txt").write_text("outside the site")
    site = root / "site"
    (site / "page").mkdir(parents=True)
    (site / "page" / "index.html").write_text(PAGE)
    (site / "figure.png").write_bytes(b"\x89PNG" + bytes(range(256)) * 4)
    (site / "leak.txt").symlink_to(root / "secret.txt")
    return site


def get(site: Path, path: str, encoding: str | None) -> http.client.HTTPResponse:
    with serve(site) as base:
        connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
        connection.request("GET", path, headers={"Accept-Encoding": encoding} if encoding else {})
        response = connection.getresponse()
        response.body = response.read()
        connection.close()
        return response


def test_text_is_gzipped_when_asked(site):
    response = get(site, "/page/", "gzip, deflate, br")
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(response.body).decode() == PAGE
    assert int(response.getheader("Content-Length")) == len(response.body) < len(PAGE) / 5


def test_text_is_sent_as_it_is_otherwise(site):
    response = get(site, "/page/index.html", None)
    assert response.getheader("Content-Encoding") is None
    assert response.body.decode() == PAGE


def test_images_are_never_gzipped(site):
    response = get(site, "/figure.png", "gzip")
    assert response.getheader("Content-Encoding") is None
    assert response.body == (site / "figure.png").read_bytes()


def test_a_folder_without_its_slash_is_redirected(site):
    response = get(site, "/page", "gzip")
    assert (response.status, response.getheader("Location")) == (301, "/page/")


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/leak.txt", "/nothing"])
def test_nothing_outside_the_site_is_served(site, path):
    response = get(site, path, "gzip")
    assert response.status == 404
    assert b"outside the site" not in response.body
