"""`make lint` is part of `make test`: every RTL top level is Verilator -Wall clean, so is each
simulation-only view with its define, and yosys infers no latch in any top level (the latch
of the clock gate cell, rtl/common/vcrypto_clock_gate.sv, is in a simulation view, never
synthesised)."""
import importlib.util
import re
import shutil
import subprocess

import pytest

from rtl.filelists import ROOT, rtl_sources

# rtl/ holds no Python package; load the lint script by path.
_spec = importlib.util.spec_from_file_location("rtl_lint", ROOT / "rtl" / "lint" / "lint.py")
_lint = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_lint)
lint, tops, SIM_VIEWS = _lint.lint, _lint.tops, _lint.SIM_VIEWS


def test_there_are_tops():
    assert {"aes_engine", "sha256_engine"} <= set(tops())


@pytest.mark.parametrize("top", tops())
def test_verilator_lint_clean(top):
    ok, out = lint(top)
    assert ok, out


@pytest.mark.parametrize("top,defines", SIM_VIEWS)
def test_verilator_lint_clean_simulation_views(top, defines):
    ok, out = lint(top, defines)
    assert ok, out


@pytest.mark.parametrize("top", tops())
def test_yosys_no_latches(top):
    yosys = shutil.which("yosys")
    assert yosys, "yosys not installed (make setup installs it)"
    files = " ".join(str(p) for p in rtl_sources(top))
    script = f"read_verilog -sv {files}; synth -top {top} -run begin:fine; select -assert-none t:$dlatch t:$adlatch t:$sr"
    r = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert not re.search(r"[Ll]atch inferred", r.stdout + r.stderr)
