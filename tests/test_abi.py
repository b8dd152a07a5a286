"""The generated ABI files are fresh and agree with each other (C header compiled by gcc)."""
import subprocess
import sys

import bridge.abi as abi
from c_values import c_values
from sim.cocotb_run import ROOT


def test_generated_files_are_fresh():
    r = subprocess.run([sys.executable, str(ROOT / "firmware" / "gen_abi.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_c_header_matches_python(tmp_path):
    names = ["CSR_INT_STATUS", "QCSR_CQ_TAIL", "SQE_COOKIE_OFF", "CQE_PHASE_OFF", "CTX_OUTER_STATE_OFF",
             "STATUS_NOTSUPP", "OPCODE_CHAIN", "CSR_QUEUE_STRIDE"]
    got = c_values(tmp_path, ['"vcrypto_abi.h"'], [f"VCRYPTO_{n}" for n in names])
    want = []
    for n in names:
        if n.endswith("_OFF"):
            lay, field = n[:3].lower(), n[4:-4].lower()
            want.append(getattr(abi, f"{lay.upper()}_FIELDS")[field][0])
        else:
            want.append(getattr(abi, n))
    assert got == want


def test_layouts_do_not_overlap():
    for lay in ("SQE", "CQE", "CTX"):
        size = getattr(abi, f"{lay}_BYTES")
        used = bytearray(size)
        for name, (off, n) in getattr(abi, f"{lay}_FIELDS").items():
            assert off + n <= size, name
            for i in range(off, off + n):
                assert not used[i], f"{lay}.{name} overlaps"
                used[i] = 1
