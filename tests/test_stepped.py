"""The Python-stepped (pyverilator-mm) model of the same top serves a request end to end,
driven by the project's one ring driver (bridge.rings) with its register writes performed by
toggling the AXI4-Lite pins."""
import pytest

from bridge import abi
from bridge.accel_abi import Context, encode_sqe
from bridge.accel_model import run_request
from bridge.rings import BufferMemory, RingDriver, RingPair

pytestmark = pytest.mark.xdist_group("accel")


def test_stepped_model_runs_a_request():
    from sim.stepped import SteppedTop
    top = SteppedTop(mem_bytes=1 << 16)
    assert top.csr_read(abi.CSR_ID) == abi.DEV_ID
    ctx, src, dst, dig = 0x3000, 0x4003, 0x5009, 0x6000
    rings = RingDriver(BufferMemory(top.mem), [RingPair(sq=0x1000, cq=0x2000, sq_log2=2, cq_log2=2)])
    for reg, val in rings.setup(0, 1 << 16):
        top.csr_write(reg, val)
    s = Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=bytes(range(32)), hash_alg=abi.HASH_ALG_SHA_256,
                digest_len=32, chain_order=abi.CHAIN_ORDER_CIPHER_THEN_HASH, hmac_key=b"key")
    data, iv = bytes(range(100)), bytes(range(16, 32))
    top.mem[ctx:ctx + abi.CTX_BYTES] = s.context()
    top.mem[src:src + len(data)] = data
    rings.post(0, encode_sqe(abi.OPCODE_CHAIN, 77, ctx, src, len(data), dst, dig, iv), 77, "the request")
    top.csr_write(*rings.doorbell(0))
    for _ in range(200):
        top.tick(20)
        if top.io.irq_o:
            break
    done, head_write = rings.reap(0)
    assert [(c.cookie, c.status, token) for c, token in done] == [(77, abi.STATUS_OK, "the request")]
    assert head_write == (abi.qcsr(0, abi.QCSR_CQ_HEAD), 1)
    want = run_request(s, abi.OPCODE_CHAIN, iv, data)
    assert bytes(top.mem[dst:dst + len(data)]) == want.dst
    assert bytes(top.mem[dig:dig + 32]) == want.digest
