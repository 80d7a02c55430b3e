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
	mkdir -p out
	$(WAM) wavelet decompose Samples/arrays/chirp.npy --wavelet db4 --mode symmetric --out out/chirp-db4.npz
	$(WAM) wavelet reconstruct out/chirp-db4.npz --wavelet db4 --mode symmetric --out out/chirp-rebuilt.npy

# Benchmarks (release build); see Benchmarks/README.md.
bench: setup
	$(SWIFT) run -c release wam bench wavelets

# Regenerate the reference fixtures and generated tables (needs the Python packages of Tools/requirements.txt).
fixtures:
	$(PYTHON) Tools/make_wavelet_tables.py > Sources/Wavelets/FilterTables.swift
	$(PYTHON) Tools/make_wavelet_fixtures.py
