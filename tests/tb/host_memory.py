"""Host memory of the testbenches whose DMA masters reach the whole 64-bit space: an image that
aliases addresses modulo its size, and failures injected into cocotbext-axi's AxiRam."""
from __future__ import annotations

from typing import Callable


def aliased_get(mem: bytearray, addr: int, n: int) -> bytes:
    """n bytes at a 64-bit address of the image (byte a is mem[a % len(mem)])."""
    size, a = len(mem), addr % len(mem)
    if a + n <= size:
        return bytes(mem[a:a + n])
    return bytes(mem[a:]) + aliased_get(mem, 0, n - (size - a))


def aliased_put(mem: bytearray, addr: int, data: bytes) -> None:
    a = addr % len(mem)
    k = min(len(data), len(mem) - a)
    mem[a:a + k] = data[:k]
    if k < len(data):
        aliased_put(mem, 0, data[k:])


def inject_failures(ram, fails: Callable[[int], bool],
                    on_write: Callable[[int, int], None] | None = None) -> None:
    """Make `ram` (an AxiRam) answer SLVERR for every access at an address where fails(address)
    is true (the RAM model turns an exception of its access into SLVERR); on_write(address,
    length) sees every write first."""
    wr, rd = ram.write_if, ram.read_if
    orig_w, orig_r = wr._write, rd._read

    async def write(address, data):
        if on_write:
            on_write(address, len(data))
        if fails(address):
            raise IOError("injected write error")
        await orig_w(address, data)

    async def read(address, length):
        if fails(address):
            raise IOError("injected read error")
        return await orig_r(address, length)
    wr._write, rd._read = write, read
