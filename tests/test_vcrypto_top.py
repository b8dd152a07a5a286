"""Accelerator top regression on Verilator (cocotb tests in tests/tb/vcrypto_top_tb.py), built
with 1, 2 and 4 crypto lanes: the full regression at the default (the top core's LANES), a
shorter one (fewer random requests, without the lane-independent 4096-entry ring test) at the
others."""
import pytest

from rtl.filelists import core
from sim.cocotb_run import assert_all_passed, run_cocotb

DEFAULT_LANES = core("vcrypto_top").data["parameters"]["LANES"]["default"]
SHORT = dict(extra_env={"VCRYPTO_TOP_RANDOM": "300"})
SKIP_SHORT = {"largest_rings_past_index_2048"}


def _tests() -> list[str]:
    """The testbench's tests, without those marked `skip=` (cocotb runs a test it is given by
    name even when it is marked skip: the bench-only throughput test once ran for tens of
    minutes in the short regressions)."""
    import ast
    from sim.cocotb_run import ROOT
    tree = ast.parse((ROOT / "tests" / "tb" / "vcrypto_top_tb.py").read_text())
    return [f.name for f in tree.body if isinstance(f, ast.AsyncFunctionDef)
            and any(getattr(getattr(d, "func", None), "attr", "") == "test"
                    and not any(k.arg == "skip" for k in getattr(d, "keywords", ())) for d in f.decorator_list)]


def test_regression_short_regression_leaves_out_tests_marked_skip():
    names = _tests()
    assert "every_operation_directed" in names and "lanes_serve_in_parallel" in names
    assert "throughput_at_steady_state" not in names


@pytest.mark.parametrize("lanes", [1, 2, 4])
def test_vcrypto_top(lanes):
    if lanes == DEFAULT_LANES:
        res = run_cocotb("vcrypto_top", "tb.vcrypto_top_tb", "verilator", parameters={"LANES": lanes})
    else:
        res = run_cocotb("vcrypto_top", "tb.vcrypto_top_tb", "verilator", parameters={"LANES": lanes},
                         testcase=[t for t in _tests() if t not in SKIP_SHORT], **SHORT)
    assert_all_passed(res)
