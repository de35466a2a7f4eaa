# Two commands do everything on a fresh machine with Python 3.11:
#   make book   venv + install + execute every notebook at SCALE (default: book) + build the HTML
#   make test   venv + install + unit tests + the whole book at the smoke scale + notebook/HTML checks
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SCALE  ?= book
SMOKE_BOOK := .smoke-book

.PHONY: install book test clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e ".[book,test]"
	touch $@

install: $(VENV)/.installed

book: install
	$(PY) -m cosmotransfer.cli book --scale $(SCALE)

test: install
	rm -rf $(SMOKE_BOOK)
	$(PY) -m cosmotransfer.cli book --scale smoke --out $(SMOKE_BOOK)
	COSMOTRANSFER_BOOK_DIR=$(SMOKE_BOOK) $(PY) -m pytest -m "not slow" --durations=15 tests

clean:
	rm -rf _build $(SMOKE_BOOK) book/*.ipynb
