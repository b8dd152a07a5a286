"""sim/guest/check_results.py on console logs made here (no QEMU): deep mode's one-key
sequence, and the REQ-IVBUG rule — a retried decryption is accepted only with exactly the
output of the wrong IV the Linux 6.1 driver sends (afalg_prng.ivbug_output)."""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim" / "guest"))
import afalg_prng  # noqa: E402
import check_results  # noqa: E402

SEED, COUNT, MAXLEN = 9, 40, 1024


def log(tmp_path, bug: set[int] = frozenset(), tamper: set[int] = frozenset(), claim: set[int] = frozenset()):
    """A deep-mode console log: `bug` requests carry the wrong-IV output, `tamper` ones a wrong
    output of any other kind, `claim` ones a REQ-IVBUG line (whatever their output)."""
    lines = [f"DEEP seed={SEED} count={COUNT} maxlen={MAXLEN} alg=virtio_crypto_aes_cbc inflight={COUNT}"]
    for r in afalg_prng.requests(SEED, COUNT, MAXLEN, one_key=True):
        out = afalg_prng.ivbug_output(r) if r.idx in bug else afalg_prng.expected_output(r)
        if r.idx in tamper:
            out = out[:-1] + bytes([out[-1] ^ 1])
        lines.append(f"REQ {r.idx} {r.key.hex()} {r.iv.hex()} {len(r.data)} {r.dir} "
                     f"{hashlib.sha256(r.data).hexdigest()} {hashlib.sha256(out).hexdigest()}")
        if r.idx in claim:
            lines.append(f"REQ-IVBUG {r.idx} dec {len(r.data)} B: block 0 decrypted with the last ciphertext block as IV")
    p = tmp_path / "console.log"
    p.write_text("\n".join(lines) + "\n")
    return str(p)


def reqs():
    return list(afalg_prng.requests(SEED, COUNT, MAXLEN, one_key=True))


def test_deep_mode_uses_request_0s_key_for_every_request():
    rs = reqs()
    assert len({r.key for r in rs}) == 1
    plain = list(afalg_prng.requests(SEED, COUNT, MAXLEN))
    assert [(r.iv, r.data, r.encrypt) for r in rs] == [(r.iv, r.data, r.encrypt) for r in plain]


def test_confirmed_ivbug_passes_and_is_counted(tmp_path, capsys):
    dec = [r.idx for r in reqs() if not r.encrypt][:3]
    assert check_results.main([log(tmp_path, bug=set(dec), claim=set(dec))]) == 0
    assert "ivbug=3" in capsys.readouterr().out


def test_wrong_iv_output_without_the_guests_claim_fails(tmp_path):
    dec = next(r.idx for r in reqs() if not r.encrypt)
    assert check_results.main([log(tmp_path, bug={dec})]) == 1


def test_a_claimed_ivbug_with_any_other_wrong_output_fails(tmp_path):
    dec = next(r.idx for r in reqs() if not r.encrypt)
    assert check_results.main([log(tmp_path, bug={dec}, tamper={dec}, claim={dec})]) == 1
    assert check_results.main([log(tmp_path, claim={dec})]) == 1          # right output, but claimed


def test_an_ivbug_claim_on_an_encryption_fails(tmp_path):
    enc = next(r.idx for r in reqs() if r.encrypt)
    assert check_results.main([log(tmp_path, claim={enc})]) == 1
