"""`make bench` (accelerator part): build/bench/accel.json.

  * *_4k_cycles_per_request: clocks from doorbell to completion interrupt for one 4 KiB
    request (AES-128-CBC, SHA-256, HMAC-SHA-256, AES-128-CBC + HMAC-SHA-256 chained), from
    the cocotb top test (exact cycle counts, independent of the machine);
  * process_cycles_per_request: the same clocks counted by the accelerator process itself
    (doorbell write response to the interrupt's rising edge, one request at a time) for the
    build as served (the simulation views: table S-box, idle blocks clock-gated)
    and for the RTL as synthesised (tower S-box, free-running clock): the same hardware must
    give the same counts;
  * sim_speed: simulated clocks per second of the whole top while it serves 4 KiB
    AES-128-CBC and HMAC-SHA-256 requests from this process (two processes, 4 queues,
    interrupts, every result checked), for four builds measured in the same run, interleaved
    (the order rotates), medians of VCRYPTO_BENCH_ROUNDS (default 5) rounds:
      - main_0bce809: main at 0bce809 built as it was there (its own sim/accel_process.py
        from `git archive`: tower S-box, -O2, tracing, its harness), issue #17's reference;
      - main_build_of_this_rtl: that same build() run on today's file list;
      - this_on_0bce809_rtl: this build (table S-box, -O3, PGO, this harness) of 0bce809's RTL
        (which has no clock gates);
      - this: this build of today's RTL (what the bridge gets).
    Each figure twice: clocks / wall time spent simulating them (as the process counts them:
    `cycles_per_s`) and clocks / CPU time of the process (`cycles_per_cpu_s`, which a busy
    machine disturbs less). sim_speed_ratios: this build vs main's on the same RTL (0bce809's
    and today's), today's vs main at 0bce809, and what the RTL's growth since costs;
  * raw_model_cycles_per_s: the model ticking idle in the compiled loop (this build);
  * sim_cycles_per_s / requests_per_s / MB_per_s: 4 KiB AES-128-CBC through the two processes;
  * lanes: per LANES in (1, 2, 4), from the cocotb top test throughput_at_steady_state (exact
    clocks): clocks per 4 KiB request with 4 rings x 8 in flight (AES-128-CBC, HMAC-SHA-256, a
    mix of AES-128-CBC, HMAC-SHA-256, chained and SHA-256) and one AES-128-CBC request alone;
    lanes_cosim: the co-simulation's wall-clock requests/s per LANES (one 4 KiB request at a
    time, and 32 in flight), what `vcrypto serve/run --lanes` trades.
    `python sim/bench_accel.py --lanes-only` measures just these and updates accel.json.
Wall-clock numbers depend on the machine and its load; cycle counts do not.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bridge import abi  # noqa: E402
from bridge.accel_abi import Context  # noqa: E402
from bridge.accel_client import AccelClient, Request  # noqa: E402
from bridge.accel_model import run_request  # noqa: E402
from sim.accel_process import AcceleratorProcess, bench_idle, build, build_info  # noqa: E402
from sim.bench_baseline import BASE_COMMIT, BENCH, base_tree  # noqa: E402
from sim.cocotb_run import ROOT, assert_all_passed, rtl_sources, run_cocotb  # noqa: E402

ENGINE_CPB = {"aes128": 11, "sha256": 65}
SPEEDUP_TARGET = 3.0


# ---------------------------------------------------------------- the builds compared
def build_base() -> Path:
    """main's accelerator as main builds it: its own build() in its own tree (-O2, tower S-box,
    FST tracing compiled in, the harness of the time)."""
    src = base_tree()
    code = "import sys; sys.path.insert(0, '.'); from sim.accel_process import build; print(build())"
    r = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"building main at {BASE_COMMIT} failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    return Path(r.stdout.strip().splitlines()[-1])


def build_base_recipe(sources: list[Path]) -> Path:
    """main's build of other RTL: BASE_COMMIT's own build() (its harness, flags and tower
    S-box) run on `sources` instead of its file list: what this RTL would simulate at without
    this work."""
    src = base_tree()
    out = BENCH / f"main-{BASE_COMMIT}-build-of-this-rtl"
    code = ("import sys, json; sys.path.insert(0, '.'); from pathlib import Path; import sim.accel_process as a\n"
            f"files = [Path(p) for p in json.loads({json.dumps(json.dumps([str(p) for p in sources]))})]\n"
            "a.rtl_sources = lambda top: files\n"
            f"a.BUILD = Path({str(out)!r}); a.BINARY = a.BUILD / 'vcrypto_accel'\n"
            "print(a.build())")
    r = subprocess.run([sys.executable, "-c", code], cwd=src, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"main's build of this RTL failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    return Path(r.stdout.strip().splitlines()[-1])


def build_this_on_base_rtl() -> Path:
    """This build of main's RTL: BASE_COMMIT's file list (rtl/top/vcrypto_top.f), its
    aes_sbox.sv replaced by this one (the same tower lane, plus the table switch)."""
    src = base_tree()
    lines = (ln.split("//", 1)[0].strip() for ln in (src / "rtl" / "top" / "vcrypto_top.f").read_text().splitlines())
    files = [src / ln for ln in lines if ln]
    files = [ROOT / "rtl" / "aes" / "aes_sbox.sv" if p.name == "aes_sbox.sv" else p for p in files]
    return build(sources=files, build_dir=BENCH / f"this-on-{BASE_COMMIT}-rtl", lanes_param=False, clock_gate=False)


# ---------------------------------------------------------------- measurements
def _cpu_seconds(pid: int) -> float:
    """CPU time of a process: /proc/PID/schedstat (ns), else utime + stime (clock ticks)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


