"""The gates can fail: a tiny site with one bad page and one good page, no mkdocs needed.

The bad page breaks every gate once (external script, image without alt, missing image, low
contrast, an unnamed dialog, fine print, broken anchors, invalid HTML, console error, no palette
toggle, too heavy); each must be
reported with the page, the gate and the offending element or URL. The good page, a miniature of
what the site renders (including its palette toggle), must pass every gate, so the gates do not
simply always fail.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from matplotlib import image as mpimg

import gates

GOOD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Good page</title>
<link rel="icon" href="data:,">
<style>
  body { font-family: sans-serif; background: #fff; color: #222; }
  body[data-md-color-scheme="slate"] { background: #1e2129; color: #e4e6eb; }
  a { color: inherit; text-decoration: underline; }
</style>
</head>
<body data-md-color-scheme="default">
<header>
<button type="button" data-palette-shown="default" data-palette-next="slate">Dark</button>
<button type="button" data-palette-shown="slate" data-palette-next="default" hidden>Light</button>
</header>
<main>
<h1 id="results">Results</h1>
<figure>
<img src="plot.png" alt="Noise image: eight by eight grey squares of random brightness">
<figcaption>A figure that loads, with alt text.</figcaption>
</figure>
<p><a href="#results">Back to the results</a> or <a href="../bad/">the bad page</a>.</p>
</main>
<script>
  for (const button of document.querySelectorAll("[data-palette-next]")) {
    button.addEventListener("click", () => {
      document.body.dataset.mdColorScheme = button.dataset.paletteNext;
      for (const other of document.querySelectorAll("[data-palette-shown]"))
        other.hidden = other.dataset.paletteShown !== button.dataset.paletteNext;
    });
  }
</script>
</body>
</html>
"""

