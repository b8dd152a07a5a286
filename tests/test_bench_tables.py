"""sim/bench_tables.py: the README blocks between <!-- bench:NAME --> markers are rewritten from
build/bench/*.json, everything else is left alone, a block whose file is missing stays as it
is, and --check says whether a block would change. Small fake JSON in a tmp dir; no simulator."""
import json
from pathlib import Path

import pytest

from sim import bench_tables as bt

ROOT = Path(__file__).resolve().parents[1]

RTL = [
    {"engine": "aes", "mode": m, "key_bits": k, "direction": d, "cycles_per_block": float(c), "rtl_top": "aes_engine",
     "bytes_per_cycle": round(16 / c, 4), "target_cycles_per_block": c}
    for m in ("ecb", "cbc") for k, c in ((128, 11), (256, 15)) for d in ("enc", "dec")
] + [{"engine": "sha", "mode": "sha256", "key_bits": 0, "direction": "hash", "cycles_per_block": 65.0,
      "rtl_top": "sha256_engine", "bytes_per_cycle": 0.9846, "target_cycles_per_block": 65}]
ACCEL = {"aes128_cbc_4k_cycles_per_request": 2863, "sha256_4k_cycles_per_request": 4282,
         "hmac_sha256_4k_cycles_per_request": 4354, "chain_aes128cbc_hmacsha256_4k_cycles_per_request": 4395,
         "process_cycles_per_request": {"this (simulation views)": {"aes128_cbc_4k": 2858, "hmac_sha256_4k": 4349}},
         "sim_speed": {w: {b: {"cycles_per_s": 1_234_000, "cycles_per_cpu_s": 2_500_000}
                           for b in ("main_0bce809", "this")} for w in ("aes128_cbc_4k", "hmac_sha256_4k")},
         "sim_speed_ratios": {w: {"same_rtl_as_0bce809": {"wall": 3.03, "cpu": 3.36}}
                              for w in ("aes128_cbc_4k", "hmac_sha256_4k")}}
DEVICE = {"queues": 4, "inflight_per_queue": 8, "rtl_efficiency": 0.987, "stateless_vs_session_rtl_4k": 0.97,
          "rtl_efficiency_512": 0.946, "rtl_efficiency_4096": 0.987,
          "stateless_vs_session_rtl_4k_hmac_sha256": 0.95,
          **{f"{dp}_{op}_{s}": {"requests_per_s": 361.4, "MB_per_s": 1.48, "requests": 700}
             for dp in ("soft", "rtl") for op in ("aes128_cbc", "hmac_sha256") for s in (64, 512, 4096, 65536)}}
DEVICE["rtl_aes128_cbc_4096"].update(cycles_per_request=2853, rtl_efficiency=0.987)
DEVICE.update(soft_inprocess_cpu_requests_per_s_4k=21437, soft_inprocess_cpu_requests_per_s_4k_0bce809=17252,
              soft_inprocess_vs_0bce809_4k=1.243, soft_inprocess_device_us_per_request_4k=27.5,
              soft_inprocess_driver_model_us_per_request_4k=19.1, soft_inprocess_device_us_per_request_4k_0bce809=30.4,
              soft_inprocess_driver_model_us_per_request_4k_0bce809=27.6, soft_inprocess_aes_call_us_4k=6.5,
              soft_inprocess_ceiling_vs_0bce809_4k=2.26)
SYNTH = [{"engine": "aes_engine", "device": "ice40-hx8k", "luts": 6190, "ffs": 1010, "brams": 8, "fmax_mhz": 43.98,
          "mbit_s": 511.8},
         {"engine": "vcrypto_top", "device": "ice40-hx8k", "luts": 20479, "ffs": 7028, "brams": 8, "fmax_mhz": None,
          "note": "does not fit"},
         {"engine": "something_ad_hoc", "device": "ecp5-85f", "luts": 1, "ffs": 1, "brams": 0, "fmax_mhz": 1.0}]
