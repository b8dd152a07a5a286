#!/usr/bin/env python3
"""Extract the uncompressed ELF kernel (vmlinux) from an x86 bzImage (vmlinuz).

Written for this project (not derived from the kernel's scripts/extract-vmlinux).

Strategy:
  1. Parse the x86 boot protocol setup header (boot protocol >= 2.08): the compressed
     payload of the protected-mode part starts at (setup_sects + 1) * 512 + payload_offset
     and is payload_length bytes long. Its magic bytes tell the compression method.
  2. If that fails (old header, unknown method), scan the whole file for the magic bytes of
     every supported method and try each candidate offset in order.
A candidate is accepted only if it decompresses to something starting with the ELF magic.

Supported: xz, gzip, bzip2, lzma (python stdlib), zstd (python `zstandard` if present,
else the `zstd` command), lz4 (the `lz4` command, if present).

Usage: extract_vmlinux.py VMLINUZ OUT_VMLINUX
"""
import bz2
import lzma
import shutil
import struct
import subprocess
import sys
import zlib

ELF_MAGIC = b"\x7fELF"


def _xz(data):
    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    return d.decompress(data)  # trailing bytes (size_append) end up in d.unused_data


def _lzma(data):
    d = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    return d.decompress(data)


def _gzip(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return d.decompress(data)


def _bzip2(data):
    d = bz2.BZ2Decompressor()
    return d.decompress(data)


def _external(cmd, data):
    exe = shutil.which(cmd[0])
    if not exe:
        raise RuntimeError(f"{cmd[0]} not installed")
    # Decompressors complain about trailing garbage but still write the stream: keep stdout.
    p = subprocess.run([exe] + cmd[1:], input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return p.stdout


def _zstd(data):
    try:
        import zstandard  # type: ignore

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except ImportError:
        return _external(["zstd", "-dc", "-q"], data)


def _lz4(data):
    return _external(["lz4", "-dc", "-q"], data)


# (name, magic, decompressor)
METHODS = [
    ("xz", b"\xfd7zXZ\x00", _xz),
    ("gzip", b"\x1f\x8b\x08", _gzip),
    ("zstd", b"\x28\xb5\x2f\xfd", _zstd),
    ("bzip2", b"BZh", _bzip2),
    ("lzma", b"\x5d\x00\x00\x00", _lzma),
    ("lz4", b"\x02\x21\x4c\x18", _lz4),
]


def _try(method, data, off):
    name, magic, fn = method
    if data[off:off + len(magic)] != magic:
        return None
    try:
        out = fn(data[off:])
    except Exception:
        return None
    if out and out[:4] == ELF_MAGIC:
        return out
    return None


def from_header(data):
    """Use the boot protocol header. Returns (method, offset, vmlinux) or None."""
    if len(data) < 0x260 or data[0x202:0x206] != b"HdrS":
        return None
    version = struct.unpack_from("<H", data, 0x206)[0]
    if version < 0x208:
        return None
    setup_sects = data[0x1F1] or 4
    payload_offset, payload_length = struct.unpack_from("<II", data, 0x248)
    start = (setup_sects + 1) * 512 + payload_offset
    payload = data[start:start + payload_length]
    for m in METHODS:
        out = _try(m, payload, 0)
        if out is not None:
            return m[0], start, out
    return None


def by_scan(data):
    for m in METHODS:
        magic = m[1]
        pos = data.find(magic)
        while pos >= 0:
            out = _try(m, data, pos)
            if out is not None:
                return m[0], pos, out
            pos = data.find(magic, pos + 1)
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        data = f.read()
    how = "setup header"
    res = from_header(data)
    if res is None:
        how = "magic scan"
        res = by_scan(data)
    if res is None:
        print(f"extract_vmlinux: no compressed ELF kernel found in {argv[1]}", file=sys.stderr)
        return 1
    method, off, out = res
    tmp = argv[2] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    shutil.move(tmp, argv[2])
    print(f"extract_vmlinux: {argv[1]}: {method} payload at offset {off} ({how}) -> "
          f"{argv[2]} ({len(out)} bytes ELF)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
