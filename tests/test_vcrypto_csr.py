"""The register block alone on Verilator (cocotb tests in tests/tb/vcrypto_csr_tb.py): every
register, strobes, ring indices, interrupts, counters, SCRUB, and AXI4-Lite traffic with
backpressure. `make coverage` runs it for the register block's coverage target
(rtl/coverage/README.md).

The same tests run on the view the accelerator process builds (+define+VCRYPTO_CSR_CLOCK_GATE:
the generated block's clock gated while it is idle; rtl/README.md, "Views"), so that view
answers every access, counter and interrupt on the same clock as the synthesised one."""
import pytest

from sim.cocotb_run import assert_all_passed, run_cocotb


@pytest.mark.parametrize("view", ["as_synthesised", "csr_clock_gate"])
def test_vcrypto_csr(view):
    defines = ("VCRYPTO_CSR_CLOCK_GATE",) if view == "csr_clock_gate" else ()
    assert_all_passed(run_cocotb("vcrypto_csr", "tb.vcrypto_csr_tb", "verilator", defines=defines))
