"""AES-GCM unit regression on both simulators (cocotb tests in tests/tb/aes_gcm_tb.py: CAVP
encryption and decryption records with their FAIL cases, random differential against
`cryptography`'s AESGCM, inc32 wrap, block rate, bad requests, wipe)."""
import pytest

from sim.cocotb_run import SIMULATORS, assert_all_passed, run_cocotb


@pytest.mark.parametrize("sim", SIMULATORS)
def test_aes_gcm(sim):
    assert_all_passed(run_cocotb("aes_gcm", "tb.aes_gcm_tb", sim))
