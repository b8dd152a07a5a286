"""The first-fit allocator behind the driver model's guest memory and the accelerator client's
shared segment (bridge.accel_client.Heap): random allocations and releases against a model."""
from __future__ import annotations

import random

import pytest

from bridge.accel_client import Heap, OutOfMemory


def check(heap: Heap, start: int, end: int) -> None:
    free = heap.free
    assert free == sorted(free)
    for (o1, s1), (o2, _) in zip(free, free[1:]):
        assert o1 + s1 < o2, "free blocks overlap or touch without being merged"
    spans = sorted(free + list(heap.used.items()))
    assert spans[0][0] >= start and spans[-1][0] + spans[-1][1] <= end
    for (o1, s1), (o2, _) in zip(spans, spans[1:]):
        assert o1 + s1 <= o2, "a used block overlaps another block"
    assert sum(s for _, s in free) + sum(heap.used.values()) == end - start


def test_random_alloc_release_keeps_the_free_list_exact():
    rng = random.Random(7)
    start, end = 0x1000, 0x1000 + (1 << 20)
    heap = Heap(start, end)
    live: list[int] = []
    for step in range(5000):
        if live and (rng.random() < 0.45 or len(live) > 300):
            heap.release(live.pop(rng.randrange(len(live))))
        else:
            try:
                live.append(heap.alloc(rng.choice((1, 16, 100, 4096, 65536)), align=rng.choice((16, 64, 4096))))
            except OutOfMemory:
                pass
        if step % 50 == 0:
            check(heap, start, end)
    for off in live:
        heap.release(off)
    assert heap.free == [(start, end - start)] and heap.used == {}


def test_releasing_an_unknown_offset_raises():
    heap = Heap(0, 4096)
    with pytest.raises(KeyError):
        heap.release(16)
