#!/usr/bin/env python3
"""Write a gzip-compressed cpio "newc" archive (an initramfs) from a staging directory.

Why not `find | cpio -o -H newc`: the archive also needs device nodes (/dev/console, /dev/null)
that an unprivileged build cannot mknod, and we want a reproducible archive (uid/gid 0, fixed
mtime, sorted names), so the same inputs give the same initrd.gz byte for byte.

Usage: mkcpio.py STAGING_DIR OUT.gz [--dev PATH:c|b:MAJOR:MINOR:MODE ...]
"""
import argparse
import gzip
import os
import stat
import sys

MTIME = 0


def _hdr(name, ino, mode, nlink, size, rdevmajor=0, rdevminor=0):
    namez = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, MTIME, size, 0, 0, rdevmajor, rdevminor, len(namez), 0]
    h = b"070701" + b"".join(b"%08X" % v for v in fields) + namez
    return h + b"\0" * ((4 - len(h) % 4) % 4)


def _pad(data):
    return data + b"\0" * ((4 - len(data) % 4) % 4)


def build(staging, devices):
    entries = []  # (name, kind, extra)
    for root, dirs, files in os.walk(staging):
        dirs.sort()
        rel = os.path.relpath(root, staging)
        if rel != ".":
            entries.append((rel, "dir", os.lstat(root)))
        for f in sorted(files + [d for d in dirs if os.path.islink(os.path.join(root, d))]):
            p = os.path.join(root, f)
            name = os.path.normpath(os.path.join(rel, f))
            entries.append((name, "node", os.lstat(p)))
    names = {e[0] for e in entries}
    for dev in devices:
        path, kind, major, minor, mode = dev.split(":")
        path = path.lstrip("/")
        parent = os.path.dirname(path)
        if parent and parent not in names:
            entries.append((parent, "mkdir", None))
            names.add(parent)
        entries.append((path, "dev", (kind, int(major), int(minor), int(mode, 8))))
    entries.sort(key=lambda e: e[0])

    out = bytearray()
    ino = 1
    for name, kind, info in entries:
        ino += 1
        if kind == "mkdir":
            out += _hdr(name, ino, stat.S_IFDIR | 0o755, 2, 0)
        elif kind == "dir":
            out += _hdr(name, ino, stat.S_IFDIR | (info.st_mode & 0o7777), 2, 0)
        elif kind == "dev":
            t, major, minor, mode = info
            fmt = stat.S_IFCHR if t == "c" else stat.S_IFBLK
            out += _hdr(name, ino, fmt | mode, 1, 0, major, minor)
        else:
            st = info
            full = os.path.join(staging, name)
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(full).encode()
                out += _hdr(name, ino, stat.S_IFLNK | 0o777, 1, len(target)) + _pad(target)
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    data = f.read()
                out += _hdr(name, ino, stat.S_IFREG | (st.st_mode & 0o7777), 1, len(data)) + _pad(data)
            else:
                raise SystemExit(f"mkcpio: unsupported file type: {full}")
    out += _hdr("TRAILER!!!", 0, 0, 1, 0)
    return bytes(out), len(entries)


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("staging")
    ap.add_argument("out")
    ap.add_argument("--dev", action="append", default=[], help="PATH:c|b:MAJOR:MINOR:OCTALMODE")
    ap.add_argument("--level", type=int, default=6)
    a = ap.parse_args()
    data, n = build(a.staging, a.dev)
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=a.level, mtime=0) as gz:
            gz.write(data)
    os.replace(tmp, a.out)
    print(f"mkcpio: {n} entries, {len(data)} bytes cpio -> {a.out} ({os.path.getsize(a.out)} bytes)")


if __name__ == "__main__":
    sys.exit(main())
