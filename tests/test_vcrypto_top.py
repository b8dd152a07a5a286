"""Accelerator top regression on Verilator (cocotb tests in tests/tb/vcrypto_top_tb.py)."""
from sim.cocotb_run import assert_all_passed, run_cocotb


def test_vcrypto_top():
    assert_all_passed(run_cocotb("vcrypto_top", "tb.vcrypto_top_tb", "verilator"))
