"""The two views of the AES S-box are the same function (issue #17).

rtl/aes/aes_sbox.sv (tower-field inverter: synthesis, lint, coverage, formal, cocotb) and
rtl/aes/aes_sbox_table.sv (512-entry table: the accelerator process only, selected with
+define+VCRYPTO_SBOX_TABLE) must agree on all 512 inputs {inv_i, in_i}:

  * exhaustive simulation with Verilator of both views side by side, and of `aes_sbox` as the
    accelerator build elaborates it (with the define), each output also checked against
    FIPS-197's S-box computed here from the field definition;
  * a yosys SAT proof on the miter of the two modules (every input, not only the ones
    simulated), and a mutant table (one entry wrong) that the same proof must reject.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from sim.cocotb_run import ROOT

TOWER = ROOT / "rtl" / "aes" / "aes_sbox.sv"
TABLE = ROOT / "rtl" / "aes" / "aes_sbox_table.sv"
DEFINE = "VCRYPTO_SBOX_TABLE"


# ---------------------------------------------------------------- FIPS-197 reference
def _gmul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = (a << 1) ^ (0x11B if a & 0x80 else 0)
        b >>= 1
    return r


def fips_sbox() -> tuple[list[int], list[int]]:
    """SubBytes and InvSubBytes from GF(2^8) inversion and the affine map (FIPS-197 5.1.1)."""
    inv = [0] * 256
    for x in range(1, 256):
        inv[x] = next(y for y in range(1, 256) if _gmul(x, y) == 1)
    rol = lambda v, n: ((v << n) | (v >> (8 - n))) & 0xFF   # noqa: E731
    sub = [y ^ rol(y, 1) ^ rol(y, 2) ^ rol(y, 3) ^ rol(y, 4) ^ 0x63 for y in inv]
    isub = [0] * 256
    for x, s in enumerate(sub):
        isub[s] = x
    return sub, isub


def test_reference_is_fips_197():
    sub, isub = fips_sbox()
    assert (sub[0x00], sub[0x53], sub[0xFF]) == (0x63, 0xED, 0x16)      # FIPS-197 Figure 7
    assert (isub[0x63], isub[0xED], isub[0x16]) == (0x00, 0x53, 0xFF)


# ---------------------------------------------------------------- exhaustive simulation
TB = """\
`default_nettype none
module sbox_views_tb (
  input  logic [7:0] in_i,
  input  logic       inv_i,
  output logic [7:0] sbox_o,    // aes_sbox as elaborated (tower; the table with the define)
  output logic [7:0] table_o    // aes_sbox_table
);
  aes_sbox       u_sbox  (.in_i, .inv_i, .out_o(sbox_o));
  aes_sbox_table u_table (.in_i, .inv_i, .out_o(table_o));
endmodule
`default_nettype wire
"""

MAIN = """\
#include <cstdio>
#include "Vsbox_views_tb.h"
#include "verilated.h"
int main(int argc, char** argv) {
    VerilatedContext ctx;
    ctx.commandArgs(argc, argv);
    Vsbox_views_tb m{&ctx};
    for (unsigned x = 0; x < 512; x++) {
        m.inv_i = x >> 8;
        m.in_i = x & 0xFF;
        m.eval();
        std::printf("%u %u %u\\n", x, unsigned(m.sbox_o), unsigned(m.table_o));
    }
    m.final();
    return 0;
}
"""


def _verilator() -> str:
    exe = Path(sys.executable).parent / "verilator"
    return str(exe) if exe.exists() else "verilator"


def _simulate(tmp: Path, define: bool) -> list[tuple[int, int]]:
    """All 512 inputs through a Verilator model of both views: [(aes_sbox, aes_sbox_table)]."""
    d = tmp / ("with_define" if define else "plain")
    d.mkdir()
    (d / "sbox_views_tb.sv").write_text(TB)
    (d / "main.cpp").write_text(MAIN)
    cmd = [_verilator(), "--cc", "--exe", "--build", "-j", "2", "-Wall", "--top-module", "sbox_views_tb",
           *([f"+define+{DEFINE}"] if define else []), "-Mdir", str(d / "obj"), "-o", str(d / "sim"),
           "-CFLAGS", "-O0", "-MAKEFLAGS", "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0",
           str(TABLE), str(TOWER), str(d / "sbox_views_tb.sv"), str(d / "main.cpp")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    out = subprocess.run([str(d / "sim")], capture_output=True, text=True, check=True).stdout.split("\n")
    rows = [tuple(map(int, ln.split())) for ln in out if ln.strip()]
    assert [x for x, _, _ in rows] == list(range(512))
    return [(a, b) for _, a, b in rows]


def test_views_agree_on_every_input_in_simulation(tmp_path):
    sub, isub = fips_sbox()
    want = sub + isub                                   # index {inv_i, in_i}
    plain = _simulate(tmp_path, define=False)           # aes_sbox = tower field
    accel = _simulate(tmp_path, define=True)            # aes_sbox = the table (accelerator build)
    tower = [a for a, _ in plain]
    table = [b for _, b in plain]
    as_built = [a for a, _ in accel]
    for name, got in (("tower (aes_sbox.sv)", tower), ("table (aes_sbox_table.sv)", table),
                      (f"aes_sbox with +define+{DEFINE}", as_built)):
        bad = [f"{x >> 8}:{x & 0xFF:02x}->{g:02x} (want {want[x]:02x})" for x, g in enumerate(got) if g != want[x]]
        assert not bad, f"{name} differs from FIPS-197 on {len(bad)} inputs: {bad[:8]}"
    assert tower == table == as_built


# ---------------------------------------------------------------- SAT proof on a miter
def _yosys() -> str:
    y = shutil.which("yosys")
    assert y, "yosys not installed (make setup installs it)"
    return y


def _prove_equal(table_file: Path) -> subprocess.CompletedProcess:
    # memory_map: yosys reads the table's case statement as a ROM, which SAT cannot import
    script = (f"read_verilog -sv {TOWER}; read_verilog -sv {table_file}; prep; memory_map; opt_clean; "
              "miter -equiv -flatten -make_assert aes_sbox aes_sbox_table sbox_miter; "
              "hierarchy -top sbox_miter; sat -verify -prove-asserts -show-ports sbox_miter")
    return subprocess.run([_yosys(), "-p", script], capture_output=True, text=True, cwd=ROOT)


def test_views_proven_equivalent_by_sat():
    r = _prove_equal(TABLE)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    assert "SAT proof finished - no model found: SUCCESS!" in r.stdout


def test_sat_proof_rejects_a_wrong_table(tmp_path):
    text = TABLE.read_text()
    entry = "9'h153: out_o = 8'h50;"                 # InvSubBytes(0x53) = 0x50 (FIPS-197)
    assert entry in text
    mutant = tmp_path / "aes_sbox_table.sv"
    mutant.write_text(text.replace(entry, "9'h153: out_o = 8'h51;"))
    r = _prove_equal(mutant)
    assert r.returncode != 0, "the equivalence proof accepted a table with a wrong entry"
    assert "proof did fail" in r.stderr
