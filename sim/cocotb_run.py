"""Build an RTL block and run a cocotb test module on it, with Verilator or Icarus.

Used by the pytest wrappers in tests/ and by the RTL benchmark. Builds are cached per
(simulator, top level) under build/sim/, so a re-run after a test-only change costs no rebuild.

Coverage mode (`make coverage`, sim/coverage.py): with VCRYPTO_COVERAGE_DIR set (or
`coverage_dir=` given), Verilator builds get `--coverage-line --coverage-toggle`, live in their
own tree build/sim-cov/ (the normal build/sim/ models are never rebuilt or slowed), and each
run writes its counters to <coverage dir>/<top>--<test module>--<tag>.dat. Icarus runs ignore it.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# File lists come from the FuseSoC cores (rtl/**/*.core), read by the neutral rtl/filelists.py;
# ROOT and rtl_sources are re-exported here for the sim/ modules and tests that import them.
from rtl.filelists import ROOT, rtl_sources  # noqa: E402,F401
from sim.compiler import compiler  # noqa: E402


SIMULATORS = ("verilator", "icarus")

COVERAGE_ENV = "VCRYPTO_COVERAGE_DIR"
COVERAGE_BUILD_ARGS = ["--coverage-line", "--coverage-toggle"]


def coverage_dir_from_env() -> Path | None:
    d = os.environ.get(COVERAGE_ENV)
    return Path(d).resolve() if d else None


def _tool_path() -> None:
    """The runner looks simulators up on PATH; make the venv's Verilator visible."""
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")


def coverage_file_tag(testcase: str | list[str] | None) -> str:
    """The <tag> of a run's .dat: the test names joined by '+', or "all"; a file name has at most
    255 bytes, so a long list (the top's short regressions at LANES 2 and 4) is named by its
    count and a digest of the names."""
    cases = [testcase] if isinstance(testcase, str) else (testcase or ["all"])
    tag = "+".join(cases)
    if len(tag) > 120:
        tag = f"{len(cases)}-tests-{hashlib.sha1(tag.encode()).hexdigest()[:12]}"
    return tag


