"""What keeps `make test`'s two workers out of each other's way (regressions of a CI failure:
four guest tests failed because two workers built the guest image into the same directory at
once, one deleting the tree the other was extracting into).

1. `--dist loadgroup` really sends every test of an `xdist_group` to one worker. It did not with
   pytest 9.2 and pytest-xdist 3.8 (xdist renames `_nodeid`, which pytest 9 no longer reads), so
   the "accel" group (one accelerator process, one guest at a time) was silently split.
2. sim/guest/build.sh takes a lock on its output directory before touching it."""
import fcntl
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_xdist_group_runs_on_one_worker(tmp_path):
    log = tmp_path / "workers.log"
    (tmp_path / "test_grouped.py").write_text(textwrap.dedent(f"""
        import os, time, pytest
        pytestmark = pytest.mark.xdist_group("g")

        @pytest.mark.parametrize("i", range(6))
        def test_grouped(i):
            time.sleep(0.2)
            with open({str(log)!r}, "a") as f:
                f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
        """))
    (tmp_path / "test_free.py").write_text(textwrap.dedent("""
        import time, pytest

        @pytest.mark.parametrize("i", range(6))
        def test_free(i):
            time.sleep(0.2)
        """))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                        "--dist", "loadgroup", "-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    workers = log.read_text().split()
    assert len(workers) == 6
    assert len(set(workers)) == 1, f"the group ran on {sorted(set(workers))}: loadgroup does not group"


def test_guest_build_waits_for_the_lock(tmp_path):
    out = tmp_path / "guest"
    out.mkdir()
    with open(out / ".build.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        # its own process group: `flock` is a child of bash and holds the output pipe open
        proc = subprocess.Popen(["bash", str(ROOT / "sim/guest/build.sh")],
                                env={**os.environ, "VCRYPTO_GUEST_OUT": str(out), "VCRYPTO_GUEST_NO_APT": "1"},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        try:
            proc.wait(timeout=3)
            waited = False
        except subprocess.TimeoutExpired:
            waited = True
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
        output = proc.communicate(timeout=30)[0]
    assert waited, f"the build ran while another held the lock:\n{output}"
    assert "guest-build:" not in output
