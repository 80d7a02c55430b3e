# Entry points; the README's two commands are `make demo` and `make test`.
SWIFT ?= swift
PYTHON ?= python3
WAM = .build/release/wam

.PHONY: setup build test demo bench fixtures

setup:
	bash Tools/setup-system.sh

build: setup
	$(SWIFT) build -c release --product wam

test: setup
	$(SWIFT) test

demo: build
	$(WAM) explain Samples/audio/piano-0dB.wav --steps auto --out out/demo

# Benchmarks (release build); see Benchmarks/README.md.
bench: build
	$(WAM) bench wavelets
	$(WAM) bench attribution
	$(WAM) bench integration

# Regenerate the reference fixtures and generated tables (needs the Python packages of Tools/requirements.txt).
fixtures:
	$(PYTHON) Tools/make_wavelet_tables.py > Sources/Wavelets/FilterTables.swift
	$(PYTHON) Tools/make_wavelet_fixtures.py
