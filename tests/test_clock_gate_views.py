"""The clock-gated simulation view (+define+VCRYPTO_CLOCK_GATE; rtl/README.md, "Views"), which
the accelerator process builds, against the RTL as synthesised:

  * the gate cell itself (tests/tb/vcrypto_clock_gate_tb.py) in both views and two HOLDs;
  * the whole cocotb regression of each gated block on the gated view: the register block
    (every register, strobe, counter, interrupt, SCRUB, AXI4-Lite traffic; each checked on its
    clock), the AES engine (ECB/CBC/CTR, key hygiene, XTS), the SHA-256 and SHA-512 engines,
    and the lane, which gates its GCM sequencer (AEAD both ways, forged tags, wipes).
    Their runs on the view as synthesised are in test_vcrypto_csr.py, test_aes_engine.py, ...

Every test that runs the accelerator process (bridge, device, guests) runs the gated view too.
"""
import pytest

from sim.cocotb_run import assert_all_passed, run_cocotb

GATE = ("VCRYPTO_CLOCK_GATE",)


@pytest.mark.parametrize("view,hold", [("synthesised", 8), ("gated", 1), ("gated", 8)])
def test_clock_gate_cell(view, hold):
    assert_all_passed(run_cocotb("vcrypto_clock_gate", "tb.vcrypto_clock_gate_tb", "verilator",
                                 parameters={"HOLD": hold}, defines=GATE if view == "gated" else (),
                                 extra_env={"VCRYPTO_PARAM_VIEW": view}))


# (top, cocotb module, tests left out: long runs of back-to-back blocks that never let the
# engine idle, so they add nothing here; they run on the view as synthesised; parameters)
REGRESSIONS = [
    ("vcrypto_csr", "tb.vcrypto_csr_tb", (), {}),
    ("aes_engine", "tb.aes_engine_tb", (), {}),
    ("aes_engine", "tb.aes_xts_tb", (), {}),
    ("sha256_engine", "tb.sha256_engine_tb", (), {}),
    ("sha512_engine", "tb.sha512_engine_tb", ("cavp_monte_sha512", "cavp_monte_sha384"), {}),
    # the lane gates its GCM sequencer (and holds the three gated engines)
    ("vcrypto_lane", "tb.vcrypto_lane_tb", (), {"QW": 4}),
]


@pytest.mark.parametrize("top,tb,skip,params", REGRESSIONS,
                         ids=[f"{t}-{m.rsplit('.', 1)[1]}" for t, m, _, _ in REGRESSIONS])
def test_gated_view_passes_the_blocks_regression(top, tb, skip, params):
    env = {"COCOTB_TEST_FILTER": "^(?!.*(" + "|".join(skip) + "))"} if skip else {}
    results = run_cocotb(top, tb, "verilator", defines=GATE, parameters=params, extra_env=env)
    assert not {name for name, _, _ in results} & set(skip), "a test meant to be left out ran"
    assert_all_passed(results)
