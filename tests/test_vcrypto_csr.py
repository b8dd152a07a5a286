"""The register block alone on Verilator (cocotb tests in tests/tb/vcrypto_csr_tb.py): every
register, strobes, ring indices, interrupts, counters, SCRUB, and AXI4-Lite traffic with
backpressure. `make coverage` runs it for the register block's coverage target
(rtl/coverage/README.md)."""
from sim.cocotb_run import assert_all_passed, run_cocotb


def test_vcrypto_csr():
    assert_all_passed(run_cocotb("vcrypto_csr", "tb.vcrypto_csr_tb", "verilator"))
