# Two commands on a fresh Debian/Ubuntu machine with Python 3.11+ and make:
#   make run    venv + deps, embedded Redis in ./data, demo broadcast, URLs printed
#   make test   the same plus browser system packages, then lint and pytest
# CI runs exactly `make test` (.ci/run).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-installs when pyproject.toml changes.
STAMP := $(VENV)/.installed
# make run creates a demo broadcast and prints its URLs; DEMO=0 make run to skip.
DEMO ?= 1
# Extra pytest arguments, e.g. make pytest PYTEST_ARGS='-k embedded -x'.
PYTEST_ARGS ?=
# The order of the tests: "file" (make test and CI: the same order every run)
# or "random" (pytest-randomly, its seed printed; make pytest ORDER=random).
# Both must pass; the file order keeps CI's result a function of the code.
ORDER ?= file
ORDER_ARGS := $(if $(filter random,$(ORDER)),-p randomly,-p no:randomly)
# bench/ is linted once it exists.
LINT_DIRS := $(wildcard server tests bench)
FORMAT_DIRS := $(wildcard server tests)

.PHONY: venv run test system-deps lint pytest node-test bench docs-images clean contract

venv: $(STAMP)

$(STAMP): pyproject.toml
	@# A venv left without pip (Debian without python3-venv) is made again.
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { \
		rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV) || { \
			echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv" >&2; \
			rm -rf $(VENV); exit 1; }; }
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $@

run: $(STAMP)
	DEMO=$(DEMO) $(BIN)/python -m server run

test: system-deps $(STAMP) node-test
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory pytest

# Debian's chromium and CJK fonts for the browser tests (FINDINGS), and nginx for
# the test of deploy/nginx.conf. Never fails: without them those tests skip.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing=" chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	note="note: missing$$missing; browser and nginx tests will be skipped"; \
	if ! command -v apt-get >/dev/null 2>&1; then echo "$$note (no apt-get)"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "$$note (not root, no passwordless sudo)"; exit 0; fi; \
	echo "installing$$missing for the browser and nginx tests"; \
	{ $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$$missing; } || echo "$$note (apt-get failed)"

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(FORMAT_DIRS)
	$(BIN)/mypy server

pytest: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(ORDER_ARGS) $(PYTEST_ARGS)

# The front end's pure modules (static/js) under node's own test runner: no npm.
node-test:
	@if command -v node >/dev/null 2>&1; then node --test tests/js/; \
	else echo "note: node not found; skipping the JavaScript tests (tests/js)"; fi

bench: $(STAMP)
	$(BIN)/python -m bench

# The pictures of docs/img. Only this target writes tracked files: every other
# run of the browser tests draws into a temp dir. The pictures come from the
# browser tests marked docs_image (tests/browser/conftest.py docs_image()) and
# the report drawn from a scripted show (tests/browser/report_image.py).
docs-images: system-deps $(STAMP)
	XS_DOCS_IMAGES=1 $(BIN)/python -m pytest -q -p no:cacheprovider -m docs_image tests/browser
	$(BIN)/python -m tests.browser.report_image

# Keeps ./data: it holds the embedded Redis's AOF (the broadcasts and accounts).
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
	find . -path ./data -prune -o -path ./.git -prune -o \
		-name __pycache__ -type d -prune -exec rm -rf {} +

# The browser's copy of the wire constants (static/js/shared/contract.js).
contract: $(STAMP)
	$(BIN)/python -m server.contract