QEMU = {"seconds_per_size": 4.0, "parallel_streams": 4, "rounds_best_of": 2,
        **{f"{b}_{t}_mbps{s}": 10.0 for b in ("builtin", "builtin_intx", "soft", "rtl")
           for t in ("4k", "64k") for s in ("", "_jobs4")},
        "soft_vs_builtin_4k": 0.56, "soft_vs_builtin_4k_jobs4": 0.89, "soft_vs_builtin_intx_4k": 0.55,
        "soft_vs_builtin_intx_4k_jobs4": 0.86, "builtin_intx_4k_round_trip_us": 125.0, "soft_4k_round_trip_us": 246.0,
        "soft_4k_backend_cpu_us_per_request": 81.0, "soft_4k_round_trip_without_backend_cpu_us": 165.0,
        "soft_4k_backend_cpu_us_per_request_0bce809": 90.0, "soft_4k_backend_cpu_vs_0bce809": 0.9,
        "soft_4k_python_path_backend_cpu_us_per_request": 85.0, "soft_4k_python_path_backend_cpu_vs_0bce809": 0.944,
        "soft_4k_native_lane_share": 0.997,
        "zero_cost_backend_vs_builtin_intx_4k": 0.758, "rtl_simulated_cycles_per_request": 5600,
        "crypto_call_python_512_us": 3.0, "crypto_call_python_4k_us": 4.8, "python_floor_512_us": 19.4,
        "python_floor_4k_us": 21.2, "python_floor_vs_0bce809_512": 0.308, "python_floor_vs_0bce809_4k": 0.352,
        "python_floor_backend_vs_builtin_intx_4k": 0.946,
        "soft_guest_kicks_per_request_by_round": [0.991, 0.98], "soft_interrupts_per_request_by_round": [0.99, 0.979],
        "soft_interrupt_holds_per_request_by_round": [0.21, 0.2],
        "bare_python_backend_512_us": 16.2, "bare_python_backend_4k_us": 18.4, "bare_python_backend_vs_0bce809_512": 0.331,
        "bare_python_backend_vs_0bce809_4k": 0.354}

README = """# demo

Prose with a figure typed by hand: 12,345 clocks.

<!-- bench:rtl -->
old engines table
<!-- /bench:rtl -->

Between the blocks.

<!-- bench:accel -->
old accelerator table
<!-- /bench:accel -->

<!-- bench:qemu -->
hand-typed qemu figures, kept while qemu.json is missing
<!-- /bench:qemu -->

The end.
"""


def bench_dir(tmp_path: Path, **files) -> Path:
    d = tmp_path / "bench"
    d.mkdir()
    for name, data in files.items():
        (d / f"{name}.json").write_text(json.dumps(data))
    return d


def test_blocks_regenerated_rest_untouched(tmp_path, capsys):
    d = bench_dir(tmp_path, rtl=RTL, accel=ACCEL)
    readme = tmp_path / "README.md"
    readme.write_text(README)
    assert bt.main(["--bench-dir", str(d), str(readme)]) == 0
    new = readme.read_text()
    assert "old engines table" not in new and "old accelerator table" not in new
    assert "| AES | ECB, CBC | 128 | 11.00 | ≤ 11 | 1.45 |" in new
    assert "| SHA-256 | SHA-256 | – | 65.00 | ≤ 65 | 0.98 |" in new
    assert "| AES-128-CBC | 2,863 | ≤ 1.10 × 256 × 11 = 3,098 | 2,858 |" in new
    assert "from `build/bench/rtl.json`" in new and "from `build/bench/accel.json`" in new
    # the qemu block (no qemu.json) and all prose stay as they were
    assert "hand-typed qemu figures, kept while qemu.json is missing" in new
    for line in ("Prose with a figure typed by hand: 12,345 clocks.", "Between the blocks.", "The end."):
        assert line in new
    assert new.count("<!-- bench:") == new.count("<!-- /bench:") == 3
    out = capsys.readouterr().out
    assert "bench:qemu: left as it is" in out and "qemu.json missing" in out
    # a second run changes nothing
    assert bt.main(["--bench-dir", str(d), str(readme)]) == 0
    assert readme.read_text() == new


def test_check(tmp_path):
    d = bench_dir(tmp_path, rtl=RTL)
    readme = tmp_path / "README.md"
    readme.write_text(README)
    assert bt.main(["--check", "--bench-dir", str(d), str(readme)]) == 1
    assert readme.read_text() == README                 # --check writes nothing
    assert bt.main(["--bench-dir", str(d), str(readme)]) == 0
    assert bt.main(["--check", "--bench-dir", str(d), str(readme)]) == 0
    # nothing to read at all: every block stays, nothing is stale
    readme.write_text(README)
    assert bt.main(["--check", "--bench-dir", str(tmp_path / "none"), str(readme)]) == 0


