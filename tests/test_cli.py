import json
import subprocess
import sys

import pytest

from sim.cli import main
from bridge.sha2_state import hmac_states


def test_hmac_states(capsys):
    assert main(["hmac-states", "--bits", "256", "4a656665"]) == 0
    inner, outer = hmac_states(b"Jefe", 256)
    assert capsys.readouterr().out.split() == ["inner", inner.hex(), "outer", outer.hex()]


def test_bad_key_is_a_message_not_a_traceback(capsys):
    assert main(["hmac-states", "zz"]) == 2
    assert "hex" in capsys.readouterr().err


def test_serve_needs_a_socket_and_reports_bad_paths():
    r = subprocess.run([sys.executable, "-m", "sim.cli", "serve"], capture_output=True, text=True)
    assert r.returncode == 2 and "--socket" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "sim.cli", "serve", "--datapath", "soft", "--socket",
                        "/nonexistent-dir/x.sock"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_bad_options_are_messages():
    r = subprocess.run([sys.executable, "-m", "sim.cli", "run", "--queues", "0"], capture_output=True, text=True)
    assert r.returncode == 2 and "--queues" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("datapath", ["soft", pytest.param("rtl", marks=pytest.mark.xdist_group("accel"))])
def test_run_verifies_a_mixed_workload(datapath):
    r = subprocess.run([sys.executable, "-m", "sim.cli", "run", "--datapath", datapath, "--seconds", "2",
                        "--queues", "3", "--max-len", "8192", "--json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["failed"] == 0
    ops = out["operations"]
    assert {"cipher", "chain", "hash", "mac", "aead"} <= set(ops)      # AES-GCM on both datapaths
    assert sum(o["ops"] for o in ops.values()) > 20
    if datapath == "rtl":
        assert out["simulated_cycles"] > 0
