"""Scan another process's memory for byte strings (keys, HMAC states, plaintext).

    hits = scan(pid, {"aes key": key, "hmac inner": inner})
    assert not any(hits.values()), describe(hits)

Reads every readable mapping listed in /proc/PID/maps through /proc/PID/mem: the heap, anonymous
mappings (Python's arenas, malloc's), stacks, shared mappings (the accelerator's segment, guest
memory), and file mappings. Needs ptrace access to the process (root, or a child of the caller
with kernel.yama.ptrace_scope <= 1); `readable(pid)` says whether it works here. Pages that
cannot be read (e.g. [vvar]) are skipped page by page and counted in `ScanStats.skipped`.

The target should be idle (blocked) while it is scanned, or the result is a snapshot of a moving
process. Use needles of at least 16 random bytes so that a chance match is impossible.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CHUNK = 8 << 20
PAGE = 4096


@dataclass(frozen=True)
class Mapping:
    start: int
    end: int
    perms: str
    path: str

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Hit:
    name: str
    addr: int
    mapping: str            # the mapping's path, or "[anon]"


@dataclass
class ScanStats:
    bytes_read: int = 0
    skipped: int = 0        # bytes in readable mappings that could not be read
    mappings: int = 0
    hits: dict[str, list[Hit]] = field(default_factory=dict)


def mappings(pid: int) -> list[Mapping]:
    out = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            out.append(Mapping(lo, hi, parts[1], parts[5].strip() if len(parts) > 5 else "[anon]"))
    return out


def readable(pid: int) -> bool:
    """Whether /proc/PID/mem of `pid` can be read from this process."""
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            for m in mappings(pid):
                if m.perms.startswith("r") and m.path not in ("[vvar]", "[vsyscall]"):
                    mem.seek(m.start)
                    return len(mem.read(1)) == 1
    except OSError:
        return False
    return False


def _read(mem, addr: int, n: int, stats: ScanStats) -> bytes:
    """n bytes at addr; unreadable pages come back as zeros (and are counted)."""
    try:
        mem.seek(addr)
        data = mem.read(n)
        if len(data) == n:
            return data
    except OSError:
        pass
    out = bytearray(n)
    for off in range(0, n, PAGE):
        k = min(PAGE, n - off)
        try:
            mem.seek(addr + off)
            page = mem.read(k)
        except OSError:
            page = b""
        if len(page) == k:
            out[off:off + k] = page
        else:
            stats.skipped += k
    return bytes(out)


def scan(pid: int, needles: dict[str, bytes], stats: ScanStats | None = None) -> dict[str, list[Hit]]:
    """Every address in `pid`'s readable memory where each needle occurs: {name: [Hit]}."""
    if any(len(v) < 16 for v in needles.values()):
        raise ValueError("needles shorter than 16 bytes could match by chance")
    stats = stats if stats is not None else ScanStats()
    hits: dict[str, list[Hit]] = {name: [] for name in needles}
    overlap = max(len(v) for v in needles.values()) - 1
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for m in mappings(pid):
            if not m.perms.startswith("r") or m.path == "[vsyscall]":
                continue
            stats.mappings += 1
            pos, tail = m.start, b""
            while pos < m.end:
                n = min(CHUNK, m.end - pos)
                data = tail + _read(mem, pos, n, stats)
                base = pos - len(tail)
                stats.bytes_read += n
                for name, needle in needles.items():
                    i = data.find(needle)
                    while i >= 0:
                        # a match lying wholly in the overlap was found in the previous chunk
                        if i + len(needle) > len(tail):
                            hits[name].append(Hit(name, base + i, m.path))
                        i = data.find(needle, i + 1)
                tail = data[max(0, len(data) - overlap):] if overlap else b""
                pos += n
    stats.hits = hits
    return hits


def count(hits: dict[str, list[Hit]]) -> int:
    return sum(len(v) for v in hits.values())


def describe(hits: dict[str, list[Hit]]) -> str:
    """One line per needle that was found: where."""
    lines = []
    for name, hs in hits.items():
        if hs:
            where = ", ".join(f"0x{h.addr:x} ({h.mapping})" for h in hs[:8])
            lines.append(f"{name}: {len(hs)} copies at {where}" + (" ..." if len(hs) > 8 else ""))
    return "\n".join(lines) or "none found"
