"""Cycle-stepped valid/ready stream drivers for cocotb testbenches.

All channels of a testbench are stepped by one coroutine (`run_streams`), so each simulated
clock costs two scheduler wake-ups however many channels there are. Per clock:
  1. after the rising edge: every channel drives its outputs (valid/data for sources,
     ready for sinks), with optional random stalls;
  2. in ReadOnly: every channel samples the settled handshake; a handshake seen here
     completes at the next rising edge.
Signal naming follows the RTL: <prefix>_valid_i / _ready_o / <field> for a source into the
DUT, <prefix>_valid_o / _ready_i / <field> for a sink out of the DUT.
"""
from __future__ import annotations

import random
from collections import deque
from typing import Callable

from cocotb.triggers import ReadOnly, RisingEdge


def to_int(value) -> int:
    """Unsigned value of a cocotb Logic (1 bit) or LogicArray (vector)."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


class _Port:
    """One valid/ready stream of a DUT: its handshake signals, its data fields, and how often this
    side stalls it (at random, from `rng`)."""

    def __init__(self, dut, valid: str, ready: str, fields: dict[str, str], rng: random.Random | None,
                 stall: float):
        self.valid, self.ready = getattr(dut, valid), getattr(dut, ready)
        self.sigs = {key: getattr(dut, sig) for key, sig in fields.items()}
        self.rng = rng or random.Random(0)
        self.stall = stall
        self.fire_cycles: list[int] = []


class Source(_Port):
    """Feeds items (dicts of field -> int) into a DUT input stream."""

    def __init__(self, dut, prefix: str, fields: dict[str, str], rng: random.Random | None = None,
                 stall: float = 0.0):
        super().__init__(dut, f"{prefix}_valid_i", f"{prefix}_ready_o", fields, rng, stall)
        self.queue: deque[dict[str, int]] = deque()
        self._offered = False
        self.valid.value = 0

    def send(self, item: dict[str, int]) -> None:
        self.queue.append(item)

    def drive(self) -> None:
        self._offered = bool(self.queue) and not (self.stall and self.rng.random() < self.stall)
        if self._offered:
            for key, sig in self.sigs.items():
                sig.value = self.queue[0][key]
        self.valid.value = int(self._offered)

    def sample(self, cycle: int) -> None:
        if self._offered and self.ready.value == 1:
            self.queue.popleft()
            self.fire_cycles.append(cycle)

    @property
    def idle(self) -> bool:
        return not self.queue


class Sink(_Port):
    """Collects items from a DUT output stream."""

    def __init__(self, dut, prefix: str, fields: dict[str, str], rng: random.Random | None = None,
                 stall: float = 0.0):
        super().__init__(dut, f"{prefix}_valid_o", f"{prefix}_ready_i", fields, rng, stall)
        self.items: list[dict[str, int]] = []
        self._ready = False
        self.ready.value = 0

    def drive(self) -> None:
        self._ready = not (self.stall and self.rng.random() < self.stall)
        self.ready.value = int(self._ready)

    def sample(self, cycle: int) -> None:
        if self._ready and self.valid.value == 1:
            self.items.append({key: to_int(sig.value) for key, sig in self.sigs.items()})
            self.fire_cycles.append(cycle)


class StreamTimeout(AssertionError):
    pass


async def run_streams(clk, channels: list, done: Callable[[], bool], max_cycles: int,
                      on_cycle: Callable[[int], None] | None = None) -> int:
    """Step all channels until done() is true; return the number of clocks used.

    Raises StreamTimeout after max_cycles (a hung DUT fails the test instead of the run).
    """
    cycle = 0
    while True:
        await RisingEdge(clk)
        cycle += 1
        if done():
            break
        if cycle > max_cycles:
            raise StreamTimeout(f"no completion within {max_cycles} clocks")
        for ch in channels:
            ch.drive()
        if on_cycle is not None:
            on_cycle(cycle)
        await ReadOnly()
        for ch in channels:
            ch.sample(cycle)
    # We are just after a rising edge: withdraw valid and ready.
    for ch in channels:
        (ch.valid if isinstance(ch, Source) else ch.ready).value = 0
    return cycle
