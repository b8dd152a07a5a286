"""The register map is SystemRDL (rtl/top/vcrypto_csr.rdl): the PeakRDL outputs committed in the
repository are fresh, and the C header (peakrdl-cheader), the Python offsets (bridge/abi.py) and
the register block agree."""
import subprocess
import sys

import bridge.abi as abi
from c_values import c_values
from rtl.filelists import ROOT, rtl_sources


def test_peakrdl_outputs_are_fresh():
    r = subprocess.run([sys.executable, str(ROOT / "firmware" / "gen_csr.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_register_block_is_generated_and_used():
    names = [p.name for p in rtl_sources("vcrypto_top")]
    assert {"vcrypto_csr_regs_pkg.sv", "vcrypto_csr_regs.sv", "vcrypto_csr.sv"} <= set(names)
    wrapper = (ROOT / "rtl" / "top" / "vcrypto_csr.sv").read_text()
    assert "vcrypto_csr_regs u_regs" in wrapper
    assert "case (wa)" not in wrapper, "the hand-written address decode is gone"
    gen = (ROOT / "rtl" / "top" / "vcrypto_csr_regs.sv").read_text()
    assert "PeakRDL-regblock" in gen and "s_axil_awvalid" in gen


def test_c_header_matches_python(tmp_path):
    """offsetof() in peakrdl-cheader's struct == the offsets bridge/abi.py hands the driver."""
    regs = ["ID", "CTRL", "STATUS", "INT_STATUS", "INT_MASK", "WIN_SIZE_HI", "REQ_DONE", "SCRUB", "CYCLES_HI"]
    qregs = ["SQ_BASE_LO", "SQ_SIZE_LOG2", "SQ_TAIL", "SQ_HEAD", "CQ_SIZE_LOG2", "CQ_HEAD", "CQ_TAIL"]
    exprs = [f"offsetof(vcrypto_csr_regs_t, {r})" for r in regs]
    exprs += [f"offsetof(vcrypto_csr_regs_t, Q{q}) + offsetof(vcrypto_csr_regs__Q{q}_t, {r})"
              for q in range(abi.DEV_NUM_QUEUES) for r in qregs]
    exprs += ["VCRYPTO_CSR_REGS__STATUS__KEYS_HELD_bp", "VCRYPTO_CSR_REGS__STATUS__RING_FAULT_bp",
              "VCRYPTO_CSR_REGS__INT_STATUS__Q3_bp"]
    got = c_values(tmp_path, ["<stddef.h>", '"vcrypto_csr.h"'], exprs)
    want = [getattr(abi, f"CSR_{r}") for r in regs]
    want += [abi.qcsr(q, getattr(abi, f"QCSR_{r}")) for q in range(abi.DEV_NUM_QUEUES) for r in qregs]
    want += [abi.CSR_FIELDS["STATUS"]["KEYS_HELD"][0], abi.CSR_FIELDS["STATUS"]["RING_FAULT"][0],
             abi.CSR_FIELDS["INT_STATUS"]["Q3"][0]]
    assert got == want


def test_python_map_keeps_the_driver_contract():
    """The offsets the driver and the testbenches have always used (firmware/ABI.md before the
    move to SystemRDL)."""
    assert (abi.CSR_ID, abi.CSR_CTRL, abi.CSR_STATUS, abi.CSR_INT_STATUS, abi.CSR_INT_MASK) == (0x0, 0x10, 0x14, 0x18, 0x1C)
    assert (abi.CSR_WIN_BASE_LO, abi.CSR_ERR_AXI, abi.CSR_REQ_DONE, abi.CSR_SCRUB, abi.CSR_CYCLES_HI) == (0x20, 0x30, 0x40, 0x44, 0x4C)
    assert (abi.CSR_QUEUE_BASE, abi.CSR_QUEUE_STRIDE) == (0x100, 0x40)
    assert (abi.QCSR_SQ_TAIL, abi.QCSR_SQ_HEAD, abi.QCSR_CQ_HEAD, abi.QCSR_CQ_TAIL) == (0x0C, 0x10, 0x20, 0x24)
    assert abi.CSR_FIELDS["STATUS"] == {"IDLE": (0, 1), "SCRUB_BUSY": (1, 1), "KEYS_HELD": (2, 1), "RING_FAULT": (8, 4)}
