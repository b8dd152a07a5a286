"""The DMA clients' FIFO alone (cocotb tests in tests/tb/vcrypto_fifo_tb.py): the smallest
depth and the arbiter's client-0 depth, on Verilator (as the arbiter: Icarus does not take the
elaboration-time parameter check)."""
import pytest

from sim.cocotb_run import assert_all_passed, run_cocotb


@pytest.mark.parametrize("depth", [2, 16])
def test_vcrypto_fifo(depth):
    assert_all_passed(run_cocotb("vcrypto_fifo", "tb.vcrypto_fifo_tb", "verilator", parameters={"DEPTH": depth}))
