"""PNG plots of the measured figures, drawn from build/bench/*.json into docs/plots/.

    .venv/bin/python sim/bench_plots.py [--bench-dir DIR] [--out-dir DIR]

PLOTS below, each from the files `make bench` and `make synth` write (read with
sim/bench_tables.py's loader and names):

    throughput.png  MB/s against request size: vcrypto soft and RTL through the whole device
                    (device.json, `make bench-device`) and in the guest next to QEMU's builtin
                    backend (qemu.json, `make bench-qemu`); one panel per file that exists
    lanes.png       clocks per 4 KiB request against the accelerator's LANES, AES-128-CBC,
                    HMAC-SHA-256 and the mix, with the ideal 1/N (accel.json `lanes`,
                    `make bench-accel`)
    synth.png       LUT4 and post-route Fmax of each block on each device, the accelerator top
                    with its lanes when synth.json has it (synth.json, `make synth`)

Each plot has a title, units on its axes and a footnote naming its file. A plot whose file is
missing (or lacks the records it needs) is not drawn and the script says why; a PNG drawn
before stays as it is, like the tables of sim/bench_tables.py. `make bench` runs it after
sim/bench_tables.py. The PNGs carry no timestamp or version, so the same JSON gives the same
bytes. Always exits 0 (a missing plot is not an error); matplotlib's Agg backend, no display.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sim import bench_tables as bt  # noqa: E402

ROOT = bt.ROOT
OUT_DIR = ROOT / "docs" / "plots"
DPI = 100
COLORS = {"soft": "tab:blue", "rtl": "tab:red", "builtin": "tab:gray",
          "aes": "tab:blue", "hmac": "tab:orange", "mix": "tab:green",
          "ice40-hx8k": "tab:purple", "ecp5-85f": "tab:cyan"}


def footnote(fig, *sources: tuple[str, str]) -> None:
    """'Source: build/bench/X.json (make Y); ... drawn by sim/bench_plots.py' under the axes."""
    what = "; ".join(f"build/bench/{f} (make {t})" for f, t in sources)
    fig.text(0.01, 0.01, f"Source: {what}. Drawn by sim/bench_plots.py.", fontsize=8, color="dimgray",
             ha="left", va="bottom")


def size_label(b: float) -> str:
    if b >= 1024 and b % 1024 == 0:
        return f"{int(b) // 1024} KiB"
    return f"{int(b)} B"


def log_size_axis(ax, sizes: list[int]) -> None:
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(sorted(set(sizes))))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: size_label(v)))
    lo, hi = min(sizes), max(sizes)
    ax.set_xlim(lo / 1.6, hi * 1.6)


def plain(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 else f"{v:.3g}"


def minor_label(v: float, mantissas: tuple[int, ...]) -> str:
    """A minor tick of a log axis labelled when it is one of mantissas times a power of ten."""
    if v <= 0:
        return ""
    mant = v / 10 ** math.floor(math.log10(v) + 1e-9)
    return plain(v) if any(abs(mant - m) < 1e-6 for m in mantissas) else ""


def plain_log_y(ax) -> None:
    """Log y axis labelled in plain figures (after plotting: a narrow range gets more labels)."""
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    mantissas = (2, 3, 4, 5, 7) if hi / lo < 15 else (2, 5)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: plain(v)))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: minor_label(v, mantissas)))
    ax.tick_params(axis="y", which="minor", labelsize=8)
    ax.grid(True, which="major", alpha=0.4)
    ax.grid(True, which="minor", alpha=0.12)


# ------------------------------------------------------------------ throughput.png (device.json, qemu.json)
DEVICE_OPS = (("aes128_cbc", "AES-128-CBC enc", "-"), ("hmac_sha256", "HMAC-SHA-256", "--"))
QEMU_SIZES = (("4k", 4096), ("64k", 65536))
QEMU_BACKENDS = (("builtin", "QEMU builtin backend"), ("soft", "vcrypto soft (vhost-user)"),
                 ("rtl", "vcrypto RTL (vhost-user)"))


def num(x) -> float | None:
    """x if it is a positive figure (log axes), else None."""
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 else None


def device_panel(ax, d: dict) -> bool:
    """soft and rtl, MB/s at each request size of device.json; False if it has none."""
    series = []
    for op, oplabel, style in DEVICE_OPS:
        for dp in ("soft", "rtl"):
            recs = [(s, d.get(f"{dp}_{op}_{s}")) for s, _ in bt.SIZES]
            pts = [(s, num(r.get("MB_per_s"))) for s, r in recs if isinstance(r, dict) and num(r.get("MB_per_s"))]
            series.append((pts, style, COLORS[dp], f"{dp}, {oplabel}"))
    q, f = d.get("queues", "?"), d.get("inflight_per_queue", "?")
    return throughput_panel(ax, series, f"Whole device, in process\n({q} queues × {f} requests in flight)")


def qemu_panel(ax, d: dict) -> bool:
    """builtin, soft and rtl in the guest at 4 and 64 KiB, 1 and N streams; False if none."""
    jobs = d.get("parallel_streams", 4)
    series = []
    for b, label in QEMU_BACKENDS:
        for suffix, slabel, style in (("", "1 stream", "-"), (f"_jobs{jobs}", f"{jobs} streams", "--")):
            pts = [(s, num(d.get(f"{b}_{t}_mbps{suffix}"))) for t, s in QEMU_SIZES
                   if num(d.get(f"{b}_{t}_mbps{suffix}"))]
            series.append((pts, style, COLORS[b], f"{label}, {slabel}"))
    return throughput_panel(ax, series, "Linux guest in QEMU (TCG), AF_ALG cbc(aes) AES-128")


def throughput_panel(ax, series: list, title: str) -> bool:
    """MB/s against request size, one line per (points, style, colour, label) that has points;
    False (nothing drawn) if none has."""
    series = [s for s in series if s[0]]
    if not series:
        return False
    sizes = []
    for pts, style, color, label in series:
        xs, ys = zip(*pts)
        ax.plot(xs, ys, style, marker="o", color=color, label=label)
        sizes += xs
    ax.set_title(title, fontsize=10)
    log_size_axis(ax, sizes)
    plain_log_y(ax)
    ax.set_xlabel("request size")
    ax.set_ylabel("throughput (MB/s)")
    ax.legend(fontsize=8)
    return True


def plot_throughput(bench_dir: Path, out: Path) -> str:
    panels, reasons = [], []
    for fname, target, draw in (("device.json", "bench-device", device_panel), ("qemu.json", "bench-qemu", qemu_panel)):
        try:
            data = bt.load(fname, bench_dir)
        except bt.Missing as e:
            reasons.append(str(e))
            continue
        if not isinstance(data, dict):
            reasons.append(f"{fname}: not an object")
            continue
        panels.append((fname, target, draw, data))
    if not panels:
        raise bt.Missing("; ".join(reasons))
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.0), squeeze=False)
    used = []
    for ax, (fname, target, draw, data) in zip(axes[0], panels):
        if draw(ax, data):
            used.append((fname, target))
        else:
            reasons.append(f"{fname}: no throughput records")
            ax.remove()
    if not used:
        plt.close(fig)
        raise bt.Missing("; ".join(reasons))
    fig.suptitle("Throughput against request size: vcrypto soft and RTL datapaths" +
                 (", QEMU's builtin backend" if any(f == "qemu.json" for f, _ in used) else ""), fontsize=12)
    footnote(fig, *used)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save(fig, out)
    return "; ".join(reasons)


# ------------------------------------------------------------------ lanes.png (accel.json)
LANE_SERIES = (("aes128_cbc_4k_clocks_per_request", "AES-128-CBC", "aes"),
               ("hmac_sha256_4k_clocks_per_request", "HMAC-SHA-256", "hmac"),
               ("mixed_4k_clocks_per_request", "mix (AES-128-CBC and HMAC-SHA-256)", "mix"))


def plot_lanes(bench_dir: Path, out: Path) -> str:
    d = bt.load("accel.json", bench_dir)
    recs = [r for r in (d.get("lanes") or [] if isinstance(d, dict) else [])
            if isinstance(r, dict) and isinstance(r.get("lanes"), int) and not isinstance(r["lanes"], bool)
            and r["lanes"] > 0]
    if not recs:
        raise bt.Missing("accel.json: no 'lanes' records (make bench-accel, or sim/bench_accel.py --lanes-only)")
    recs.sort(key=lambda r: r["lanes"])
    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    lanes_seen, drew = [], False
    for key, label, c in LANE_SERIES:
        pts = [(r["lanes"], num(r.get(key))) for r in recs if num(r.get(key))]
        if not pts:
            continue
        xs, ys = zip(*pts)
        ax.plot(xs, ys, "-", marker="o", color=COLORS[c], label=f"{label}, measured", zorder=3)
        base = dict(pts).get(1)
        if base:                                         # the ideal: N lanes, N times fewer clocks
            ideal = [1, *sorted(set(xs) - {1})]
            ax.plot(ideal, [base / n for n in ideal], "-", lw=7, color=COLORS[c], alpha=0.2, solid_capstyle="round",
                    label=f"{label}, ideal: 1 lane / N", zorder=2)
            for x, y in pts:
                if x != 1:
                    ax.annotate(f"{y / base:.3f}×", (x, y), textcoords="offset points", xytext=(6, 4),
                                fontsize=8, color=COLORS[c])
        lanes_seen += xs
        drew = True
    if not drew:
        plt.close(fig)
        raise bt.Missing("accel.json: 'lanes' records without clocks per request")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(sorted(set(lanes_seen))))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(min(lanes_seen) / 1.3, max(lanes_seen) * 1.3)
    plain_log_y(ax)
    ax.set_xlabel("crypto lanes (LANES parameter of vcrypto_top)")
    ax.set_ylabel("clocks per 4 KiB request (steady state)")
    ax.set_title("Accelerator: clocks per 4 KiB request against lanes\n(many requests in flight; ratio to 1 lane "
                 "beside each point)", fontsize=11)
    ax.legend(fontsize=8, loc="lower left")
    footnote(fig, ("accel.json", "bench-accel"))
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    save(fig, out)
    return ""


# ------------------------------------------------------------------ synth.png (synth.json)
def block_name(r: dict) -> str | None:
    e = r.get("engine")
    if e in bt.BLOCK_NAMES:
        return bt.BLOCK_NAMES[e]
    if isinstance(e, str) and e.startswith("vcrypto_top") and r.get("lanes"):
        return f"accelerator top, {r['lanes']} lanes"
    return None


def plot_synth(bench_dir: Path, out: Path) -> str:
    data = bt.load("synth.json", bench_dir)
    if not isinstance(data, list):
        raise bt.Missing("synth.json: not a list of records")
    blocks: dict[str, dict[str, dict]] = {}
    other = []
    for r in data:
        if not isinstance(r, dict):
            continue
        name = block_name(r)
        if name is None:
            other.append(str(r.get("engine")))
            continue
        blocks.setdefault(name, {})[r.get("device", "?")] = r
    if not blocks:
        raise bt.Missing("synth.json: no record of a known block")
    order = {v: i for i, v in enumerate(bt.BLOCK_NAMES.values())}
    names = sorted(blocks, key=lambda b: (order.get(b, len(order)), b))
    devices = [dv for dv in bt.DEVICE_NAMES if any(dv in blocks[b] for b in names)]
    devices += sorted({dv for b in names for dv in blocks[b]} - set(devices))
    fig, (ax_l, ax_f) = plt.subplots(1, 2, figsize=(12, 0.55 * len(names) * max(len(devices), 1) + 2.2),
                                     sharey=True)
    h = 0.8 / max(len(devices), 1)
    for i, dv in enumerate(devices):
        ys = [j + (i - (len(devices) - 1) / 2) * h for j in range(len(names))]
        recs = [blocks[b].get(dv) for b in names]
        label = bt.DEVICE_NAMES.get(dv, dv)
        color = COLORS.get(dv)
        luts = [(num(r.get("luts")) or 0) if r else 0 for r in recs]
        fmax = [(num(r.get("fmax_mhz")) or 0) if r else 0 for r in recs]
        ax_l.barh(ys, luts, height=h, color=color, label=label)
        ax_f.barh(ys, fmax, height=h, color=color, label=label)
        for y, r, lv, fv in zip(ys, recs, luts, fmax):
            if r is None:
                continue
            if lv:
                ax_l.text(lv, y, f" {lv:,.0f}", va="center", fontsize=7)
            else:
                ax_l.text(0, y, " –", va="center", fontsize=7)
            note = r.get("note", "")
            why = "does not fit" if "fit" in note else "tool failed" if "failed" in note else "–"
            ax_f.text(fv, y, f" {fv:.1f}" if fv else f" {why}", va="center", fontsize=7)
    cap = bt.DEVICE_LUTS.get("ice40-hx8k")
    if cap and "ice40-hx8k" in devices:
        ax_l.axvline(cap, color=COLORS["ice40-hx8k"], ls=":", lw=1)
        ax_l.text(cap, len(names) - 0.45, f" iCE40 HX8K: {cap:,} LUTs", fontsize=7, color=COLORS["ice40-hx8k"],
                  va="bottom")
    ax_l.set_yticks(range(len(names)), names)
    ax_l.invert_yaxis()
    ax_l.set_xlabel("area (LUT4)")
    ax_f.set_xlabel("post-route Fmax (MHz)")
    ax_l.set_title("Area", fontsize=10)
    ax_f.set_title("Fmax (iCE40 in an IO wrapper, ECP5 out of context)", fontsize=10)
    for ax in (ax_l, ax_f):
        ax.grid(True, axis="x", alpha=0.4)
        ax.set_xlim(0, ax.get_xlim()[1] * 1.15)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: plain(v)))
    handles, labels = ax_l.get_legend_handles_labels()
    top = 1 - 0.7 / fig.get_figheight()
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, 1 - 0.35 / fig.get_figheight()))
    fig.suptitle("Synthesis: area and Fmax per block and device (yosys + nextpnr)", fontsize=12)
    footnote(fig, ("synth.json", "synth"))
    fig.tight_layout(rect=(0, 0.04, 1, top))
    save(fig, out)
    return f"not drawn: {', '.join(sorted(set(other)))}" if other else ""


# ------------------------------------------------------------------ main
PLOTS: dict[str, Callable[[Path, Path], str]] = {
    "throughput.png": plot_throughput,
    "lanes.png": plot_lanes,
    "synth.png": plot_synth,
}


def save(fig, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI, metadata={"Software": None})   # no version string: same JSON, same bytes
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench-dir", type=Path, default=ROOT / "build" / "bench")
    ap.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    for name, draw in PLOTS.items():
        out = args.out_dir / name
        try:
            remark = draw(args.bench_dir, out)
        except bt.Missing as e:
            kept = f"{out} kept as it is" if out.exists() else "no PNG"
            print(f"  {name}: not drawn ({e}); {kept}")
            continue
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            plt.close("all")
            kept = f"{out} kept as it is" if out.exists() else "no PNG"
            print(f"  {name}: not drawn (unexpected records: {e!r}); {kept}")
            continue
        print(f"  {name}: wrote {out}" + (f" ({remark})" if remark else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
