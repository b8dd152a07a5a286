"""The Python-stepped (pyverilator-mm) model of the same top serves a request end to end."""
import pytest

from bridge import abi
from bridge.accel_abi import Session, decode_cqe, encode_sqe
from bridge.accel_model import run_request

pytestmark = pytest.mark.xdist_group("accel")


def test_stepped_model_runs_a_request():
    from sim.stepped import SteppedTop
    top = SteppedTop(mem_bytes=1 << 16)
    assert top.csr_read(abi.CSR_ID) == abi.DEV_ID
    sq, cq, ctx, src, dst, dig = 0x1000, 0x2000, 0x3000, 0x4003, 0x5009, 0x6000
    s = Session(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=bytes(range(32)), hash_alg=abi.HASH_ALG_SHA_256,
                digest_len=32, chain_order=abi.CHAIN_ORDER_CIPHER_THEN_HASH, hmac_key=b"key")
    data, iv = bytes(range(100)), bytes(range(16, 32))
    top.mem[ctx:ctx + 128] = s.context()
    top.mem[src:src + len(data)] = data
    top.mem[sq:sq + 64] = encode_sqe(abi.OPCODE_CHAIN, 77, ctx, src, len(data), dst, dig, iv)
    for reg, val in ((abi.CSR_WIN_SIZE_LO, 1 << 16), (abi.qcsr(0, abi.QCSR_SQ_BASE_LO), sq),
                     (abi.qcsr(0, abi.QCSR_CQ_BASE_LO), cq), (abi.qcsr(0, abi.QCSR_SQ_SIZE_LOG2), 2),
                     (abi.qcsr(0, abi.QCSR_CQ_SIZE_LOG2), 2), (abi.CSR_INT_MASK, 1), (abi.CSR_CTRL, 1),
                     (abi.qcsr(0, abi.QCSR_SQ_TAIL), 1)):
        top.csr_write(reg, val)
    for _ in range(200):
        top.tick(20)
        if top.io.irq_o:
            break
    c = decode_cqe(bytes(top.mem[cq:cq + 16]))
    want = run_request(s, abi.OPCODE_CHAIN, iv, data)
    assert (c.cookie, c.status, c.phase) == (77, abi.STATUS_OK, 1)
    assert bytes(top.mem[dst:dst + len(data)]) == want.dst
    assert bytes(top.mem[dig:dig + 32]) == want.digest
