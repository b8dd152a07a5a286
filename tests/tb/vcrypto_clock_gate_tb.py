"""cocotb testbench for rtl/common/vcrypto_clock_gate.sv alone (run by
tests/test_clock_gate_views.py in both views).

Inputs are driven after each falling edge (as flops on the same clock would drive them) with
random busy/event patterns: long quiet stretches, bursts, single clocks. After each rising edge
of clk_i, clk_o must be what the contract says: as synthesised (VCRYPTO_PARAM_VIEW=synthesised)
always clk_i; gated, high exactly when busy_i or event_i was high before the edge or fewer
than HOLD clocks have passed since the last clock with busy_i high (HOLD out of reset), and
in every clock of reset.
clk_o must be low whenever clk_i is low (no glitch in either view).
"""
from __future__ import annotations

import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge


@cocotb.test()
async def gated_clock_follows_busy_event_and_hold(dut):
    gated = os.environ.get("VCRYPTO_PARAM_VIEW") == "gated"
    hold_clocks = int(dut.HOLD.value)
    rng = random.Random(41)
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    dut.busy_i.value = 0
    dut.event_i.value = 0
    dut.rst_ni.value = 0
    await FallingEdge(dut.clk_i)
    for step in range(3):                  # in reset the clock runs (both views), busy or not
        await RisingEdge(dut.clk_i)
        await ReadOnly()
        assert int(dut.clk_o.value) == 1, f"clk_o stopped in reset, clock {step}"
        await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 1
    hold = hold_clocks                     # the model's counter: HOLD out of reset
    opened = 0
    for step in range(3000):
        phase = (step // 200) % 3          # quiet-ish, bursty, single clocks
        p = (0.02, 0.5, 0.1)[phase]
        busy = int(rng.random() < p)
        event = int(rng.random() < p / 2)
        dut.busy_i.value = busy
        dut.event_i.value = event
        await ReadOnly()
        assert int(dut.clk_o.value) == 0, f"clk_o high while clk_i is low at step {step}"
        await RisingEdge(dut.clk_i)
        await ReadOnly()
        want = 1 if not gated else int(busy or event or hold != 0)
        got = int(dut.clk_o.value)
        assert got == want, (f"step {step}: clk_o {got}, expected {want} (busy {busy}, event {event}, "
                             f"{hold} hold clocks left)")
        opened += got
        hold = hold_clocks if busy else max(hold - 1, 0)
        await FallingEdge(dut.clk_i)
    if gated:
        assert 0 < opened < 3000, f"the gate opened {opened} times in 3000 clocks: the test did not exercise it"
