# Entry points; the README's two commands are `make demo` and `make test`.
SWIFT ?= swift
PYTHON ?= python3
WAM = .build/release/wam

# What `make build` builds and `make install` installs: release, or debug (CI's live systemd check
# installs the debug binaries `make test` has just built instead of building release ones).
CONFIGURATION ?= release

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= /etc/systemd/system

.PHONY: setup build build-wam test demo bench generate install check-systemd check-systemd-live check-slurm check-kubernetes check-api check-training fuzz format check-format check-generated

setup:
	bash Tools/setup-system.sh

build-wam: setup
	$(SWIFT) build -c release --product wam

build: setup
	$(SWIFT) build -c $(CONFIGURATION) --product wam
	$(SWIFT) build -c $(CONFIGURATION) --product wamd

# SLURM=1 also runs the Slurm recipe on a real single-node cluster (check-slurm; root, apt-get).
test: setup
	$(SWIFT) test
	if [ -n "$(SLURM)" ]; then bash Tools/check-slurm.sh; fi

# The Swift sources swift-format (from the toolchain, settings in .swift-format) keeps in shape:
# all but the generated ones, which stay as their generators write them.
FORMATTED = $(shell git ls-files '*.swift' | grep -v -e '/Generated/' -e 'FilterTables.swift' -e 'FontTable.swift')
format:
	@echo "swift format format --in-place (every Swift file but the generated ones)"
	@$(SWIFT) format format --parallel --in-place $(FORMATTED)
# CI: fails, naming file and line, on anything `make format` would change.
check-format:
	@echo "swift format lint --strict (every Swift file but the generated ones)"
	@$(SWIFT) format lint --strict --parallel $(FORMATTED)

# Coverage-guided fuzzing of the parsers (Fuzz/README.md): builds Fuzz/ with libFuzzer and
# AddressSanitizer, then runs every target FUZZ_SECONDS (default 30) seconds; fails on a crash.
FUZZ_SECONDS ?= 30
fuzz: setup
	bash Tools/fuzz.sh $(FUZZ_SECONDS)

# The unit passes `systemd-analyze verify` and rates 2.0 or lower in `systemd-analyze security`.
check-systemd:
	$(SWIFT) build --product wamd
	bash Tools/check-systemd.sh .build/debug/wamd

# The unit under a real systemd 252 booted in systemd-nspawn: start, spool, disk budget, watchdog,
# reload, stop, journal, live view, /healthz. Needs root; installs debootstrap and
# systemd-container, caches a Debian root in /var/cache/wam-check-systemd, builds release binaries
# (`make install DESTDIR=`). WAM_LIVE_PREBUILT=1 installs the built ones instead.
check-systemd-live:
	bash Tools/check-systemd-live.sh

# Deploy/slurm/wam-array.sbatch on a real single-node Slurm (slurm-wlm, munge; as root): an array of
# 4 equals one process, and a cancelled task's array resubmitted redoes nothing complete.
check-slurm:
	bash Tools/check-slurm.sh

# Deploy/kubernetes/wam-indexed-job.yaml: the fields the index contract needs, and its command run
# once per JOB_COMPLETION_INDEX here, merged and compared with one process (python3-yaml).
check-kubernetes:
	python3 -c 'import yaml' 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-yaml >/dev/null
	python3 Tools/check-kubernetes.py

# Property-based tests of the live view's HTTP API against Docs/openapi.yaml with schemathesis
# (pinned in Tools/requirements-api.txt, in a virtual environment cached in
# /var/cache/wam-check-api): the debug wamd on a free loopback port, fed a sample through a spool
# folder, then generated requests to every operation, bounded and deterministic (~2 min).
check-api:
	$(SWIFT) build --product wamd
	bash Tools/check-api.sh .build/debug/wamd

# wamtrain (Training/): trains on sounds the tests generate, then loads, explains and evaluates the
# model with the debug wam and runs it in the debug wamd; every dataset mistake is a clear error.
# Pinned packages of Training/requirements.txt in a virtual environment cached in
# /var/cache/wam-check-training.
check-training:
	$(SWIFT) build --product wam
	$(SWIFT) build --product wamd
	bash Training/tests/run.sh .build/debug/wam

# Installs wam and wamd, the bundled models, the unit and (unless present) the configuration.
# Then: systemctl daemon-reload && systemctl enable --now wamd
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/wam/models $(DESTDIR)$(PREFIX)/share/doc/wam \
		$(DESTDIR)$(SYSCONFDIR)/wamd $(DESTDIR)$(UNITDIR)
	install -m 755 .build/$(CONFIGURATION)/wam .build/$(CONFIGURATION)/wamd $(DESTDIR)$(PREFIX)/bin/
	install -m 644 Samples/models/*.onnx Samples/models/*.labels.json $(DESTDIR)$(PREFIX)/share/wam/models/
	install -m 644 README.md Docs/METHOD.md $(DESTDIR)$(PREFIX)/share/doc/wam/
	sed "s|/usr/local|$(PREFIX)|g" Systemd/wamd.service > $(DESTDIR)$(UNITDIR)/wamd.service
	test -e $(DESTDIR)$(SYSCONFDIR)/wamd/wamd.toml || \
		sed "s|/usr/local/share/wam|$(PREFIX)/share/wam|" Systemd/wamd.toml > $(DESTDIR)$(SYSCONFDIR)/wamd/wamd.toml
	for part in http mqtt; do \
		if awk -v want="[$$part]" '/^[[:space:]]*\[/ { here = ($$1 == want) } here && /^[[:space:]]*enabled[[:space:]]*=[[:space:]]*true/ { on = 1 } END { exit !on }' \
			$(DESTDIR)$(SYSCONFDIR)/wamd/wamd.toml; then \
			install -d $(DESTDIR)$(UNITDIR)/wamd.service.d && \
			install -m 644 Systemd/wamd-$$part.conf $(DESTDIR)$(UNITDIR)/wamd.service.d/$$part.conf; fi; done
	@echo "Installed. Start with: systemctl daemon-reload && systemctl enable --now wamd"

demo: build-wam
	$(WAM) explain Samples/audio/piano-0dB.wav --model Samples/models/audio-resnet-noisy.onnx --steps auto --out out/demo

# Benchmarks next to their references (release build, Python references in a cached venv); see
# Benchmarks/README.md. BENCH=daemon or defaults (or any one) picks another.
BENCH ?= quick
bench: setup
	bash Benchmarks/run.sh $(BENCH)

# The committed generated files (filter and font tables, wavelet fixtures, sample arrays) are
# what their pinned generators produce (Tools/requirements-generate.txt, cached venv).
check-generated:
	bash Tools/check-generated.sh

# Regenerate every generated file but the samples (needs the Python packages of Tools/requirements.txt,
# the font of fonts-dejavu-core, and protoc for onnx.pb.swift); `make check-generated` checks the
# light ones in CI. The samples (dataset, models, attribution fixtures): bash Tools/samples/make_all.sh.
generate:
	$(PYTHON) Tools/make_wavelet_tables.py > Sources/Wavelets/FilterTables.swift
	$(PYTHON) Tools/make_font_table.py > Sources/Rendering/FontTable.swift
	$(PYTHON) Tools/make_wavelet_fixtures.py
	$(PYTHON) Tools/make_sample_arrays.py
	$(PYTHON) Tools/make_engine_fixtures.py
	PYTHON=$(PYTHON) bash Tools/make_onnx_swift.sh
