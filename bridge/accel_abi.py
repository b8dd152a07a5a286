"""Build and parse the accelerator's in-memory structures (submission entries, session
contexts, completion entries) from the generated layout in bridge/abi.py."""
from __future__ import annotations

from dataclasses import dataclass

from bridge import abi
from bridge.algorithms import HASH_BY_ABI
from bridge.sha2_state import hmac_states_into



def _pack_into(buf, layout: dict[str, tuple[int, int]], **values) -> None:
    """Write fields into a zeroed writable buffer (bytearray, or a memoryview of shared memory);
    bytes-like values are copied straight in, never through an immutable intermediate."""
    for name, value in values.items():
        off, n = layout[name]
        if isinstance(value, (bytes, bytearray, memoryview)):
            if len(value) > n:
                raise ValueError(f"{name}: {len(value)} bytes do not fit in {n}")
            buf[off:off + len(value)] = value
        else:
            buf[off:off + n] = int(value).to_bytes(n, "little")


def _pack(size: int, layout: dict[str, tuple[int, int]], **values) -> bytes:
    buf = bytearray(size)
    _pack_into(buf, layout, **values)
    return bytes(buf)


def _field(raw: bytes, layout: dict[str, tuple[int, int]], name: str) -> int:
    off, n = layout[name]
    return int.from_bytes(raw[off:off + n], "little")


def encode_sqe(opcode: int, cookie: int, ctx_addr: int, src_addr: int, src_len: int,
               dst_addr: int = 0, digest_addr: int = 0, iv: bytes = b"", aad_len: int = 0) -> bytes:
    return _pack(abi.SQE_BYTES, abi.SQE_FIELDS, opcode=opcode, cookie=cookie, ctx_addr=ctx_addr,
                 src_addr=src_addr, src_len=src_len, dst_addr=dst_addr, digest_addr=digest_addr,
                 iv=iv.ljust(16, b"\0"), aad_len=aad_len)


def _pad16(b: bytes) -> bytes:
    return bytes(b) + bytes(-len(b) % 16)


def aead_stream(aad: bytes, text: bytes, tag: bytes = b"") -> bytes:
    """The source stream of an AEAD request (firmware/ABI.md "AEAD"): the AAD, the text and,
    decrypting, the expected tag, each zero-padded to whole 16-byte blocks."""
    return _pad16(aad) + _pad16(text) + _pad16(tag)


def aead_stream_len(aad_len: int, text_len: int, decrypt: bool) -> int:
    """The bytes the device reads for an AEAD request: len(aead_stream(...))."""
    return 16 * (-(-aad_len // 16) + -(-text_len // 16) + int(decrypt))


@dataclass(frozen=True)
class Context:
    """A session context as the accelerator reads it (firmware/ABI.md): ABI algorithm codes,
    the key, the HMAC inner/outer states (computed here from `hmac_key`).

    `key` and `hmac_key` are kept by reference, not copied: pass the session's own bytearrays
    and wipe them when the context is written (the rtl datapath does)."""
    cipher_alg: int = abi.CIPHER_ALG_NONE
    decrypt: bool = False
    key: bytes | bytearray | memoryview = b""
    hash_alg: int = abi.HASH_ALG_NONE
    digest_len: int = 0
    chain_order: int = 0
    hmac_key: bytes | bytearray | memoryview | None = None

    def write_context(self, dst) -> None:
        """Encode the context into `dst`, a writable buffer of CTX_BYTES (a bytearray, or a
        memoryview of the context's slot in shared memory): zeroed first, the key copied in, the
        HMAC states computed straight into their slots. Nothing secret is left elsewhere."""
        with memoryview(dst) as m:
            if m.nbytes != abi.CTX_BYTES:
                raise ValueError(f"a context is {abi.CTX_BYTES} bytes, not {m.nbytes}")
            m[:] = bytes(abi.CTX_BYTES)
            _pack_into(m, abi.CTX_FIELDS, cipher_alg=self.cipher_alg, cipher_dir=int(self.decrypt),
                       key_len=len(self.key), hash_alg=self.hash_alg, digest_len=self.digest_len,
                       chain_order=self.chain_order, key=self.key)
            if self.hmac_key is not None and self.hash_alg in HASH_BY_ABI:
                (i_off, i_n), (o_off, o_n) = abi.CTX_FIELDS["inner_state"], abi.CTX_FIELDS["outer_state"]
                with m[i_off:i_off + i_n] as inner, m[o_off:o_off + o_n] as outer:
                    hmac_states_into(self.hmac_key, HASH_BY_ABI[self.hash_alg].bits, inner, outer)

    def context(self) -> bytearray:
        """The encoded context in a new bytearray, which the caller zeroes after use."""
        buf = bytearray(abi.CTX_BYTES)
        self.write_context(buf)
        return buf


@dataclass(frozen=True)
class Completion:
    cookie: int
    bytes_written: int
    status: int
    queue: int
    error_detail: int
    phase: int


def decode_cqe(raw: bytes) -> Completion:
    f = {name: _field(raw, abi.CQE_FIELDS, name) for name in abi.CQE_FIELDS}
    return Completion(f["cookie"], f["bytes_written"], f["status"], f["queue"], f["error_detail"],
                      f["phase"] & 1)
