"""`make bench-rtl`: sustained clocks per block of each engine, counted in simulation.

Runs the `sustained_throughput` cocotb tests on Verilator (long streams of back-to-back
blocks, no stalls), writes build/bench/rtl.json (one record per engine/mode/key size/direction)
and prints a table. Cycle counts do not depend on the machine's load; if build/bench/synth.json
exists (make synth), throughput at the placed-and-routed ECP5 Fmax is shown too.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sim.cocotb_run import ROOT, assert_all_passed, run_cocotb  # noqa: E402

BLOCK_BYTES = {"aes": 16, "sha": 64}
TARGET = {("aes", 128): 11, ("aes", 192): 13, ("aes", 256): 15, ("sha", 0): 65}
# SHA-512 family: 80 rounds + 1 clock adding into H per 128-byte block
TARGET_MODE = {"sha384": 81, "sha512": 81, "sha512_224": 81, "sha512_256": 81}
RUNS = (("aes_engine", "tb.aes_engine_tb"), ("aes_engine", "tb.aes_xts_tb"), ("aes_gcm", "tb.aes_gcm_tb"),
        ("sha256_engine", "tb.sha256_engine_tb"), ("sha512_engine", "tb.sha512_engine_tb"))


def main() -> int:
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for top, module in RUNS:
            out = Path(tmp) / f"{module}.json"
            assert_all_passed(run_cocotb(top, module, "verilator", testcase="sustained_throughput",
                                         extra_env={"VCRYPTO_BENCH_OUT": str(out)}))
            records += [dict(r, rtl_top=top) for r in json.loads(out.read_text())]
    for r in records:
        block = r.pop("block_bytes", BLOCK_BYTES[r["engine"]])
        r["bytes_per_cycle"] = round(block / r["cycles_per_block"], 4)
        r["target_cycles_per_block"] = TARGET_MODE.get(r["mode"], TARGET.get((r["engine"], r["key_bits"])))
    dest = ROOT / "build" / "bench" / "rtl.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(records, indent=1) + "\n")

    fmax = {}
    synth = ROOT / "build" / "bench" / "synth.json"
    if synth.exists():
        for s in json.loads(synth.read_text()):
            if s.get("device") == "ecp5-85f" and s.get("fmax_mhz"):
                fmax[s["engine"]] = s["fmax_mhz"]
    print(f"{'engine':6} {'mode':10} {'key':>4} {'dir':4} {'clk/blk':>8} {'target':>6} {'B/clk':>6}"
          + ("  MB/s @ ECP5 Fmax" if fmax else ""))
    ok = True
    for r in records:
        line = (f"{r['engine']:6} {r['mode']:10} {r['key_bits']:>4} {r['direction']:4} "
                f"{r['cycles_per_block']:>8.2f} {r['target_cycles_per_block']:>6} {r['bytes_per_cycle']:>6.3f}")
        f = fmax.get(r["rtl_top"])
        if f:
            line += f"  {r['bytes_per_cycle'] * f:8.1f} (at {f:.1f} MHz)"
        print(line)
        ok &= r["cycles_per_block"] <= r["target_cycles_per_block"]
    print(f"wrote {dest.relative_to(ROOT)}; all targets {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
