"""cocotb testbench for rtl/top/vcrypto_fifo.sv alone (run by tests/test_vcrypto_fifo.py).

The model is a Python deque stepped once a clock: before each rising edge the FIFO's outputs
must equal the model's (empty, full, count, and the head word on data_o whenever it is not
empty), so the timing of the show-ahead contract is checked to the clock, not only the order
of the words: a word pushed into an empty FIFO is on data_o the next clock, a pop shows the
next word the next clock, a push while full is taken only with a pop, a pop while empty is
ignored. Traffic runs in phases of different push/pop rates so the FIFO is driven through
empty, full and every fill level between, with words of all W bits random.
"""
from __future__ import annotations

import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from tb.stream import to_int


class Fifo:
    def __init__(self, dut):
        self.dut = dut
        self.depth = int(dut.DEPTH.value)
        self.width = int(dut.W.value)
        self.model: deque[int] = deque()
        self.steps = 0

    @classmethod
    async def start(cls, dut) -> "Fifo":
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        dut.push_i.value = 0
        dut.pop_i.value = 0
        dut.data_i.value = 0
        dut.rst_ni.value = 0
        await RisingEdge(dut.clk_i)
        await RisingEdge(dut.clk_i)
        dut.rst_ni.value = 1
        await FallingEdge(dut.clk_i)
        return cls(dut)

    def check(self) -> None:
        d, m = self.dut, self.model
        where = f"step {self.steps}, model holds {len(m)}"
        assert int(d.empty_o.value) == (not m), f"empty_o wrong at {where}"
        assert int(d.full_o.value) == (len(m) == self.depth), f"full_o wrong at {where}"
        assert int(d.count_o.value) == len(m), f"count_o {int(d.count_o.value)} at {where}"
        if m:
            assert to_int(d.data_o) == m[0], f"data_o is not the head word at {where}"

    async def step(self, push: bool, pop: bool, word: int | None = None) -> None:
        """One clock with these inputs (driven after a falling edge, half a clock before the
        rising one); the model takes what the contract says the FIFO takes, and the outputs
        are checked after the edge."""
        if word is None:
            word = random.getrandbits(self.width)
        self.dut.push_i.value = int(push)
        self.dut.pop_i.value = int(pop)
        self.dut.data_i.value = word
        do_pop = pop and bool(self.model)
        do_push = push and (len(self.model) < self.depth or do_pop)
        if do_pop:
            self.model.popleft()
        if do_push:
            self.model.append(word)
        self.steps += 1
        await RisingEdge(self.dut.clk_i)
        await FallingEdge(self.dut.clk_i)
        self.check()


@cocotb.test()
async def words_pass_in_order_with_show_ahead_timing(dut):
    f = await Fifo.start(dut)
    f.check()
    await f.step(push=True, pop=False, word=0x1234)        # into the empty FIFO
    assert to_int(dut.data_o) == 0x1234 and not int(dut.empty_o.value)
    await f.step(push=True, pop=True, word=0x5678)         # pop the only word, push another
    assert to_int(dut.data_o) == 0x5678
    await f.step(push=False, pop=True)
    assert int(dut.empty_o.value)


@cocotb.test()
async def full_fifo_takes_a_push_only_with_a_pop(dut):
    f = await Fifo.start(dut)
    for _ in range(f.depth):
        await f.step(push=True, pop=False)
    assert int(dut.full_o.value)
    head = f.model[0]
    await f.step(push=True, pop=False)                     # ignored: full, no pop
    assert to_int(dut.data_o) == head and len(f.model) == f.depth
    for _ in range(3 * f.depth):                           # full, a push and a pop every clock
        await f.step(push=True, pop=True)
    for _ in range(f.depth + 2):                           # drain, and pop while empty
        await f.step(push=False, pop=True)
    assert int(dut.empty_o.value)


@cocotb.test()
async def random_traffic_through_every_fill_level(dut):
    f = await Fifo.start(dut)
    rng = random.Random(0xF1F0)
    random.seed(0xF1F0)
    seen = set()
    for push_p, pop_p in ((0.9, 0.2), (0.5, 0.5), (0.2, 0.9), (1.0, 1.0), (0.7, 0.6), (0.3, 0.35), (0.0, 1.0)):
        for _ in range(60 * f.depth):
            await f.step(push=rng.random() < push_p, pop=rng.random() < pop_p)
            seen.add(len(f.model))
    assert seen == set(range(f.depth + 1)), f"fill levels never reached: {set(range(f.depth + 1)) - seen}"
