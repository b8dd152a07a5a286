#!/usr/bin/env python3
"""Check a guest console log from afalg_test's random or deep mode against the host's own
computation.

Reads the `RANDOM seed=.. count=.. maxlen=..` (or `DEEP ...`: the same sequence on one key)
header, regenerates the request sequence with afalg_prng.py, computes every expected output
with `cryptography`, and compares every `REQ <idx> <key> <iv> <len> <dir> <sha256(in)>
<sha256(out)>` line field by field.

A request the guest reported as `REQ-IVBUG <idx>` (deep mode: Linux 6.1's virtio_crypto retried
a decrypt after -ENOSPC with its IV already overwritten by the last ciphertext block) must
instead carry exactly the output of that wrong IV (afalg_prng.ivbug_output): the device
answered what the driver sent. It counts as `ivbug`, not as a match and not as a failure.

Exit status 0 only if: a header is present, exactly `count` REQ lines with indexes
0..count-1 are present, every one matches (or is a confirmed ivbug), and no REQ-ERROR /
REQ-MISMATCH line appears. (--seed/--count/--maxlen override or replace the header.)

Usage: check_results.py CONSOLE.log [--seed N] [--count N] [--maxlen N] [-v]
"""
import argparse
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import afalg_prng  # noqa: E402

HDR = re.compile(r"(RANDOM|DEEP) seed=(\d+) count=(\d+) maxlen=(\d+)")
IVBUG = re.compile(r"\bREQ-IVBUG (\d+) dec\b")
REQ = re.compile(r"\bREQ (\d+) ([0-9a-f]+) ([0-9a-f]{32}) (\d+) (enc|dec) ([0-9a-f]{64}) ([0-9a-f]{64})\b")
BAD = re.compile(r"\b(REQ-ERROR|REQ-MISMATCH|REF-ERROR)\b.*")


def main(argv=None):
    ap = argparse.ArgumentParser(description="verify afalg_test random-mode REQ lines")
    ap.add_argument("log")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--count", type=int)
    ap.add_argument("--maxlen", type=int)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)

    with open(a.log, "r", errors="replace") as f:
        text = f.read().replace("\r", "")
    seed = count = maxlen = None
    m = HDR.search(text)
    deep = bool(m) and m.group(1) == "DEEP"
    if m:
        seed, count, maxlen = (int(x) for x in m.groups()[1:])
    seed = a.seed if a.seed is not None else seed
    count = a.count if a.count is not None else count
    maxlen = a.maxlen if a.maxlen is not None else (maxlen or 65536)
    if seed is None or count is None:
        print("check_results: FAIL: no 'RANDOM seed=.. count=..' header in the log (give --seed/--count)")
        return 1

    got = {}
    dup = 0
    for m in REQ.finditer(text):
        idx = int(m.group(1))
        if idx in got:
            dup += 1
        got[idx] = m.groups()[1:]
    bad_lines = [m.group(0) for m in BAD.finditer(text)]
    ivbug_idx = {int(m.group(1)) for m in IVBUG.finditer(text)}

    ok = mismatched = ivbug = 0
    missing = []
    nbytes = 0
    inplace = 0
    for r in afalg_prng.requests(seed, count, maxlen, one_key=deep):
        line = got.pop(r.idx, None)
        if line is None:
            missing.append(r.idx)
            continue
        bug = r.idx in ivbug_idx and not r.encrypt
        out = afalg_prng.ivbug_output(r) if bug else afalg_prng.expected_output(r)
        want = (r.key.hex(), r.iv.hex(), str(len(r.data)), r.dir,
                hashlib.sha256(r.data).hexdigest(), hashlib.sha256(out).hexdigest())
        names = ("key", "iv", "len", "dir", "sha256(input)", "sha256(output)")
        diffs = [n for n, g, w in zip(names, line, want) if g != w]
        if diffs:
            mismatched += 1
            print(f"MISMATCH REQ {r.idx} ({'inplace' if r.inplace else 'oop'}, {len(r.data)} B, {r.dir}, "
                  f"key {len(r.key) * 8} bit): {', '.join(diffs)}")
            if a.verbose:
                for n, g, w in zip(names, line, want):
                    if g != w:
                        print(f"    {n}: got {g}\n    {' ' * len(n)}  want {w}")
        elif bug:
            ivbug += 1
        else:
            ok += 1
            nbytes += len(r.data)
            inplace += r.inplace
            if a.verbose:
                print(f"ok REQ {r.idx} {len(r.data)} {r.dir} {'inplace' if r.inplace else 'oop'}")
    extra = sorted(got)
    for b in bad_lines:
        print(f"GUEST {b}")
    stray = len(ivbug_idx) - ivbug        # an IVBUG claim for an encrypt request or a missing line
    passed = (mismatched == 0 and not missing and not extra and not bad_lines and dup == 0 and stray == 0
              and ok + ivbug == count)
    print(f"check_results: {'PASS' if passed else 'FAIL'}: seed={seed} count={count} maxlen={maxlen} "
          f"matched={ok} ({inplace} in-place, {nbytes} bytes) ivbug={ivbug} mismatched={mismatched} "
          f"missing={len(missing)} unexpected={len(extra)} duplicates={dup} guest-errors={len(bad_lines)}"
          + (f" unconfirmed-ivbug={stray}" if stray else ""))
    if missing:
        print(f"  missing indexes: {missing[:20]}{' ...' if len(missing) > 20 else ''}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
