"""sim/bench_plots.py: from fake build/bench/*.json in a tmp dir it writes valid PNGs, a plot whose
file is missing is skipped with a reason (a PNG drawn before stays), and partial or odd JSON
never crashes it; README.md shows the committed PNGs. matplotlib Agg, no simulator; a few seconds."""
import json
import re
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
from sim import bench_plots as bp  # noqa: E402
from tests.test_bench_tables import DEVICE, QEMU, SYNTH  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LANES = [{"lanes": n, "aes128_cbc_4k_clocks_per_request": 2880 / n, "hmac_sha256_4k_clocks_per_request": 4355 / n,
          "mixed_4k_clocks_per_request": 3978.5 / n, "single_request_latency_clocks": 2895} for n in (1, 2, 4)]
SYNTH_LANES = SYNTH + [{"engine": f"vcrypto_top_lanes{n}", "device": "ecp5-85f", "luts": 22289 * n, "ffs": 7000 * n,
                        "brams": 8, "fmax_mhz": 46.4, "lanes": n} for n in (2, 4)]


def bench_dir(tmp_path: Path, **files) -> Path:
    d = tmp_path / "bench"
    d.mkdir()
    for name, data in files.items():
        (d / f"{name}.json").write_text(data if isinstance(data, str) else json.dumps(data))
    return d


def run(tmp_path: Path, capsys, **files) -> tuple[Path, str]:
    out = tmp_path / "plots"
    assert bp.main(["--bench-dir", str(bench_dir(tmp_path, **files)), "--out-dir", str(out)]) == 0
    return out, capsys.readouterr().out


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert len(data) > 10_000, f"{path} is suspiciously small ({len(data)} bytes)"


def test_all_plots_from_full_json(tmp_path, capsys):
    out, log = run(tmp_path, capsys, device=DEVICE, qemu=QEMU, accel={"lanes": LANES}, synth=SYNTH_LANES)
    for name in bp.PLOTS:
        assert_png(out / name)
        assert f"{name}: wrote" in log
    assert "not drawn: something_ad_hoc" in log         # a block the script does not know is named, not drawn


def test_same_json_same_bytes(tmp_path, capsys):
    out, _ = run(tmp_path, capsys, accel={"lanes": LANES})
    first = (out / "lanes.png").read_bytes()
    assert bp.main(["--bench-dir", str(tmp_path / "bench"), "--out-dir", str(out)]) == 0
    assert (out / "lanes.png").read_bytes() == first


def test_missing_files_skipped_with_reason(tmp_path, capsys):
    out, log = run(tmp_path, capsys, accel={"lanes": LANES})
    assert_png(out / "lanes.png")
    assert not (out / "throughput.png").exists() and not (out / "synth.png").exists()
    assert "throughput.png: not drawn" in log and "device.json missing" in log and "qemu.json missing" in log
    assert "synth.png: not drawn" in log and "synth.json missing" in log


def test_one_of_two_throughput_files_is_enough(tmp_path, capsys):
    out, log = run(tmp_path, capsys, qemu=QEMU)
    assert_png(out / "throughput.png")
    assert "device.json missing" in log


def test_earlier_png_kept_when_its_file_is_gone(tmp_path, capsys):
    out = tmp_path / "plots"
    out.mkdir()
    (out / "synth.png").write_bytes(b"an earlier plot")
    assert bp.main(["--bench-dir", str(tmp_path / "none"), "--out-dir", str(out)]) == 0
    assert (out / "synth.png").read_bytes() == b"an earlier plot"
    assert "kept as it is" in capsys.readouterr().out


@pytest.mark.parametrize("files", [
    {"accel": {"aes128_cbc_4k_cycles_per_request": 2863}},                       # no lanes records
    {"accel": {"lanes": [{"lanes": 1}, {"lanes": "two"}, "junk"]}},               # records without clocks
    {"accel": {"lanes": None}, "synth": []},
    {"accel": [1, 2, 3], "synth": {"not": "a list"}, "device": [], "qemu": "\"string\""},
    {"accel": "{not json", "synth": "[{\"engine\": 1}", "device": "", "qemu": "nul"},
    {"synth": [{"engine": "aes_engine"}, {"engine": "aes_engine", "device": "ecp5-85f", "luts": "many"}, 7],
     "device": {"soft_aes128_cbc_64": {"requests_per_s": 1.0}, "rtl_aes128_cbc_4096": "x"},
     "qemu": {"builtin_4k_mbps": None, "soft_64k_mbps": 0, "rtl_4k_mbps": "10", "rtl_64k_mbps": -1.0}},
    {"accel": {"lanes": [{"lanes": True, "aes128_cbc_4k_clocks_per_request": "2880"}, {"lanes": 0}]},
     "device": {"soft_aes128_cbc_4096": {"MB_per_s": "57.6"}}},
])
def test_partial_or_odd_json_does_not_crash(tmp_path, capsys, files):
    out, log = run(tmp_path, capsys, **files)
    for name in bp.PLOTS:
        assert f"{name}: " in log
        if (out / name).exists():
            assert_png(out / name)


def test_partial_lanes_and_synth_still_drawn(tmp_path, capsys):
    """Only some series / some fields: what is there is drawn."""
    lanes = [{"lanes": n, "hmac_sha256_4k_clocks_per_request": 4355 / n} for n in (1, 4)]
    synth = [{"engine": "sha256_engine", "device": "ice40-hx8k", "luts": 3102},
             {"engine": "vcrypto_top", "device": "ice40-hx8k", "luts": 20479, "fmax_mhz": None, "note": "does not fit"}]
    out, log = run(tmp_path, capsys, accel={"lanes": lanes}, synth=synth)
    assert_png(out / "lanes.png")
    assert_png(out / "synth.png")


def test_readme_shows_the_plots_that_exist():
    """README.md's image links into docs/plots/ name PNGs that are there, and every PNG there is shown."""
    root = Path(__file__).resolve().parents[1]
    linked = set(re.findall(r"!\[[^\]]*\]\((docs/plots/[\w.-]+\.png)\)", (root / "README.md").read_text()))
    present = {str(p.relative_to(root)) for p in (root / "docs" / "plots").glob("*.png")}
    assert linked - present == set(), f"README.md shows missing plots {sorted(linked - present)}"
    assert present - linked == set(), f"README.md does not show {sorted(present - linked)}"
