import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))


@pytest.fixture(scope="module")
def rtl_dp():
    """An rtl datapath (a simulated accelerator process) shared by the tests of one module and
    closed after them; a test that resets a device on it leaves it idle for the next."""
    from sim.accel_process import rtl_datapath
    dp = rtl_datapath(mem_bytes=64 << 20)
    yield dp
    dp.close()


def pytest_terminal_summary(terminalreporter):
    """How many hostile-input cases each property ran (tests/test_hostile_input.py)."""
    rows = []
    for reports in terminalreporter.stats.values():
        for r in reports:
            if getattr(r, "when", None) == "call":
                props = dict(getattr(r, "user_properties", ()))
                if "hostile_cases" in props:
                    rows.append((props["hostile_cases"], r.nodeid, props.get("hostile_outcomes", "")))
    if rows:
        terminalreporter.write_sep("-", "hostile input: cases run")
        for v, nodeid, outcomes in rows:
            terminalreporter.write_line(f"{v:>9}  {nodeid}")
            if outcomes:
                terminalreporter.write_line(f"{'':>11}{outcomes}")
        terminalreporter.write_line(f"{sum(v for v, _, _ in rows):>9}  total")
