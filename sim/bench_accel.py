"""`make bench` (accelerator part): build/bench/accel.json.

  * raw_model_cycles_per_s: the Verilator model ticking idle in the compiled loop;
  * sim_cycles_per_s: the full top while serving requests from another process (simulated
    cycles / wall time spent simulating them, as the process counts them);
  * *_4k_cycles_per_request: clocks from doorbell to completion interrupt for one 4 KiB
    request (AES-128-CBC, SHA-256, HMAC-SHA-256, AES-128-CBC + HMAC-SHA-256 chained), from
    the cocotb top test (exact cycle counts, independent of the machine);
  * requests_per_s / MB_per_s: 4 KiB AES-128-CBC requests through the two processes.
Wall-clock numbers depend on the machine and its load; cycle counts do not.
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bridge import abi  # noqa: E402
from bridge.accel_abi import Session  # noqa: E402
from bridge.accel_client import AccelClient, Request  # noqa: E402
from bridge.accel_model import run_request  # noqa: E402
from sim.accel_process import AcceleratorProcess, bench_idle  # noqa: E402
from sim.cocotb_run import ROOT, assert_all_passed, run_cocotb  # noqa: E402

ENGINE_CPB = {"aes128": 11, "sha256": 65}


def serve(n: int = 600, size: int = 4096) -> dict:
    rng = random.Random(7)
    with AcceleratorProcess(mem_bytes=64 << 20) as accel:
        client = AccelClient(accel.transport())
        s = Session(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
        ctx = client.create_context(s)
        reqs = [Request(abi.OPCODE_CIPHER, ctx, rng.randbytes(size), iv=rng.randbytes(16)) for _ in range(n)]
        before = accel.stats()
        t0 = time.perf_counter()
        done = client.run(reqs, timeout=600)
        wall = time.perf_counter() - t0
        after = accel.stats()
        bad = sum(r.dst != run_request(s, r.opcode, r.iv, r.src).dst for r in done)
        if bad:
            raise SystemExit(f"{bad} wrong results")
    cyc = after["busy_cycles"] - before["busy_cycles"]
    ns = after["busy_ns"] - before["busy_ns"]
    return {"sim_cycles_per_s": round(cyc / (ns / 1e9)), "requests_per_s": round(n / wall, 1),
            "MB_per_s": round(n * size / wall / 1e6, 3), "requests": n, "request_bytes": size,
            "simulated_cycles": cyc}


def cycles_per_request() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "top.json"
        assert_all_passed(run_cocotb("vcrypto_top", "tb.vcrypto_top_tb", "verilator",
                                     testcase="per_request_cycle_counts",
                                     extra_env={"VCRYPTO_BENCH_OUT": str(out)}))
        return json.loads(out.read_text())


def main() -> int:
    res = {}
    res.update(cycles_per_request())
    res["raw_model_cycles_per_s"] = round(bench_idle(3_000_000)["raw_model_cycles_per_s"])
    res.update(serve())
    res["sim_vs_raw"] = round(res["sim_cycles_per_s"] / res["raw_model_cycles_per_s"], 3)
    checks = {
        "aes128_cbc_4k <= 1.10 x 256 x 11": res["aes128_cbc_4k_cycles_per_request"] <= 1.10 * 256 * ENGINE_CPB["aes128"],
        "sha256_4k <= 1.10 x 65 x 65": res["sha256_4k_cycles_per_request"] <= 1.10 * 65 * ENGINE_CPB["sha256"],
        "chain <= 1.15 x hmac": res["chain_aes128cbc_hmacsha256_4k_cycles_per_request"]
                                <= 1.15 * res["hmac_sha256_4k_cycles_per_request"],
        "sim >= 1,000,000 cycles/s": res["sim_cycles_per_s"] >= 1_000_000,
        "sim >= 0.5 x raw": res["sim_vs_raw"] >= 0.5,
    }
    res["targets"] = checks
    dest = ROOT / "build" / "bench" / "accel.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(res, indent=1) + "\n")
    for k, v in res.items():
        if k != "targets":
            print(f"{k:52s} {v}")
    for k, ok in checks.items():
        print(f"target {k:45s} {'met' if ok else 'NOT met'}")
    print(f"wrote {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
