"""The shared DMA (cocotb tests in tests/tb/vcrypto_dma_arb_tb.py), three clients each way, on Verilator."""
from sim.cocotb_run import assert_all_passed, run_cocotb


def test_vcrypto_dma_arb():
    assert_all_passed(run_cocotb("vcrypto_dma_arb", "tb.vcrypto_dma_arb_tb", "verilator",
                                 parameters={"NRC": 3, "NWC": 3}))
