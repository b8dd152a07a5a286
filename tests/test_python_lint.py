"""pyflakes over the project's Python (bridge, sim, firmware, rtl, tests): a name used before
it is assigned, an undefined name, an unused import or local fails the suite. It once caught a
benchmark whose local variable shadowed the function it called (an UnboundLocalError that
only the full, minutes-long `make bench-accel` would have hit)."""
import subprocess
import sys

from sim.cocotb_run import ROOT


def test_pyflakes_finds_nothing():
    r = subprocess.run([sys.executable, "-m", "pyflakes", "bridge", "sim", "firmware", "rtl", "tests"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr
