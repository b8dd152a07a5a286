"""CPU requests/s of one tree's in-process soft device (`python sim/soft_device_speed.py TREE
SIZE SECONDS`): the driver model keeps 4 data queues x 8 requests of SIZE-byte AES-128-CBC
encryption in flight for SECONDS and checks every status; prints one JSON line: the figure,
the CPU per request split between the device (its kick handler and poll, where it drains the
rings and runs the datapath) and the driver model (the rest), and what the `cryptography` call
alone costs (one AES-128-CBC encryption of SIZE bytes: the floor of a device that computes
through `cryptography`; today's answers these requests in its native lane, bridge/native_lane.py). TREE is today's
checkout or the baseline's (sim/bench_baseline.py): only driver and device calls that both have are
used, so `bench_device.py` can set the two side by side in one session."""
from __future__ import annotations

import json
import random
import sys
import time

sys.path.insert(0, sys.argv[1])        # that tree's bridge/, not necessarily this one's
from bridge import virtio_crypto as vc  # noqa: E402
from bridge.datapath import SoftDatapath  # noqa: E402
from bridge.device import VirtioCryptoDevice  # noqa: E402
from bridge.driver import VirtioCryptoDriver  # noqa: E402

QUEUES, INFLIGHT = 4, 8


def cpu_requests_per_s(drv, dev, sid: int, data: list[tuple[bytes, bytes]], seconds: float) -> dict:
    live, done, k, device_s = [0] * QUEUES, 0, 0, 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        for q in range(QUEUES):
            while live[q] < INFLIGHT:
                iv, src = data[k % len(data)]
                drv.cipher(q, sid, True, iv, src, kick=False)
                k += 1
                live[q] += 1
            c = time.process_time()
            drv.kick(q)                     # in process, the device drains the ring inside the kick
            device_s += time.process_time() - c
        c = time.process_time()
        dev.poll(0.01)
        device_s += time.process_time() - c
        for q in range(QUEUES):
            for t in drv.collect(q):
                if t.status != vc.OK:
                    raise SystemExit(f"request failed with status {t.status}")
                live[q] -= 1
                done += 1
    cpu = time.process_time() - c0
    return {"requests_per_cpu_s": done / cpu, "device_us_per_request": device_s / done * 1e6,
            "driver_model_us_per_request": (cpu - device_s) / done * 1e6}


def aes_call_us(data: list[tuple[bytes, bytes]], key: bytes, seconds: float) -> float:
    """CPU per AES-128-CBC encryption of one request's bytes through `cryptography`, nothing else."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    n, c0 = 0, time.process_time()
    while time.process_time() - c0 < seconds:
        iv, src = data[n % len(data)]
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        enc.update(src)
        enc.finalize()
        n += 1
    return (time.process_time() - c0) / n * 1e6


def main() -> int:
    size, seconds = int(sys.argv[2]), float(sys.argv[3])
    dev = VirtioCryptoDevice(SoftDatapath(), num_dataqueues=QUEUES)
    drv = VirtioCryptoDriver(dev, mem_bytes=256 << 20, revision_1=True)
    rng = random.Random(size)
    key = rng.randbytes(16)
    sid = drv.skcipher_setkey(vc.CIPHER_AES_CBC, key)[0]
    data = [(rng.randbytes(16), rng.randbytes(size)) for _ in range(64)]     # made before the clock starts
    cpu_requests_per_s(drv, dev, sid, data, 0.3)                              # warm up
    out = cpu_requests_per_s(drv, dev, sid, data, seconds)
    out["aes_call_us"] = aes_call_us(data, key, min(seconds, 1.0))
    print(json.dumps({k: round(v, 1) for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