def run_cocotb(top: str, test_module: str, sim: str, testcase: str | list[str] | None = None,
               extra_env: dict[str, str] | None = None, waves: bool = False,
               seed: int = 1, coverage_dir: Path | None = None,
               coverage_tag: str | None = None,
               parameters: dict[str, int] | None = None,
               defines: tuple[str, ...] = ()) -> list[tuple[str, bool, str]]:
    """Build `top` for `sim` and run the cocotb tests in `test_module`.

    coverage_dir (default: $VCRYPTO_COVERAGE_DIR): Verilator only, build with line and toggle
    coverage and write this run's counters to coverage_dir/<top>--<module>--<tag>.dat
    (tag: coverage_tag, else the testcase names, else "all").
    parameters: the top level's parameters (e.g. {"LANES": 4}); each set of values is built in
    its own directory (build/sim/<sim>/<top>-LANES4).
    defines: preprocessor macros set for the build (a simulation view, e.g.
    "VCRYPTO_CLOCK_GATE"); each set is built in its own directory too (<top>-D<name>).
    Returns one (test name, passed, failure message) tuple per cocotb test.
    """
    from cocotb_tools.runner import get_runner

    _tool_path()
    cov_dir = coverage_dir if coverage_dir is not None else coverage_dir_from_env()
    if cov_dir is not None:
        # Absolute, and created here: the simulator runs in build_dir, and if Verilator cannot
        # open the file its fatal-error path calls the coverage writer again and deadlocks
        # (the simulator hangs after the last test instead of failing).
        cov_dir = Path(cov_dir).resolve()
    if sim != "verilator":
        cov_dir = None                      # coverage is collected with Verilator only
    params = dict(parameters or {})
    tag = top + "".join(f"-{k}{v}" for k, v in sorted(params.items())) + "".join(f"-D{d}" for d in sorted(defines))
    build_dir = ROOT / "build" / ("sim-cov" if cov_dir else "sim") / sim / tag
    runner = get_runner(sim)
    build_args: list[str] = []
    plusargs: list[str] = []
    timescale = None
    if sim == "verilator":
        # Random values for X: a missing reset shows up as a mismatch, not as a lucky zero.
        build_args = ["--x-assign", "unique", "--x-initial", "unique", "-O3"]
        if cov_dir:
            build_args += COVERAGE_BUILD_ARGS
            if coverage_tag is None:
                coverage_tag = coverage_file_tag(testcase)
            cov_dir.mkdir(parents=True, exist_ok=True)
            dat = cov_dir / f"{tag}--{test_module.rsplit('.', 1)[-1]}--{coverage_tag}.dat"
            if dat.exists():
                dat.unlink()
            # Power-up X values are zeros in coverage runs: with random ones, every register
            # bit that happened to start at 1 would count as toggled both ways (0->1 at time 0,
            # 1->0 at reset) without the design ever moving it.
            plusargs = [f"+verilator+coverage+file+{dat}", "+verilator+rand+reset+0"]
    else:
        build_args = ["-g2012"]
        timescale = ("1ns", "1ps")
    # Two test modules of one top (pytest-xdist workers) share its build directory: one builds,
    # the other waits and finds it built (together, their two makes raced: a failed build).
    build_dir.mkdir(parents=True, exist_ok=True)
    # The model's compiler (sim/compiler.py): the runner's make takes it from MAKEFLAGS, and the
    # runner copies this process's environment when it builds.
    makeflags = os.environ.get("MAKEFLAGS")
    if sim == "verilator":
        os.environ["MAKEFLAGS"] = " ".join(filter(None, [makeflags, *compiler().make_args()]))
    with open(build_dir / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            runner.build(sources=rtl_sources(top), hdl_toplevel=top, build_dir=build_dir, build_args=build_args,
                         parameters=params, defines={d: 1 for d in defines}, timescale=timescale, waves=waves,
                         log_file=build_dir / "build.log")
        finally:
            if makeflags is None:
                os.environ.pop("MAKEFLAGS", None)
            else:
                os.environ["MAKEFLAGS"] = makeflags
    # The runner hands its own sys.path to the simulator's Python as PYTHONPATH.
    for p in (str(ROOT / "tests"), str(ROOT)):
        if p not in sys.path:
            sys.path.insert(0, p)
    env = dict(extra_env or {})
    for k, v in params.items():            # the testbench reads the parameters it was built with
        env.setdefault(f"VCRYPTO_PARAM_{k}", str(v))
    results_xml = build_dir / f"results-{test_module.rsplit('.', 1)[-1]}.xml"
    if results_xml.exists():
        results_xml.unlink()
    try:
        runner.test(
            test_module=test_module,
            hdl_toplevel=top,
            testcase=testcase,
            build_dir=build_dir,
            test_dir=build_dir,
            results_xml=str(results_xml),
            extra_env=env,
            seed=seed,
            waves=waves,
            plusargs=plusargs,
            timescale=timescale,
        )
    except SystemExit:
        pass  # the runner exits on failures under pytest; the results file says which
    return parse_results(results_xml)


def parse_results(path: Path) -> list[tuple[str, bool, str]]:
    if not path.exists():
        return [("<simulation>", False, f"no results file {path}: the simulator crashed or hung")]
    out = []
    for case in ET.parse(path).getroot().iter("testcase"):
        fail = case.find("failure")
        if fail is None:
            fail = case.find("error")
        msg = "" if fail is None else (fail.get("message") or fail.text or "failed")
        out.append((case.get("name", "?"), fail is None, msg))
    return out


# The cocotb regression of each core's top level: what its FuseSoC `sim` target runs (hook
# `vcrypto-regress <top>`, a console script of this package).
REGRESSIONS = {
    "aes_engine": "tests/test_aes_engine.py",
    "sha256_engine": "tests/test_sha256_engine.py",
    "sha512_engine": "tests/test_sha512_engine.py",
    "ghash": "tests/test_ghash.py",
    "vcrypto_top": "tests/test_vcrypto_top.py",
    "vcrypto_lane": "tests/test_vcrypto_lane.py",
    "vcrypto_dma_arb": "tests/test_vcrypto_dma_arb.py",
    "vcrypto_fifo": "tests/test_vcrypto_fifo.py",
}


def regress_main(argv: list[str] | None = None) -> int:
    """`vcrypto-regress TOP [pytest args]`: run TOP's cocotb regression (pytest, one worker)."""
    import subprocess

    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in REGRESSIONS:
        print(f"usage: vcrypto-regress {{{'|'.join(REGRESSIONS)}}} [pytest args]", file=sys.stderr)
        return 2
    _tool_path()
    cmd = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", REGRESSIONS[args[0]], *args[1:]]
    return subprocess.run(cmd, cwd=ROOT).returncode


def assert_all_passed(results: list[tuple[str, bool, str]]) -> None:
    failed = [f"{name}: {msg}" for name, ok, msg in results if not ok]
    assert results, "no cocotb test ran"
    assert not failed, "cocotb tests failed:\n  " + "\n  ".join(failed)
