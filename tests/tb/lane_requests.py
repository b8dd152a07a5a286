"""Requests for a crypto lane, shared by the lane and top testbenches: session contexts of
every algorithm the lanes serve (from the ABI tables, bridge/algorithms.py) with random keys of
each cipher's lengths, digest lengths up to the hash's size and HMAC keys on either side of both
block sizes; valid source lengths; and a snapshot of a lane's state for a hang report."""
from __future__ import annotations

import random

from bridge import abi
from bridge.accel_abi import Context
from bridge.accel_model import run_request
from bridge.algorithms import AES_KEY_LENGTHS, CIPHER_BY_ABI, GCM_TAG_LENGTHS, HASH_BY_ABI

CIPHERS = tuple(sorted(CIPHER_BY_ABI))          # ECB, CBC, CTR, XTS
HASHES = tuple(sorted(HASH_BY_ABI))             # SHA-224, -256, -384, -512


def random_ctx(rng: random.Random, opcode: int) -> Context:
    cipher = rng.choice(CIPHERS) if opcode in (abi.OPCODE_CIPHER, abi.OPCODE_CHAIN) else abi.CIPHER_ALG_NONE
    hsh = rng.choice(HASHES) if opcode != abi.OPCODE_CIPHER else abi.HASH_ALG_NONE
    dmax = HASH_BY_ABI[hsh].digest_len if hsh else 0
    klen = rng.choice(CIPHER_BY_ABI[cipher].key_lengths if cipher else (16,))
    return Context(cipher_alg=cipher, decrypt=rng.random() < 0.5, key=rng.randbytes(klen),
                   hash_alg=hsh, digest_len=rng.choice((dmax, dmax, rng.randint(1, dmax))) if hsh else 0,
                   chain_order=rng.choice((abi.CHAIN_ORDER_CIPHER_THEN_HASH, abi.CHAIN_ORDER_HASH_THEN_CIPHER)),
                   hmac_key=rng.randbytes(rng.choice((0, 20, 64, 100, 129))))


def random_aead(rng: random.Random, n: int) -> tuple[Context, bytes, bytes, bytes, bytes]:
    """An AES-GCM request with an n-byte text: (context, IV, text, AAD, expected tag). Half are
    decryptions; of those, most decrypt a real sealing (OK), the rest a forged tag (BADMSG)."""
    key, tag_len = rng.randbytes(rng.choice(AES_KEY_LENGTHS)), rng.choice(GCM_TAG_LENGTHS)
    iv, aad, text = rng.randbytes(12), rng.randbytes(rng.choice((0, 0, 13, 16, rng.randint(1, 300)))), rng.randbytes(n)
    enc = Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=tag_len)
    if rng.random() < 0.5:
        return enc, iv, text, aad, b""
    sealed = run_request(enc, abi.OPCODE_AEAD, iv, text, aad)
    tag = sealed.digest if rng.random() < 0.75 else rng.randbytes(tag_len)
    return (Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=tag_len, decrypt=True), iv, sealed.dst,
            aad, tag)


def fit_length(ctx: Context, n: int) -> int:
    """n made a valid source length for the context's cipher (whole blocks, XTS's one block)."""
    c = CIPHER_BY_ABI.get(ctx.cipher_alg)
    if c is None:
        return n
    return max(n - n % 16 if c.whole_blocks else n, c.min_len)


def lane_snapshot(lane) -> str:
    """The sequencing state of a vcrypto_lane instance (a cocotb handle), for the message of a
    request that never completed."""
    regs = ("state_q", "opcode_q", "cipher_alg_q", "cipher_dir_q", "key_len_q", "hash_alg_q", "chain_q",
            "src_len_q", "blk_rem_q", "aes_step_q", "aes_cfg_done_q", "sha_cfg_done_q", "pad_cmd_done_q",
            "sha_got_q", "beat_q", "rd_busy_i", "wr_busy_i", "aes_in_ready", "aes_out_valid", "pad_in_ready",
            "gcm_done_q", "aead_len_q")
    aes = ("busy_q", "xts_q", "tail_q", "tw_pend_q", "wait_tail_q", "xdone_q", "out_valid_q")
    return (" ".join(f"{n}={int(getattr(lane, n).value)}" for n in regs) + " | aes "
            + " ".join(f"{n}={int(getattr(lane.u_aes, n).value)}" for n in aes)
            + f" | gcm state_q={int(lane.u_gcm.state_q.value)} left_q={int(lane.u_gcm.left_q.value)}")
