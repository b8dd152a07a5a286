"""CPU requests/s of one tree's in-process soft device (`python sim/soft_device_speed.py TREE
SIZE SECONDS`): the driver model keeps 4 data queues x 8 requests of SIZE-byte AES-128-CBC
encryption in flight for SECONDS and checks every status; prints the figure. TREE is today's
checkout or the baseline's (sim/bench_baseline.py): only driver and device calls that both have are
used, so `bench_device.py` can set the two side by side in one session."""
from __future__ import annotations

import random
import sys
import time

sys.path.insert(0, sys.argv[1])        # that tree's bridge/, not necessarily this one's
from bridge import virtio_crypto as vc  # noqa: E402
from bridge.datapath import SoftDatapath  # noqa: E402
from bridge.device import VirtioCryptoDevice  # noqa: E402
from bridge.driver import VirtioCryptoDriver  # noqa: E402

QUEUES, INFLIGHT = 4, 8


def cpu_requests_per_s(drv, dev, sid: int, data: list[tuple[bytes, bytes]], seconds: float) -> float:
    live, done, k = [0] * QUEUES, 0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for q in range(QUEUES):
            while live[q] < INFLIGHT:
                iv, src = data[k % len(data)]
                drv.cipher(q, sid, True, iv, src, kick=False)
                k += 1
                live[q] += 1
            drv.kick(q)
        dev.poll(0.01)
        for q in range(QUEUES):
            for t in drv.collect(q):
                if t.status != vc.OK:
                    raise SystemExit(f"request failed with status {t.status}")
                live[q] -= 1
                done += 1
    return done / (time.process_time() - c0)


def main() -> int:
    size, seconds = int(sys.argv[2]), float(sys.argv[3])
    dev = VirtioCryptoDevice(SoftDatapath(), num_dataqueues=QUEUES)
    drv = VirtioCryptoDriver(dev, mem_bytes=256 << 20, revision_1=True)
    rng = random.Random(size)
    sid = drv.skcipher_setkey(vc.CIPHER_AES_CBC, rng.randbytes(16))[0]
    data = [(rng.randbytes(16), rng.randbytes(size)) for _ in range(64)]     # made before the clock starts
    cpu_requests_per_s(drv, dev, sid, data, 0.3)                              # warm up
    print(round(cpu_requests_per_s(drv, dev, sid, data, seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