LANES = {"lanes": [{"lanes": 1, "aes128_cbc_4k_clocks_per_request": 2000, "hmac_sha256_4k_clocks_per_request": 4000,
                    "mixed_4k_clocks_per_request": 3000, "single_request_latency_clocks": 2900},
                   {"lanes": 4, "aes128_cbc_4k_clocks_per_request": 500, "hmac_sha256_4k_clocks_per_request": 1100,
                    "mixed_4k_clocks_per_request": 900, "single_request_latency_clocks": 2905}],
         "lanes_cosim": [{"lanes": 1, "aes128_cbc_4k_requests_per_s_one_at_a_time": 300.0,
                          "aes128_cbc_4k_requests_per_s_32_in_flight": 350.0}]}


@pytest.mark.parametrize("name, data, expect", [
    ("device", DEVICE, ["| rtl | AES-128-CBC enc | 361 req/s | 361 req/s (1.48 MB/s) | 361 req/s (1.48 MB/s), "
                        "2,853 clocks/request |", "at 512 B: **0.95** (target ≥ 0.9), at 4 KiB: **0.99** (target ≥ 0.97)",
                        "4 queues × 8 requests in flight", "**1.24×** (target ≥ 3)",
                        "device / driver model: 27.5 / 19.1 µs against 30.4 / 27.6 µs, the AES call alone 6.5 µs",
                        "would reach 2.26× with today's driver model"]),
    ("synth", SYNTH, ["| AES engine | iCE40 HX8K | 6,190 (81 %) | 1,010 | 8 | 44.0 MHz | 512 |",
                      "| accelerator top | iCE40 HX8K | 20,479 | 7,028 | 8 | does not fit (7,680 LUTs) | – |",
                      "not shown: something_ad_hoc/ecp5-85f"]),
    ("qemu", QEMU, ["| (b) vcrypto, soft datapath, vhost-user | 10 MB/s | 10 MB/s | 10 MB/s | 10 MB/s |",
                    "b/a at 4 KiB: 0.56 with one stream, 0.89 with 4", "b/a' = 0.76", "5,600 simulated clocks",
                    "19 / 21 µs a request, **0.31× / 0.35×**", "b/a' = 0.95 with one stream",
                    "by round: guest kicks 0.99 / 0.98 and interrupts 0.99 / 0.98 a request; interrupts held back "
                    "(several requesters going) 0.21 / 0.20 a request",
                    "16 / 18 µs a request at 512 B / 4 KiB, **0.33× / 0.35×** of main at 0bce809's",
                    "4 KiB 81 µs against 90 µs (**0.90×**)", "of those requests the native lane answered 100%",
                    "every request on the Python path), same run: 4 KiB 85 µs (0.94×)"]),
    ("accel-sim-speed", ACCEL, ["| AES-128-CBC | 1.23 M / 2.50 M | 1.23 M / 2.50 M |", "3.03 (CPU 3.36)"]),
    ("lanes", LANES, ["| 1 | 2,000 (1.000×) | 4,000 (1.000×) | 3,000 (1.000×) | 2,900 | 300.0 | 350.0 |",
                      "| 4 | 500 (0.250×) | 1,100 (0.275×) | 900 (0.300×) | 2,905 | – | – |"]),
])
def test_each_table(tmp_path, name, data, expect):
    body = bt.render(name, bench_dir(tmp_path, **{bt.TABLES[name][0][:-5]: data}))
    for e in expect:
        assert e in body, f"{e!r} not in\n{body}"


def test_incomplete_json_leaves_block(tmp_path, capsys):
    d = bench_dir(tmp_path, accel={"requests_per_s": 1.0})
    readme = tmp_path / "README.md"
    readme.write_text(README)
    assert bt.main(["--bench-dir", str(d), str(readme)]) == 0
    assert "old accelerator table" in readme.read_text()
    assert "bench:accel: left as it is" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["<!-- bench:rtl -->\nno end\n",
                                  "<!-- bench:nonesuch -->\nx\n<!-- /bench:nonesuch -->\n"])
def test_bad_markers(tmp_path, text):
    readme = tmp_path / "README.md"
    readme.write_text(text)
    with pytest.raises(SystemExit) as e:
        bt.main(["--bench-dir", str(tmp_path), str(readme)])
    assert e.value.code == 2
    assert readme.read_text() == text


def test_the_readmes_markers_are_well_formed(tmp_path):
    """Every block of README.md and sim/README.md is closed and has a table that fills it; with no
    JSON at all the script leaves them exactly as they are."""
    for readme in bt.READMES:
        text = readme.read_text()
        assert bt.OPEN.findall(text), f"{readme} has no bench block"
        assert bt.rewrite(text, tmp_path / "none", lambda msg: None) == text
