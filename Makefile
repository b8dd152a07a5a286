# vcrypto front door. Every target installs what it needs first (sim/setup.sh, idempotent).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)
# pytest workers: the suite is a handful of long simulator runs; two cores -> two workers.
JOBS ?= 2

SOAK_SOFT ?= 1000000
SOAK_RTL ?= 100000

.PHONY: help setup test coverage soak fuzz lint formal synth bench-rtl bench-accel bench-device bench-qemu bench run workload guest abi clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: ## install the toolchain: Debian packages + .venv with pinned Python packages
	@bash sim/setup.sh

test: setup ## the whole suite: RTL (Verilator+Icarus), accelerator, device, vhost-user, QEMU guests, lint; fails on any failure
	$(PY) -m pytest -n $(JOBS) --dist loadgroup tests

coverage: setup ## Verilator line+toggle coverage of rtl/ over the cocotb regression: per-module table, build/coverage/ (summary.json, annotated/); COVERAGE_TOPS=vcrypto_csr,vcrypto_dma_rd,... runs only those tops' tests
	$(PY) sim/coverage.py run --jobs $(JOBS) --tops "$(COVERAGE_TOPS)"

soak: setup ## long soak + reconciliation: SOAK_SOFT=1000000 requests on soft, SOAK_RTL=100000 on rtl (with and without accelerator kills)
	$(VENV)/bin/vcrypto soak --datapath soft --requests $(SOAK_SOFT)
	$(VENV)/bin/vcrypto soak --datapath rtl --requests $(SOAK_RTL)
	$(VENV)/bin/vcrypto soak --datapath rtl --requests $(SOAK_RTL) --kill-every 10000

FUZZ_CASES ?= 2000
fuzz: setup ## hostile-input fuzzing: the properties of tests/test_hostile_input.py, FUZZ_CASES=2000 each, new seed; then the device's again with the native lane built with AddressSanitizer
	VCRYPTO_FUZZ_CASES=$(FUZZ_CASES) nice $(PY) -m pytest -n $(JOBS) -q -p no:cacheprovider tests/test_hostile_input.py -k property
	VCRYPTO_FUZZ_CASES=$(FUZZ_CASES) VCRYPTO_LANE_CFLAGS="-fsanitize=address -fno-omit-frame-pointer -g" \
	    LD_PRELOAD=$$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 \
	    nice $(PY) -m pytest -n $(JOBS) -q -p no:cacheprovider tests/test_hostile_input.py -k "property and not rtl"

lint: setup ## Verilator -Wall lint of every RTL top level
	$(PY) rtl/lint/lint.py

formal: setup ## SymbiYosys proofs (yowasp-sby, Yices) of the DMA, CSR, queue-engine and AES-GCM-unit properties + mutation checks; table
	$(PY) rtl/formal/run_formal.py

synth: setup ## yosys + nextpnr: LUT/FF/BRAM and Fmax of AES, SHA-2 and the top on iCE40 HX8K / ECP5-85F (SYNTH_ARGS=)
	$(PY) rtl/synth/synth.py $(SYNTH_ARGS)

bench-rtl: setup ## clocks per block of each engine/mode/key size -> build/bench/rtl.json
	$(PY) sim/bench_rtl.py

bench-accel: setup ## accelerator process: sim speed, cycles per 4 KiB request, requests/s -> build/bench/accel.json
	$(PY) sim/bench_accel.py

bench-device: setup ## the whole device on both datapaths: req/s, MB/s, rtl_efficiency, stateless vs session, soft in process vs main at 0bce809 -> build/bench/device.json
	$(PY) sim/bench_device.py

bench-qemu: setup ## AF_ALG cbc(aes) in the guest: QEMU builtin vs vcrypto soft vs vcrypto rtl; soft backend CPU vs main at 0bce809; wakeup floor and a Python backend's floor -> build/bench/qemu.json
	$(PY) sim/bench_qemu.py

bench: bench-rtl bench-accel bench-device bench-qemu ## all benchmarks, then the measured tables of README.md and sim/README.md and the PNG plots of docs/plots/ from build/bench/*.json
	$(PY) sim/bench_tables.py
	$(PY) sim/bench_plots.py

run: setup ## the showcase: a Linux guest in QEMU whose virtio-crypto requests are served by the RTL
	$(VENV)/bin/vcrypto guest --datapath rtl

SECONDS ?= 10
workload: setup ## the in-process device workload on the RTL datapath (vcrypto run; SECONDS=10)
	$(VENV)/bin/vcrypto run --datapath rtl --seconds $(SECONDS)

guest: setup ## boot the Linux test guest against a backend: DATAPATH=rtl|soft|builtin|absent
	$(VENV)/bin/vcrypto guest --datapath $(or $(DATAPATH),rtl)

abi: setup ## regenerate the register block, C headers, Python and Markdown from firmware/abi.toml and rtl/top/vcrypto_csr.rdl (PeakRDL)
	$(PY) firmware/gen_csr.py
	$(PY) firmware/gen_abi.py

clean: ## remove build outputs (keeps .venv)
	rm -rf build sim_build results.xml
