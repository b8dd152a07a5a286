"""What the engine testbenches (sha256_engine_tb, sha512_engine_tb, aes_engine_tb, aes_xts_tb)
share: the clock and reset, the streams of the SHA engines, the simulator-dependent vector
counts, and the stepping, collecting and reporting loops.
"""
from __future__ import annotations

import json
import os
import random
from typing import Iterable, Iterator, TypeVar

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from tb.stream import Sink, Source, run_streams

T = TypeVar("T")

FULL_ICARUS = os.environ.get("VCRYPTO_FULL_VECTORS", "0") == "1"

# AES: the engine's cfg_key_len_i code and the number of rounds, by key length in bytes
AES_KEY_LEN_CODE = {16: 0, 24: 1, 32: 2}
AES_ROUNDS = {16: 10, 24: 12, 32: 14}


def is_icarus() -> bool:
    return "icarus" in cocotb.SIM_NAME.lower()


def subsample(icarus_every: int, verilator_every: int = 1) -> int:
    """Run every n-th vector: Icarus is several times slower, so it takes fewer unless
    VCRYPTO_FULL_VECTORS=1."""
    return icarus_every if is_icarus() and not FULL_ICARUS else verilator_every


def every_nth(records: Iterable[T], n: int) -> Iterator[tuple[int, T]]:
    """(index, record) of records 0, n, 2n, ... (the index names the record in a failure)."""
    for i, record in enumerate(records):
        if i % n == 0:
            yield i, record


def beats(data: bytes) -> list[int]:
    """The 128-bit stream beats of whole 16-byte blocks, first byte most significant."""
    assert len(data) % 16 == 0
    return [int.from_bytes(data[i:i + 16], "big") for i in range(0, len(data), 16)]


class EngineBench:
    """Clock, reset and the cfg/inp/out streams of one engine (made by the subclass)."""

    # inputs held at 0 from the start, before the streams drive them
    IDLE_INPUTS: tuple[str, ...] = ()
    cfg: Source
    inp: Source
    out: Sink

    def __init__(self, dut, seed: int = 1):
        self.dut = dut
        self.rng = random.Random(seed)       # the random stalls
        self.clock = Clock(dut.clk_i, 10, unit="ns").start()

    @property
    def channels(self) -> list:
        return [self.cfg, self.inp, self.out]

    @classmethod
    async def start(cls, dut, reset_cycles: int = 3, **kw):
        tb = cls(dut, **kw)
        for name in cls.IDLE_INPUTS:
            getattr(dut, name).value = 0
        await tb.reset(reset_cycles)
        return tb

    async def reset(self, cycles: int = 3) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, cycles)
        self.dut.rst_ni.value = 1

    async def send_cfg_now(self, item: dict, max_cycles: int) -> None:
        """Offer a configuration and step until the engine has taken it."""
        self.cfg.send(item)
        await run_streams(self.dut.clk_i, self.channels, lambda: self.cfg.idle, max_cycles)

    async def collect_items(self, count: int, max_cycles: int, channels: list | None = None) -> list[dict]:
        """Step the streams until `count` more output beats are in; return those beats."""
        start = len(self.out.items)
        await run_streams(self.dut.clk_i, self.channels if channels is None else channels,
                          lambda: len(self.out.items) - start >= count, max_cycles)
        return self.out.items[start:]

    async def run_clocks(self, clocks: int, max_cycles: int) -> None:
        """Step the streams for `clocks` clocks and stop whatever is in flight (to reset or
        wipe in the middle of an operation)."""
        stepped = 0

        def count(cycle):
            nonlocal stepped
            stepped = cycle
        await run_streams(self.dut.clk_i, self.channels, lambda: stepped >= clocks, max_cycles,
                          on_cycle=count)


class ShaBench(EngineBench):
    """The SHA-2 engines' streams: cfg (init select, chaining state), 128-bit message beats,
    state beats out."""

    IDLE_INPUTS = ("cfg_valid_i", "in_valid_i", "state_ready_i")
    STATE_BYTES = 32

    def __init__(self, dut, seed: int = 1, stall_in: float = 0.0, stall_out: float = 0.0):
        super().__init__(dut, seed)
        self.cfg = Source(dut, "cfg", {"init": "cfg_init_i", "state": "cfg_state_i"}, self.rng)
        self.inp = Source(dut, "in", {"data": "in_data_i", "last": "in_last_i"}, self.rng, stall_in)
        self.out = Sink(dut, "state", {"state": "state_o", "err": "state_err_o"}, self.rng, stall_out)

    def queue_beats(self, padded: bytes, last: bool = True) -> None:
        data = beats(padded)
        for i, beat in enumerate(data):
            self.inp.send({"data": beat, "last": int(last and i == len(data) - 1)})

    async def collect(self, count: int, max_cycles: int) -> list[tuple[bytes, int]]:
        """Run the streams in order: a cfg is offered only once the beats before it are in."""
        got = await self.collect_items(count, max_cycles)
        return [(it["state"].to_bytes(self.STATE_BYTES, "big"), it["err"]) for it in got]


async def random_bench(bench: type[EngineBench], dut, seed: int, stall_in: float,
                       stall_out: float) -> tuple:
    """A bench for a seeded random differential run and the random source of its cases (the
    stalls and the cases come from the same seed)."""
    tb = await bench.start(dut, seed=seed, stall_in=stall_in, stall_out=stall_out)
    return tb, random.Random(seed)


def cycles_per_block(fire_cycles: list[int]) -> float:
    """Mean clocks between the first and the last handshake of a stream."""
    return (fire_cycles[-1] - fire_cycles[0]) / (len(fire_cycles) - 1)


def write_bench_records(records: list[dict]) -> None:
    """Hand the throughput records to the RTL benchmark (it sets VCRYPTO_BENCH_OUT)."""
    out_path = os.environ.get("VCRYPTO_BENCH_OUT")
    if out_path:
        with open(out_path, "w") as f:
            json.dump(records, f, indent=1)


def key_schedule_words(dut, first_row: int = 0) -> list[int]:
    """The 64 words of one AES key schedule in the round-key memory, column-major, read through
    the simulator (no such port exists). K1's starts at row 0, XTS's K2 at row 16."""
    mem = dut.u_key_mem
    return [int(getattr(mem, f"bank{c}")[first_row + r].value) for c in range(4) for r in range(16)]


async def wait_wiped(dut, limit: int = 40) -> int:
    """Clocks until the AES engine's key wipe is over."""
    for n in range(limit):
        await ReadOnly()
        if dut.wipe_busy_o.value == 0:
            return n
        await RisingEdge(dut.clk_i)
    raise AssertionError(f"the wipe did not finish within {limit} clocks")