BAD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Bad page</title>
<link rel="icon" href="data:,">
<script src="https://cdn.example.com/widget.js"></script>
</head>
<body>
<main>
<h1>Bad</h1>
<p><img src="plot.png"></p>
<p><img src="missing.png" alt="Training loss falling over ten epochs"></p>
<p><img src="heavy.png" alt="fig1.png"></p>
<p style="color: #aaaaaa; background: #ffffff">Low contrast text nobody can read.</p>
<div role="dialog">A dialog without a name.</div>
<p style="font-size: 10px">Fine print: a paragraph set in ten-pixel type, longer than all the
other text of this page together, which nobody reads on a phone without zooming in first.
It goes on for another line or two, so that small text is most of what the page has to say.</p>
<pre><code><span style="color: #333">x = 1</span>
<span style="color: #bbbbbb">faint token</span></code></pre>
<p><a href="#nowhere">A broken anchor</a>, <a href="../good/#no-such-heading">a broken
anchor into another page</a>, <a href="../absent/">a missing page</a>.</p>
<div><span>Unclosed span</div></section>
</main>
<script>console.error("broken widget");</script>
</body>
</html>
"""


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("tiny_site")
    for name, html in (("good", GOOD), ("bad", BAD)):
        (site / name).mkdir()
        (site / name / "index.html").write_text(html, encoding="utf-8")
    rng = np.random.default_rng(0)
    mpimg.imsave(site / "good" / "plot.png", rng.random((8, 8)), cmap="gray")
    mpimg.imsave(site / "bad" / "plot.png", rng.random((8, 8)), cmap="gray")
    # Noise does not compress: this PNG alone is above the 400 KB page budget.
    mpimg.imsave(site / "bad" / "heavy.png", rng.random((300, 400, 3)))
    assert (site / "bad" / "heavy.png").stat().st_size > gates.WEIGHT_LIMIT
    return site


def found(problems: list[str], page: str, gate: str, *pieces: str) -> bool:
    return any(p.startswith(f"{page}: {gate}") and all(x in p for x in pieces) for p in problems)


BAD_PAGE = "bad/index.html"
CAUGHT = [  # (gate, pieces of the message naming the element or URL)
    ("external", ["https://cdn.example.com/widget.js"]),
    ("load", ["missing.png", "HTTP 404"]),
    ("console", ["broken widget"]),
    ("palette", ["palette", "0 visible palette toggles"]),
    ("axe[light] color-contrast", ["Low contrast text", "insufficient color contrast"]),
    ("axe[light] color-contrast", ["faint token", "insufficient color contrast"]),
    ("axe[light] image-alt", ['<img src="plot.png"']),
    ("axe[light] aria-dialog-name", ['role="dialog"']),
    ("legible", ["p (10.0 px)", f"under {gates.LEGIBLE_PX} px"]),
    ("figures", ['<img src="plot.png">', "no alt attribute"]),
    ("figures", ['<img src="missing.png"', "did not load"]),
    ("figures", ['<img src="heavy.png"', "file name"]),
]


def test_browser_gates_catch_the_bad_page_and_pass_the_good_one(tiny_site, subtests):
    """One browser session (a single test, so `pytest -n 2` does not start it twice)."""
    visits = {v.page: v for v in gates.visit_site(tiny_site, [BAD_PAGE, "good/index.html"])}
    problems = [p for ps in visits[BAD_PAGE].problems.values() for p in ps]
    for gate, pieces in CAUGHT:
        with subtests.test(msg=f"{gate}: {pieces[0]}"):
            assert found(problems, BAD_PAGE, gate, *pieces), "\n".join(problems)
    with subtests.test(msg="every message starts with the page"):
        assert all(p.startswith(f"{BAD_PAGE}: ") for p in problems)
    with subtests.test(msg="weight"):
        weights = gates.page_weights(tiny_site, {p: v.loaded for p, v in visits.items()})
        assert weights[BAD_PAGE] > gates.WEIGHT_LIMIT > weights["good/index.html"]
        heavy = gates.overweight(weights)
        assert len(heavy) == 1 and heavy[0].startswith(f"{BAD_PAGE}: weight: "), heavy
        assert BAD_PAGE in gates.heaviest_table(weights).splitlines()[1]
    with subtests.test(msg="the good page passes"):
        good = visits["good/index.html"]
        assert sorted(good.schemes) == ["dark", "light"]
        assert not any(good.problems.values()), good.problems


def test_static_external_reference_is_caught(tiny_site):
    problems = gates.external_references(tiny_site, ["bad/index.html", "good/index.html"])
    assert problems == [
        "bad/index.html: external: https://cdn.example.com/widget.js — referenced by "
        '<script src="https://cdn.example.com/widget.js">'
    ]


def test_broken_links_and_anchors_are_caught(tiny_site):
    problems = gates.broken_links(tiny_site, ["bad/index.html", "good/index.html"])
    assert found(problems, BAD_PAGE, "links", '<a href="#nowhere">', "no id 'nowhere'")
    assert found(problems, BAD_PAGE, "links", "../good/#no-such-heading", "good/index.html")
    assert found(problems, BAD_PAGE, "links", '<a href="../absent/">', "no file absent/index.html")
    assert found(problems, BAD_PAGE, "links", '<img src="missing.png">', "no file")
    assert len(problems) == 4, "\n".join(problems)


def test_invalid_html_is_caught_by_the_nu_checker(tiny_site):
    problems = gates.invalid_html(tiny_site, ["bad/index.html", "good/index.html"])
    assert found(problems, BAD_PAGE, "html", "section", "Stray end tag")
    assert found(problems, BAD_PAGE, "html", "img", "alt")
    assert not [p for p in problems if p.startswith("good/")], "\n".join(problems)


def test_build_differences_ignore_only_the_build_date(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for site, date, page, mtime in (
        (a, "2024-01-01", "<p>1</p>", 1),
        (b, "2024-01-02", "<p>2</p>", 2),
    ):
        site.mkdir()
        sitemap = f"<urlset><url><loc>x</loc><lastmod>{date}</lastmod></url></urlset>".encode()
        (site / "sitemap.xml").write_bytes(sitemap)
        (site / "sitemap.xml.gz").write_bytes(gzip.compress(sitemap, mtime=mtime))
        (site / "index.html").write_text(page)
    (b / "extra.svg").write_text("<svg/>")
    problems = gates.build_differences(a, b)
    assert problems == [
        "extra.svg: determinism: extra.svg — only in the second build",
        "index.html: determinism: index.html — line 1: '<p>1</p>' != '<p>2</p>'",
    ]


@pytest.mark.parametrize(
    ("alt", "src", "why"),
    [
        (None, "a.png", "no alt attribute"),
        ("  ", "a.png", "empty"),
        ("fig1.png", "snippets/x/fig1.png", "file name"),
        ("fig1.svg", "other.svg", "file name"),
        ("Figure 2", "a.png", "file name"),
        ("image", "a.png", "says nothing"),
        ("No description has been provided for this image", "a.png", "says nothing"),
        ("Sobel kernel applied to the camera image: edges light up", "a.png", ""),
    ],
)
def test_alt_text_must_describe_the_picture(alt, src, why):
    result = gates.alt_problem(alt, src)
    assert (why in result) if why else result == ""
