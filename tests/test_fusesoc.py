"""The FuseSoC cores (rtl/**/*.core) are the one file list of the RTL: FuseSoC itself runs
their `lint` target clean, and what it resolves is what rtl/filelists.py gives every project
tool (simulation, lint, synthesis, coverage, formal)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rtl.filelists import ROOT, cores, rtl_sources, tops

VENV_BIN = Path(sys.executable).parent
FUSESOC = VENV_BIN / "fusesoc"
TOP_VLNV = "vcrypto:accel:vcrypto_top:1.0"


def fusesoc(*args: str, build_root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = [str(FUSESOC), "--cores-root", ".", "run", "--build-root", str(build_root), *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_no_hand_written_file_lists():
    assert not list((ROOT / "rtl").rglob("*.f")), "file lists live in the FuseSoC cores only"


def test_cores_and_vlnvs():
    c = cores()
    assert c["aes_engine"].vlnv == "vcrypto:crypto:aes_engine:1.0"
    assert c["sha256_engine"].vlnv == "vcrypto:crypto:sha256_engine:1.0"
    assert c["vcrypto_top"].vlnv == TOP_VLNV
    for name in ("aes_engine", "sha256_engine", "vcrypto_top"):
        targets = c[name].data["targets"]
        assert {"default", "lint", "sim", "synth_ice40", "synth_ecp5"} <= set(targets), name
    assert "NQ" in c["vcrypto_top"].data["parameters"]
    assert {"aes_engine", "sha256_engine", "vcrypto_top"} <= set(tops())


def test_formal_stubs_are_in_no_core():
    for name in cores():
        assert not any("formal" in p.parts for p in rtl_sources(name)), name


@pytest.mark.parametrize("top", ["aes_engine", "vcrypto_top"])
def test_fusesoc_resolves_the_same_files(top, tmp_path):
    """FuseSoC's own dependency resolution (the EDAM file of `run --setup`) names the same
    files as rtl/filelists.py, packages before their users."""
    vlnv = cores()[top].vlnv
    r = fusesoc("--setup", "--target", "lint", vlnv, build_root=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    edam = yaml.safe_load(next(tmp_path.rglob("*.eda.yml")).read_text())
    theirs = [Path(f["name"]).name for f in edam["files"] if f.get("file_type") == "systemVerilogSource"]
    ours = [p.name for p in rtl_sources(top)]
    assert sorted(theirs) == sorted(ours)
    assert edam["toplevel"] == top
    if "vcrypto_abi.sv" in ours:
        assert theirs[0] == ours[0] == "vcrypto_abi.sv"


def test_fusesoc_lint_of_the_top_passes(tmp_path):
    """What a user runs first: `fusesoc --cores-root . run --target lint vcrypto:accel:vcrypto_top`."""
    r = fusesoc("--target", "lint", TOP_VLNV, build_root=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "%Warning" not in out and "%Error" not in out, out[-4000:]
    vc = next(tmp_path.rglob("*.vc")).read_text()
    assert "--lint-only" in vc and "-Wall" in vc
