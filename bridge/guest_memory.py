"""Guest physical memory as the device sees it: bounds-checked reads and writes.

`BytesGuestMemory` is one flat region (the driver model's guest); `RegionGuestMemory` maps
several regions at guest-physical addresses (vhost-user's SET_MEM_TABLE). Any access that
is not wholly inside one region raises GuestMemoryError: the device never touches memory the
guest did not give it.
"""
from __future__ import annotations

from dataclasses import dataclass


class GuestMemoryError(Exception):
    pass


class BytesGuestMemory:
    def __init__(self, size: int, base: int = 0):
        self.buf = bytearray(size)
        self._mv = memoryview(self.buf)     # slices of it copy once (a bytearray slice copies twice)
        self.base = base
        self.size = size

    # every access is on the per-request path: the bounds check is written out in each method
    # rather than shared through a helper call
    def _outside(self, gpa: int, n: int) -> GuestMemoryError:
        return GuestMemoryError(f"guest access [0x{gpa:x}, +{n}) outside guest memory")

    def check(self, gpa: int, n: int) -> None:
        """Raise GuestMemoryError unless [gpa, +n) is guest memory (nothing is read)."""
        off = gpa - self.base
        if n < 0 or off < 0 or off + n > self.size:
            raise self._outside(gpa, n)

    def read(self, gpa: int, n: int) -> bytes:
        off = gpa - self.base
        if n < 0 or off < 0 or off + n > self.size:
            raise self._outside(gpa, n)
        return bytes(self._mv[off:off + n])

    def write(self, gpa: int, data: bytes) -> None:
        off, n = gpa - self.base, len(data)
        if off < 0 or off + n > self.size:
            raise self._outside(gpa, n)
        self.buf[off:off + n] = data

    def view(self, gpa: int, n: int) -> memoryview:
        off = gpa - self.base
        if n < 0 or off < 0 or off + n > self.size:
            raise self._outside(gpa, n)
        return self._mv[off:off + n]

    def spans(self) -> list[tuple[int, int, bytearray]]:
        """(gpa, size, buffer) of each region, for the native lane (bridge/native_lane.py)."""
        return [(self.base, self.size, self.buf)]


@dataclass
class Region:
    gpa: int
    size: int
    mem: memoryview          # mapping of the region (e.g. an mmap of a memfd)
    uaddr: int = 0           # the front end's virtual address of the region (vhost-user)


class RegionGuestMemory:
    def __init__(self, regions: list[Region]):
        self.regions = sorted(regions, key=lambda r: r.gpa)
        self._last = self.regions[0] if self.regions else None   # a request's buffers are mostly in one region

    def _find(self, gpa: int, n: int) -> tuple[Region, int]:
        r = self._last
        if r is not None and r.gpa <= gpa and gpa + n <= r.gpa + r.size and n >= 0:
            return r, gpa - r.gpa
        for r in self.regions:
            if r.gpa <= gpa and gpa + n <= r.gpa + r.size and n >= 0:
                self._last = r
                return r, gpa - r.gpa
        raise GuestMemoryError(f"guest access [0x{gpa:x}, +{n}) outside guest memory")

    def check(self, gpa: int, n: int) -> None:
        self._find(gpa, n)

    def read(self, gpa: int, n: int) -> bytes:
        r, off = self._find(gpa, n)
        return bytes(r.mem[off:off + n])

    def write(self, gpa: int, data: bytes) -> None:
        r, off = self._find(gpa, len(data))
        r.mem[off:off + len(data)] = data

    def view(self, gpa: int, n: int) -> memoryview:
        r, off = self._find(gpa, n)
        return r.mem[off:off + n]

    def spans(self) -> list[tuple[int, int, memoryview]]:
        """(gpa, size, buffer) of each region, for the native lane (bridge/native_lane.py)."""
        return [(r.gpa, r.size, r.mem) for r in self.regions]

    def uaddr_to_gpa(self, uaddr: int) -> int:
        for r in self.regions:
            if r.uaddr <= uaddr < r.uaddr + r.size:
                return r.gpa + (uaddr - r.uaddr)
        raise GuestMemoryError(f"front-end address 0x{uaddr:x} is in no memory region")
