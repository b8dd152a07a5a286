"""The clock-gated simulation view (+define+VCRYPTO_CLOCK_GATE; rtl/README.md, "Views"), which
the accelerator process builds, against the RTL as synthesised:

  * the gate cell itself (tests/tb/vcrypto_clock_gate_tb.py) in both views and HOLD 0, 1, 8;
  * the whole cocotb regression of each gated block on the gated view: the register block
    (every register, strobe, counter, interrupt, SCRUB, AXI4-Lite traffic; each checked on its
    clock), the AES engine (ECB/CBC/CTR, key hygiene, XTS), the SHA-256 and SHA-512 engines,
    and the lane, which gates its own clock and its GCM sequencer (AEAD both ways, forged tags,
    wipes), the DMA clients' FIFO (clocked only for a push or a pop), the DMA read and write
    engines and the DMA arbiter's two sides; and the top's tests that make four gated lanes and
    the gated fetch unit sleep and wake.
    Their runs on the view as synthesised are in test_vcrypto_csr.py, test_aes_engine.py, ...

Every test that runs the accelerator process (bridge, device, guests) runs the gated view too.
"""
import pytest

from sim.cocotb_run import assert_all_passed, run_cocotb

GATE = ("VCRYPTO_CLOCK_GATE",)


@pytest.mark.parametrize("view,hold", [("synthesised", 8), ("gated", 0), ("gated", 1), ("gated", 8)])
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
    # the lane gates its own clock and its GCM sequencer's (and holds the three gated engines)
    ("vcrypto_lane", "tb.vcrypto_lane_tb", (), {"QW": 4}),
    ("vcrypto_fifo", "tb.vcrypto_fifo_tb", (), {"DEPTH": 2}),
    ("vcrypto_fifo", "tb.vcrypto_fifo_tb", (), {"DEPTH": 16}),
    # the DMA engines, clocked only while a command is offered or a transfer runs, and the
    # arbiter's two sides (three clients each way, as in test_vcrypto_dma_arb.py)
    ("vcrypto_dma_rd", "tb.vcrypto_dma_rd_tb", (), {}),
    ("vcrypto_dma_wr", "tb.vcrypto_dma_wr_tb", (), {}),
    ("vcrypto_dma_arb", "tb.vcrypto_dma_arb_tb", (), {"NRC": 3, "NWC": 3}),
]


@pytest.mark.parametrize("top,tb,skip,params", REGRESSIONS,
                         ids=[f"{t}-{m.rsplit('.', 1)[1]}" + "".join(f"-{k}{v}" for k, v in p.items())
                              for t, m, _, p in REGRESSIONS])
def test_gated_view_passes_the_blocks_regression(top, tb, skip, params):
    env = {"COCOTB_TEST_FILTER": "^(?!.*(" + "|".join(skip) + "))"} if skip else {}
    results = run_cocotb(top, tb, "verilator", defines=GATE, parameters=params, extra_env=env)
    assert not {name for name, _, _ in results} & set(skip), "a test meant to be left out ran"
    assert_all_passed(results)


# the top with four lanes, gated: lanes that sleep while the others work, wake for a load, a
# wipe or an abort, and serve every queue; the fetch unit that sleeps until a doorbell, a
# completion or a pick, and counts the entries in flight against the completion room (the
# tests of vcrypto_top_tb.py that exercise that)
TOP_TESTS = ["every_operation_directed", "random_requests_all_queues", "malformed_requests_get_statuses",
             "axi_errors_on_every_lane_while_the_others_run", "keys_zeroed_after_requests_scrub_and_reset",
             "reset_while_busy_then_serve_again", "lanes_serve_in_parallel", "ring_wrap_around_small_rings",
             "full_completion_ring_is_never_overrun"]


def test_gated_view_passes_the_tops_lane_tests_with_four_lanes():
    results = run_cocotb("vcrypto_top", "tb.vcrypto_top_tb", "verilator", defines=GATE, parameters={"LANES": 4},
                         testcase=TOP_TESTS, extra_env={"VCRYPTO_TOP_RANDOM": "300"})
    assert {name for name, _, _ in results} == set(TOP_TESTS)
    assert_all_passed(results)
