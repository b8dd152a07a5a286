"""Issue #14: NIST CAVP AES-GCM through the whole device, on the soft datapath and on the rtl one
(the GCM sequencer in the RTL lanes). The RTL unit's own testbench runs every length group of
the files (tests/tb/aes_gcm_tb.py); here every group whose IV is 12 bytes - the one IV length
the device serves - goes through sessions, the data virtqueue and the datapath: one record of
each key/AAD/text/tag-length group, a session per record in its direction, encryptions compared
with the file's ciphertext and tag (the tag right after the ciphertext), decryptions with its
plaintext, and every FAIL record answered BADMSG with nothing released."""
from __future__ import annotations

import itertools

import pytest

from bridge import virtio_crypto as vc
from bridge.device import VirtioCryptoDevice
from bridge.driver import LAYOUTS, VirtioCryptoDriver
from tests.both_datapaths import soft_or_rtl
from tests.vectors import gcm_cavp_records

pytestmark = pytest.mark.xdist_group("gcm_device")    # one accelerator process for the module

EVERY = 15          # the first record of each length group (the groups have 15)


@pytest.fixture(params=["soft", "rtl"])
def datapath(request):
    """Each test on both datapaths; the rtl one is the module's accelerator process, left with
    no session and nothing in flight."""
    yield from soft_or_rtl(request)


@pytest.mark.parametrize("decrypt", [False, True], ids=["encrypt", "decrypt"])
def test_gcm_cavp_records_through_the_device(decrypt, datapath):
    dev = VirtioCryptoDevice(datapath, num_dataqueues=2)
    drv = VirtioCryptoDriver(dev, seed=14)
    layouts = itertools.cycle(LAYOUTS)
    done, failed, tag_lengths = 0, 0, set()
    for r in gcm_cavp_records(decrypt, every=EVERY):
        if len(r["iv"]) != 12:
            continue
        name, tag_len = r["name"], len(r["tag"])
        st, sid = drv.create_aead_session(vc.AEAD_GCM, r["key"], tag_len, len(r["aad"]),
                                          vc.OP_DECRYPT if decrypt else vc.OP_ENCRYPT)
        assert st == vc.OK, name
        q = done % 2
        if decrypt:
            t = drv.run(drv.aead(q, sid, False, r["iv"], r["ct"] + r["tag"], r["aad"], len(r["ct"]),
                                 layout=next(layouts)))
            if r["fail"]:
                assert t.status == vc.BADMSG, name
                assert t.dst == b"\xa5" * len(r["ct"]), f"{name}: plaintext released"
                failed += 1
            else:
                assert (t.status, t.dst) == (vc.OK, r["pt"]), name
        else:
            t = drv.run(drv.aead(q, sid, True, r["iv"], r["pt"], r["aad"], len(r["pt"]) + tag_len,
                                 layout=next(layouts)))
            assert (t.status, t.dst) == (vc.OK, r["ct"] + r["tag"]), name
        assert drv.destroy_session(vc.AEAD_DESTROY_SESSION, sid) == vc.OK
        done += 1
        tag_lengths.add(tag_len)
    # every 12-byte-IV group of the three key sizes (AAD and text 0-90 bytes, tags 4-16 bytes)
    assert done == 525, done
    assert tag_lengths == {4, 8, 12, 13, 14, 15, 16}
    assert failed > 0 if decrypt else failed == 0
    assert not dev.sessions
