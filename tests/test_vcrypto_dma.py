"""The DMA engines alone on Verilator (cocotb tests in tests/tb/vcrypto_dma_rd_tb.py and
vcrypto_dma_wr_tb.py): addresses over the whole 64-bit space, lengths to 4 GiB - 1, AXI
errors and stalls the accelerator top cannot produce. `make coverage` runs them for the DMA
engines' coverage targets (rtl/coverage/README.md)."""
import pytest

from sim.cocotb_run import assert_all_passed, run_cocotb


@pytest.mark.parametrize("top", ["vcrypto_dma_rd", "vcrypto_dma_wr"])
def test_vcrypto_dma(top):
    assert_all_passed(run_cocotb(top, f"tb.{top}_tb", "verilator"))
