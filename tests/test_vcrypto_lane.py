"""One crypto lane on its own (cocotb tests in tests/tb/vcrypto_lane_tb.py), on Verilator."""
from sim.cocotb_run import assert_all_passed, run_cocotb


def test_vcrypto_lane():
    assert_all_passed(run_cocotb("vcrypto_lane", "tb.vcrypto_lane_tb", "verilator", parameters={"QW": 4}))