WORKLOADS = {
    # name: (context, opcode, requests per run)
    "aes128_cbc_4k": (lambda rng: Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16)),
                      abi.OPCODE_CIPHER, 200),
    "hmac_sha256_4k": (lambda rng: Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=rng.randbytes(32)),
                       abi.OPCODE_MAC, 130),
}


# speed_run and process_cycles_per_request in main's tree at BASE_COMMIT: its client, context
# layout and reference model (the ring ABI's context grew since, so today's client cannot drive
# that RTL), serving `binary`. argv: binary, [(workload, requests)], "speed" or "clocks". That
# tree's AcceleratorProcess has no stats=; for "clocks" its VCRYPTO_ACCEL_WRAPPER hook runs the
# binary through a script that adds --stats.
_TREE_RUN = r"""
import json, os, random, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, ".")
from bridge import abi
from bridge.accel_abi import Session
from bridge.accel_client import AccelClient, Request
from bridge.accel_model import run_request
import sim.accel_process as ap
binary, workloads, mode = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
ap.build = lambda *a, **k: binary
def cpu(pid):
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
def requests(name, client, rng, n):
    key = rng.randbytes(16) if name.startswith("aes") else rng.randbytes(32)
    s, op = ((Session(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=key), abi.OPCODE_CIPHER) if name.startswith("aes")
             else (Session(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=key), abi.OPCODE_MAC))
    ctx = client.create_context(s)
    return s, ctx, [Request(op, ctx, rng.randbytes(4096), iv=rng.randbytes(16), digest_len=s.digest_len) for _ in range(n)]
out = {}
if mode == "clocks":
    rng = random.Random(9)
    for name, _ in workloads:
        with tempfile.TemporaryDirectory() as tmp:
            stats, wrap = Path(tmp) / "stats.json", Path(tmp) / "wrap.sh"
            wrap.write_text(f'#!/bin/sh\nexec "$@" --stats {stats}\n')
            wrap.chmod(0o755)
            os.environ["VCRYPTO_ACCEL_WRAPPER"] = str(wrap)
            with ap.AcceleratorProcess(mem_bytes=16 << 20) as accel:
                client = AccelClient(accel.transport())
                for r in requests(name, client, rng, 4)[2]:
                    client.run([r])
            hist = {int(k): v for k, v in json.loads(stats.read_text())["doorbell_to_irq"].items()}
        out[name] = max(hist, key=lambda k: (hist[k], -k))
    print(json.dumps(out))
    sys.exit(0)
rng = random.Random(7)
with ap.AcceleratorProcess(mem_bytes=64 << 20) as accel:
    client = AccelClient(accel.transport())
    for name, n in workloads:
        s, ctx, reqs = requests(name, client, rng, n)
        before, cpu0, t0 = accel.stats(), cpu(accel.proc.pid), time.perf_counter()
        done = client.run(reqs, timeout=600)
        wall = time.perf_counter() - t0
        after, cpu1 = accel.stats(), cpu(accel.proc.pid)
        bad = 0
        for r in done:
            want = run_request(s, r.opcode, r.iv, r.src)
            bad += r.dst != want.dst or r.digest != want.digest
        if bad or len(done) != n:
            sys.exit(f"{binary}: {bad} wrong results in {name}")
        cyc = after["busy_cycles"] - before["busy_cycles"]
        out[name] = {"cycles_per_s": cyc / ((after["busy_ns"] - before["busy_ns"]) / 1e9),
                     "cycles_per_cpu_s": cyc / max(cpu1 - cpu0, 1e-3), "requests_per_s": n / wall, "cycles": cyc}
        client.destroy_context(ctx)
print(json.dumps(out))
"""


