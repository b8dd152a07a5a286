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


def main() -> int:
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for top, module in (("aes_engine", "tb.aes_engine_tb"), ("sha256_engine", "tb.sha256_engine_tb")):
            out = Path(tmp) / f"{top}.json"
            assert_all_passed(run_cocotb(top, module, "verilator", testcase="sustained_throughput",
                                         extra_env={"VCRYPTO_BENCH_OUT": str(out)}))
            records += json.loads(out.read_text())
    for r in records:
        r["bytes_per_cycle"] = round(BLOCK_BYTES[r["engine"]] / r["cycles_per_block"], 4)
        r["target_cycles_per_block"] = TARGET[(r["engine"], r["key_bits"])]
    dest = ROOT / "build" / "bench" / "rtl.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(records, indent=1) + "\n")

    fmax = {}
    synth = ROOT / "build" / "bench" / "synth.json"
    if synth.exists():
        for s in json.loads(synth.read_text()):
            if s.get("device") == "ecp5-85f" and s.get("fmax_mhz"):
                fmax[s["engine"].split("_")[0][:3]] = s["fmax_mhz"]
    print(f"{'engine':6} {'mode':7} {'key':>4} {'dir':4} {'clk/blk':>8} {'target':>6} {'B/clk':>6}"
          + ("  MB/s @ ECP5 Fmax" if fmax else ""))
    ok = True
    for r in records:
        line = (f"{r['engine']:6} {r['mode']:7} {r['key_bits']:>4} {r['direction']:4} "
                f"{r['cycles_per_block']:>8.2f} {r['target_cycles_per_block']:>6} {r['bytes_per_cycle']:>6.3f}")
        f = fmax.get(r["engine"])
        if f:
            line += f"  {r['bytes_per_cycle'] * f:8.1f} (at {f:.1f} MHz)"
        print(line)
        ok &= r["cycles_per_block"] <= r["target_cycles_per_block"]
    print(f"wrote {dest.relative_to(ROOT)}; all targets {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
