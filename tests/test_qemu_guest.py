"""A real Linux 6.1 guest in QEMU 7.2 (TCG) whose virtio_crypto driver is served by our
vhost-user backend: the kernel's own self-test of virtio_crypto_aes_cbc, NIST SP 800-38A
vectors and seeded random AF_ALG requests (checked on the host against `cryptography`), on the
RTL datapath and on the soft one; and the two failure cases: no backend, a failing datapath.
QEMU and `vcrypto serve` are started and stopped by sim/qemu_guest.py, also on failure."""
import re
from pathlib import Path

import pytest

from sim import qemu_guest

pytestmark = pytest.mark.xdist_group("accel")


@pytest.mark.parametrize("backend", ["rtl", "soft"])
def test_guest_selftest_vectors_and_random_requests(backend):
    g = qemu_guest.run(backend, "all", seed=11, count=40, seconds=1, timeout=240)
    assert g.selftest == "passed", g.output[-3000:]
    assert "passed=12 failed=0" in g.vectors
    assert "errors=0" in g.random and "mismatches=0" in g.random
    assert g.host_check.startswith("check_results: PASS") and "matched=40" in g.host_check
    assert set(g.bench) == {(4096, 1), (65536, 1)} and all(b["MB_per_s"] > 0 for b in g.bench.values())
    assert g.passed
    # what make bench-qemu reads from the backend: requests, its CPU time, the RTL's clock count
    st = qemu_guest.backend_stats(g)
    assert st["requests"] >= 40 + 12 and st["cpu_s"] > 0
    assert (st["cycles"] is not None and st["cycles"] > 0) == (backend == "rtl")
    assert 0 < st["guest_kicks"] and 0 < st["interrupts"]      # the guest's notifications, both ways


def test_guest_reports_a_missing_backend_instead_of_hanging():
    g = qemu_guest.run("absent", "vectors", timeout=120)
    assert not g.passed and g.selftest == "absent"
    assert g.result.startswith("FAIL") and g.wall_s < 60


def test_guest_reports_a_failing_datapath_instead_of_hanging():
    g = qemu_guest.run("soft", "random", seed=5, count=20, fail_every=7, timeout=120)
    assert not g.passed and g.result.startswith("FAIL") and g.wall_s < 60
    # our ERR status reached the kernel as -EINVAL
    assert "actual_error=-22" in Path(g.log).read_text(errors="replace")


DEEP_SEEDS = (7, 8, 9)      # the rtl run is repeated on the next seed while the defect has not shown


def _deep_run(backend: str, seed: int) -> dict:
    """One deep run of 1,500 requests, every output checked (the driver defect only in its exact
    form) and, on rtl, the ring seen full: its DEEP-DONE counts."""
    g = qemu_guest.run(backend, "deep", seed=seed, count=1500, timeout=300,
                       extra=["maxlen=16384", "inflight=1500"])
    done = dict(kv.split("=") for kv in g.deep.split()[1:])
    assert g.passed and g.host_check.startswith("check_results: PASS"), g.output[-3000:]
    assert done["count"] == "1500" and done["errors"] == "0" and done["mismatches"] == "0"
    assert f"ivbug={done['ivbug']}" in g.host_check          # each one confirmed on the host
    if backend != "rtl":
        return done
    st = qemu_guest.backend_stats(g)
    kernel = re.search(r"vcrypto-init: kernel ([^\s,]+)", g.output)
    pinned = qemu_guest.pinned_kernel()
    if st["ring_high_water"] == 1 and kernel and kernel.group(1) != pinned:
        pytest.skip(f"guest kernel {kernel.group(1)} keeps one virtio_crypto request outstanding: no "
                    f"guest workload fills the ring (not the pinned {pinned}: VCRYPTO_GUEST_KPKG is "
                    f"set, or apt no longer offers it)")
    assert st["ring_high_water"] == st["ring_size"] > 0, \
        f"the virtqueue never filled ({st}): the deep-queue path was not reached"
    return done


@pytest.mark.parametrize("backend", ["rtl", "soft"])
def test_guest_deep_queue_full_virtqueue(backend):
    """1,500 requests in flight at once (AIO on 1,500 op sockets; QEMU's virtqueue has 1,024
    slots), every output checked on the host. On the rtl datapath the device is slower than the
    guest and the guest's virtqueue fills: the backend reports that its data ring was full at
    once (high-water = queue size), and the guest kernel (pinned to Debian's 6.1.0-50 by
    sim/guest/build.sh) shows virtio_crypto's -ENOSPC defect: retried decryptions carry the last
    ciphertext block as IV (sim/guest/README.md). A request claimed as that defect is accepted
    only in its exact form (check_results.py recomputes the wrong-IV output), so any other wrong
    answer still fails. Whether a decryption is among the requests the driver retries depends on
    timing: in one CI run on a loaded machine the ring filled and none was (AF_ALG's own -ENOSPC
    took 473 resends instead), so the rtl run goes on to the next seed, at most DEEP_SEEDS, until
    the defect shows, each run checked in full. Debian's later 6.1.0-57 keeps one request
    outstanding per data queue: a guest running it cannot fill the ring, which the test reports
    as a skip, not a pass."""
    runs = []
    for seed in DEEP_SEEDS if backend == "rtl" else DEEP_SEEDS[:1]:
        done = _deep_run(backend, seed)
        runs.append((seed, done["ivbug"], done["resent_after_enospc"]))
        if int(done["ivbug"]) > 0:
            break
    if backend == "rtl":
        assert int(runs[-1][1]) > 0, \
            f"full rings without the pinned kernel's -ENOSPC defect (seed, ivbug, resent): {runs}"