def _run_in_tree(tree: Path, binary: Path, mode: str) -> dict:
    r = subprocess.run([sys.executable, "-c", _TREE_RUN, str(Path(binary).resolve()),
                        json.dumps([(name, n) for name, (_, _, n) in WORKLOADS.items()]), mode],
                       cwd=tree, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{binary} with the client of {tree}: {r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def speed_run(binary: Path, tree: Path | None = None) -> dict:
    """One process: each workload's requests through AccelClient.run (4 queues, interrupts),
    every result checked; clocks per wall second and per CPU second of the process. tree: drive
    the binary with that tree's client (main at BASE_COMMIT, for a binary of its RTL)."""
    if tree is not None:
        return _run_in_tree(tree, binary, "speed")
    rng = random.Random(7)
    out = {}
    with AcceleratorProcess(mem_bytes=64 << 20, binary=binary) as accel:
        client = AccelClient(accel.transport())
        for name, (make_ctx, op, n) in WORKLOADS.items():
            s = make_ctx(rng)
            ctx = client.create_context(s)
            reqs = [Request(op, ctx, rng.randbytes(4096), iv=rng.randbytes(16), digest_len=s.digest_len)
                    for _ in range(n)]
            before, cpu0, t0 = accel.stats(), _cpu_seconds(accel.pid), time.perf_counter()
            done = client.run(reqs, timeout=600)
            wall = time.perf_counter() - t0
            after, cpu1 = accel.stats(), _cpu_seconds(accel.pid)
            bad = 0
            for r in done:
                want = run_request(s, r.opcode, r.iv, r.src)
                bad += r.dst != want.dst or r.digest != want.digest
            if bad or len(done) != n:
                raise SystemExit(f"{binary}: {bad} wrong results in {name}")
            cyc = after["busy_cycles"] - before["busy_cycles"]
            out[name] = {"cycles_per_s": cyc / ((after["busy_ns"] - before["busy_ns"]) / 1e9),
                         "cycles_per_cpu_s": cyc / max(cpu1 - cpu0, 1e-3),
                         "requests_per_s": n / wall, "cycles": cyc}
            client.destroy_context(ctx)
    return out


def process_cycles_per_request(binary: Path, tree: Path | None = None) -> dict:
    """Doorbell-to-interrupt clocks counted by the process (--stats), one request at a time:
    a first AES request loads the key, then 3 of each workload; the count seen most. tree: as
    for speed_run."""
    if tree is not None:
        return _run_in_tree(tree, binary, "clocks")
    out = {}
    rng = random.Random(9)
    for name, (make_ctx, op, _) in WORKLOADS.items():
        with tempfile.TemporaryDirectory() as tmp:
            stats = Path(tmp) / "stats.json"
            with AcceleratorProcess(mem_bytes=16 << 20, binary=binary, stats=stats) as accel:
                client = AccelClient(accel.transport())
                s = make_ctx(rng)
                ctx = client.create_context(s)
                for _ in range(4):
                    client.run([Request(op, ctx, rng.randbytes(4096), iv=rng.randbytes(16), digest_len=s.digest_len)])
            hist = {int(k): v for k, v in accel.exit_stats()["doorbell_to_irq"].items()}
        out[name] = max(hist, key=lambda k: (hist[k], -k))
    return out


def cycles_per_request() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "top.json"
        assert_all_passed(run_cocotb("vcrypto_top", "tb.vcrypto_top_tb", "verilator",
                                     testcase="per_request_cycle_counts",
                                     extra_env={"VCRYPTO_BENCH_OUT": str(out)}))
        return json.loads(out.read_text())


def serve(n: int = 600, size: int = 4096) -> dict:
    rng = random.Random(7)
    with AcceleratorProcess(mem_bytes=64 << 20) as accel:
        client = AccelClient(accel.transport())
        s = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
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


def sim_speed(variants: dict[str, Path], rounds: int, trees: dict[str, Path] | None = None) -> dict:
    """Interleaved rounds (the order rotates every round), medians per variant and workload;
    trees: the variants whose RTL is main's at BASE_COMMIT, with the tree whose client drives it."""
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    names = list(variants)
    trees = trees or {}
    for r in range(rounds):
        for v in names[r % len(names):] + names[:r % len(names)]:
            runs[v].append(speed_run(variants[v], trees.get(v)))
            print(f"  round {r + 1}/{rounds} {v:22s} " + "  ".join(
                f"{w} {runs[v][-1][w]['cycles_per_s'] / 1e6:.2f} M/s ({runs[v][-1][w]['cycles_per_cpu_s'] / 1e6:.2f} M/cpu-s)"
                for w in WORKLOADS), flush=True)
    res: dict = {}
    for w in WORKLOADS:
        res[w] = {v: {k: round(statistics.median(x[w][k] for x in runs[v]))
                      for k in ("cycles_per_s", "cycles_per_cpu_s", "requests_per_s")}
                  for v in names}
        for v in names:
            res[w][v]["runs_cycles_per_s"] = [round(x[w]["cycles_per_s"]) for x in runs[v]]
    return res


# ---------------------------------------------------------------- crypto lanes
LANE_COUNTS = (1, 2, 4)
SINGLE_LANE_LATENCY = 2857        # 4 KiB AES-128-CBC, doorbell to interrupt, before the lanes


def lanes_records() -> list[dict]:
    """Per LANES: the cocotb top test throughput_at_steady_state's exact clock counts."""
    out = []
    for n in LANE_COUNTS:
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "lanes.json"
            assert_all_passed(run_cocotb("vcrypto_top", "tb.vcrypto_top_tb", "verilator",
                                         testcase="throughput_at_steady_state", parameters={"LANES": n},
                                         extra_env={"VCRYPTO_BENCH_LANES_OUT": str(f)}))
            out.append(json.loads(f.read_text()))
            print(f"  lanes {n}: {out[-1]}", flush=True)
    return out


def lanes_cosim(n_single: int = 100, n_deep: int = 400) -> list[dict]:
    """Per LANES: 4 KiB AES-128-CBC requests/s through the two processes, one at a time and 32
    in flight (4 queues), and the model's idle clocks/s: the wall-clock side of the lanes."""
    out = []
    for n in LANE_COUNTS:
        rng = random.Random(3)
        rec = {"lanes": n, "raw_model_cycles_per_s": round(bench_idle(1_000_000, lanes=n)["raw_model_cycles_per_s"])}
        with AcceleratorProcess(mem_bytes=64 << 20, lanes=n) as accel:
            client = AccelClient(accel.transport())
            s = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
            ctx = client.create_context(s)
            for name, count, depth in (("one_at_a_time", n_single, 1), ("32_in_flight", n_deep, 32)):
                reqs = [Request(abi.OPCODE_CIPHER, ctx, rng.randbytes(4096), iv=rng.randbytes(16)) for _ in range(count)]
                t0 = time.perf_counter()
                for i in range(0, count, depth):
                    client.run(reqs[i:i + depth], timeout=600)
                rec[f"aes128_cbc_4k_requests_per_s_{name}"] = round(count / (time.perf_counter() - t0), 1)
        out.append(rec)
        print(f"  lanes {n}: {rec}", flush=True)
    return out


def lanes_checks(recs: list[dict]) -> dict[str, bool]:
    by = {r["lanes"]: r for r in recs}
    checks = {}
    for w in ("aes128_cbc", "hmac_sha256"):
        k = f"{w}_4k_clocks_per_request"
        checks[f"lanes 4: {w} clocks/request <= 0.30 x lanes 1"] = by[4][k] <= 0.30 * by[1][k]
        checks[f"lanes 2: {w} clocks/request <= 0.55 x lanes 1"] = by[2][k] <= 0.55 * by[1][k]
    checks[f"lanes 4: single request <= 1.02 x {SINGLE_LANE_LATENCY:,}"] = \
        by[4]["single_request_latency_clocks"] <= 1.02 * SINGLE_LANE_LATENCY
    return checks


def lanes_only() -> int:
    """`--lanes-only`: the lanes' records into build/bench/accel.json, the rest kept."""
    dest = BENCH / "accel.json"
    res = json.loads(dest.read_text()) if dest.exists() else {}
    res["lanes"] = lanes_records()
    res["lanes_cosim"] = lanes_cosim()
    checks = lanes_checks(res["lanes"])
    res.setdefault("targets", {}).update(checks)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(res, indent=1) + "\n")
    for k, ok in checks.items():
        print(f"target {k:66s} {'met' if ok else 'NOT met'}")
    print(f"wrote {dest.relative_to(ROOT)}")
    return 0


# (numerator, denominator, what the ratio says)
RATIOS = {
    "same_rtl_as_0bce809": ("this_on_0bce809_rtl", "main_0bce809",
                            "this build vs main's, both of the RTL of 0bce809 (the same hardware)"),
    "same_rtl_as_now": ("this", "main_build_of_this_rtl",
                        "this build vs main's, both of the RTL as it is now (the same hardware)"),
    "now_vs_0bce809": ("this", "main_0bce809",
                       "what the bridge gets now vs main at 0bce809 (includes the RTL's growth since)"),
    "rtl_growth": ("main_build_of_this_rtl", "main_0bce809",
                   "main's build of today's RTL vs of its own: what the RTL added since costs"),
}


def main() -> int:
    rounds = int(os.environ.get("VCRYPTO_BENCH_ROUNDS", "5"))
    res: dict = {}
    res.update(cycles_per_request())
    print("building: this build (simulation views, and as synthesised), main at 0bce809, main's build of this RTL, "
          "this build of 0bce809's RTL ...", flush=True)
    this = build()
    synthesised = build(sbox="tower", clock_gate=False, pgo=False)
    variants = {"main_0bce809": build_base(), "main_build_of_this_rtl": build_base_recipe(rtl_sources("vcrypto_top")),
                "this_on_0bce809_rtl": build_this_on_base_rtl(), "this": this}
    res["builds"] = {v: {"binary": str(p.relative_to(ROOT)), **build_info(p)}
                     for v, p in variants.items() if v.startswith("this")}
    res["builds"]["main_0bce809"] = {"binary": str(variants["main_0bce809"].relative_to(ROOT)),
                                     "how": f"main's own sim/accel_process.py build() at {BASE_COMMIT}, its RTL"}
    res["builds"]["main_build_of_this_rtl"] = {"binary": str(variants["main_build_of_this_rtl"].relative_to(ROOT)),
                                               "how": f"main's own build() at {BASE_COMMIT} on today's file list"}
    # measure copies: a test elsewhere may rebuild build/accel while this runs
    snap = BENCH / "bin"
    snap.mkdir(parents=True, exist_ok=True)
    for v, p in list(variants.items()) + [("as_synthesised", synthesised)]:
        shutil.copy2(p, snap / v)
    variants = {v: snap / v for v in variants}
    this, synthesised = variants["this"], snap / "as_synthesised"
    base_src = base_tree()
    res["process_cycles_per_request"] = {
        "this (simulation views)": process_cycles_per_request(this),
        "this (as synthesised)": process_cycles_per_request(synthesised),
        "this_on_0bce809_rtl": process_cycles_per_request(variants["this_on_0bce809_rtl"], base_src)}
    print(f"simulation speed, {rounds} interleaved rounds:", flush=True)
    sp = res["sim_speed"] = sim_speed(variants, rounds, trees={"main_0bce809": base_src,
                                                               "this_on_0bce809_rtl": base_src})
    res["sim_speed_ratios"] = {
        w: {k: {"wall": round(sp[w][a]["cycles_per_s"] / sp[w][b]["cycles_per_s"], 2),
                "cpu": round(sp[w][a]["cycles_per_cpu_s"] / sp[w][b]["cycles_per_cpu_s"], 2), "what": what}
            for k, (a, b, what) in RATIOS.items()}
        for w in WORKLOADS}
    for w in WORKLOADS:
        res[f"{w}_sim_cycles_per_s"] = sp[w]["this"]["cycles_per_s"]
        res[f"{w}_sim_cycles_per_s_main_0bce809"] = sp[w]["main_0bce809"]["cycles_per_s"]
    res["raw_model_cycles_per_s"] = round(bench_idle(3_000_000)["raw_model_cycles_per_s"])
    res.update(serve())
    res["sim_vs_raw"] = round(res["sim_cycles_per_s"] / res["raw_model_cycles_per_s"], 3)
    print("crypto lanes (clocks per request, cocotb) and the co-simulation per LANES:", flush=True)
    res["lanes"] = lanes_records()
    res["lanes_cosim"] = lanes_cosim()
    pc = res["process_cycles_per_request"]
    rt = res["sim_speed_ratios"]
    checks = {
        "aes128_cbc_4k <= 1.10 x 256 x 11": res["aes128_cbc_4k_cycles_per_request"] <= 1.10 * 256 * ENGINE_CPB["aes128"],
        "sha256_4k <= 1.10 x 65 x 65": res["sha256_4k_cycles_per_request"] <= 1.10 * 65 * ENGINE_CPB["sha256"],
        "chain <= 1.15 x hmac": res["chain_aes128cbc_hmacsha256_4k_cycles_per_request"]
                                <= 1.15 * res["hmac_sha256_4k_cycles_per_request"],
        "aes128_gcm_4k <= 1.05 x aes128_ctr_4k": res["aes128_gcm_4k_clocks_per_request"]
                                                 <= 1.05 * res["aes128_ctr_4k_clocks_per_request"],
        # the same hardware built with the simulation views and as synthesised (0bce809's RTL is
        # other hardware: its counts are reported, not compared; the lanes' register slices
        # added clocks since)
        "process clocks/request: simulation views == as synthesised":
            pc["this (simulation views)"] == pc["this (as synthesised)"],
        "sim >= 1,000,000 cycles/s": res["sim_cycles_per_s"] >= 1_000_000,
        # (sim_vs_raw is reported, no longer checked against 0.5: with idle blocks clock-gated
        # the idle model skips most of what a request runs, so the ratio stopped measuring the
        # harness's share; 0.47 on 2026-12-02 at a 6.2 M idle model, 0.57 before the DMA and
        # fetch unit were gated)
    }
    for w in WORKLOADS:
        for k in ("same_rtl_as_0bce809", "same_rtl_as_now", "now_vs_0bce809"):
            checks[f"{w} clocks/s {k} >= {SPEEDUP_TARGET:g}x"] = rt[w][k]["wall"] >= SPEEDUP_TARGET
    checks.update(lanes_checks(res["lanes"]))
    res["targets"] = checks
    dest = BENCH / "accel.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(res, indent=1) + "\n")
    for k, v in res.items():
        if k not in ("targets", "sim_speed", "sim_speed_ratios", "builds", "process_cycles_per_request", "lanes",
                     "lanes_cosim"):
            print(f"{k:52s} {v}")
    print("process-counted clocks per 4 KiB request:", json.dumps(pc))
    print("simulated clocks/s, medians (per wall second simulating / per CPU second of the process):")
    for w in WORKLOADS:
        print(f"  {w}: " + ", ".join(f"{v} {sp[w][v]['cycles_per_s'] / 1e6:.2f} M / {sp[w][v]['cycles_per_cpu_s'] / 1e6:.2f} M"
                                     for v in variants))
        for k, x in rt[w].items():
            print(f"    {k:22s} x{x['wall']:.2f} (cpu x{x['cpu']:.2f})  {x['what']}")
    for k, ok in checks.items():
        print(f"target {k:66s} {'met' if ok else 'NOT met'}")
    print(f"wrote {dest.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(lanes_only() if sys.argv[1:] == ["--lanes-only"] else main())
