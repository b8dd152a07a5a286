"""The pieces the benchmarks use to set today's soft path beside main at 0bce809's
(sim/bench_baseline.py): the in-process speed script runs on a tree and checks every status,
the backend's stop line is read from today's `serve` and from the baseline's, which did not
report the ring high-water yet, and the bare Python backend (sim/bare_backend.py) serves its
guest and fails when a result is wrong."""
import json
import subprocess
import sys

import pytest

from sim import bare_backend, qemu_guest
from sim.cocotb_run import ROOT


def test_soft_device_speed_runs_on_this_tree():
    r = subprocess.run([sys.executable, str(ROOT / "sim" / "soft_device_speed.py"), str(ROOT), "512", "0.2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["requests_per_cpu_s"] > 0 and out["aes_call_us"] > 0
    # the device's and the driver model's shares are the whole CPU per request, each some of it
    per_request = 1e6 / out["requests_per_cpu_s"]
    # (today's device answers these requests in its native lane, below the `cryptography` call)
    assert out["device_us_per_request"] > 0 and out["aes_call_us"] > 0 and out["driver_model_us_per_request"] > 0
    assert abs(out["device_us_per_request"] + out["driver_model_us_per_request"] - per_request) < 0.02 * per_request


def _stats(tmp_path, line: str) -> dict:
    log = tmp_path / "serve.log"
    log.write_text("vcrypto serve: soft datapath, listening on /tmp/x\n" + line + "\n")
    g = qemu_guest.GuestRun("soft")
    g.backend_log = str(log)
    return qemu_guest.backend_stats(g)


def test_backend_stats_reads_todays_stop_line(tmp_path):
    st = _stats(tmp_path, "vcrypto serve: stopped after 12 data requests, backend CPU 0.500 s, "
                          "data ring high-water 3 of 128, guest kicks 11, interrupts 10, native lane 9, "
                          "interrupt holds 4 (caught 1)")
    assert st == {"requests": 12, "cycles": None, "cpu_s": 0.5, "ring_high_water": 3, "ring_size": 128,
                  "guest_kicks": 11, "interrupts": 10, "native_lane": 9, "interrupt_holds": 4, "holds_caught": 1}


def test_backend_stats_reads_the_baselines_stop_line(tmp_path):
    st = _stats(tmp_path, "vcrypto serve: stopped after 7 data requests, 900 simulated clock cycles, "
                          "backend CPU 0.250 s")
    assert st == {"requests": 7, "cycles": 900, "cpu_s": 0.25}
    assert _stats(tmp_path, "vcrypto serve: stopped") == {}


def test_bare_backend_serves_its_guest():
    assert bare_backend.bare_backend_us(512, 200) > 0


def test_bare_backend_fails_on_a_wrong_result(monkeypatch):
    """Its guest checks every result: a loop that encrypted with the wrong key must not yield a
    figure (the guest stops, the loop waits WAIT_S for a kick and gives up)."""
    monkeypatch.setattr(bare_backend, "WAIT_S", 0.5)
    serve = bare_backend._serve
    monkeypatch.setattr(bare_backend, "_serve", lambda mv, dq, kick, call, n, key: serve(mv, dq, kick, call, n, bytes(16)))
    with pytest.raises(SystemExit):
        bare_backend.bare_backend_us(512, 50)
