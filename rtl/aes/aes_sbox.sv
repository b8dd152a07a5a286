// aes_sbox: one AES S-box byte lane, shared between SubBytes and InvSubBytes.
//
// Both directions share one GF(2^8) multiplicative inverter; only the affine map differs
// (FIPS-197 5.1.1 / 5.3.2):
//   SubBytes(x)    = A(inv(x))            A(y)  = y ^ rol1 ^ rol2 ^ rol3 ^ rol4 ^ 0x63
//   InvSubBytes(x) = inv(A^-1(x))         A^-1  = rol1 ^ rol3 ^ rol6 ^ 0x05
//
// The inverter works in a tower field instead of a 256-entry table (iCE40: ~320 LUT4s per
// lane for the table, ~80 for this; logic depth grows by about one LUT level):
//   GF(4)   = GF(2)[W]/(W^2 + W + 1)      polynomial basis {W, 1}
//   GF(16)  = GF(4)[Z]/(Z^2 + Z + PHI)    normal basis {Z^4, Z},    PHI = W + 1 = W^2
//   GF(256) = GF(16)[Y]/(Y^2 + Y + LAM)   normal basis {Y^16, Y},   LAM = W^2 * Z^4
// With a normal basis {g^q, g} (g + g^q = 1, g * g^q = c) the inverse of a1 g^q + a0 g is
// d^-1 (a0 g^q + a1 g) with d = a1 a0 + c (a1 + a0)^2, i.e. one subfield inversion, three
// subfield multiplications and a squaring-times-constant (linear) per level; in GF(4)
// inversion is squaring. Bits are basis coordinates: byte [7:4] = Y^16 and [3:0] = Y
// coefficient; nibble [3:2] = Z^4 and [1:0] = Z coefficient; pair [1] = W and [0] = 1.
//
// Basis change: a byte with bits b_i means sum b_i x^i in GF(2)[x]/(x^8+x^4+x^3+x+1); the
// map into the tower sends x to a root beta of that polynomial computed in the tower field
// (here beta = 8'h51), so bit j of the byte maps to the tower coordinates of beta^j. These
// GF(2)-linear maps are merged with the affine maps, one matrix per direction and side:
//   M_IN_ENC  = X               M_IN_DEC  = X * A^-1   (constant X * 0x05 = 8'he5)
//   M_OUT_ENC = A * X^-1        M_OUT_DEC = X^-1       (constant 0x63 from A)
// Derived with a throwaway Python script (not in the repository) that built the tower for
// every basis kind (polynomial/normal per level), every valid PHI, LAM and each of the 8
// roots beta, checked all 256 inputs in both directions against FIPS-197, and synthesised
// each candidate with yosys synth_ice40; this was the smallest. Matrix packing: row i
// (output bit i) in bits [8i+7:8i], bit j of a row = coefficient of input bit j.
//
// Views: this inverter is what synthesis, lint, coverage, formal and the cocotb regressions
// see. The accelerator process (sim/accel_process.py) defines VCRYPTO_SBOX_TABLE and adds
// aes_sbox_table.sv, the same function as a 512-entry table, which simulates several times
// faster; tests/test_sbox_views.py proves the two equal for every input.
`default_nettype none

module aes_sbox (
  input  logic [7:0] in_i,
  input  logic       inv_i,   // 1: InvSubBytes, 0: SubBytes
  output logic [7:0] out_o
);

`ifdef VCRYPTO_SBOX_TABLE
  aes_sbox_table u_table (.in_i, .inv_i, .out_o);
`else
  localparam logic [1:0]  PHI       = 2'b11;    // W + 1
  localparam logic [3:0]  LAM       = 4'b1100;  // W^2 * Z^4
  localparam logic [63:0] M_IN_ENC  = 64'h5cc33437f0c1384b;
  localparam logic [63:0] M_IN_DEC  = 64'hd4964ca1a5dffbe1;
  localparam logic [7:0]  C_IN_DEC  = 8'he5;
  localparam logic [63:0] M_OUT_ENC = 64'h72111efb2918d17c;
  localparam logic [63:0] M_OUT_DEC = 64'h3b4b91e97a584474;
  localparam logic [7:0]  C_OUT_ENC = 8'h63;

  // GF(2) 8x8 matrix times vector (the matrix is a constant: pure XOR trees).
  function automatic logic [7:0] mat8(input logic [63:0] m, input logic [7:0] v);
    for (int i = 0; i < 8; i++) mat8[i] = ^(m[8*i +: 8] & v);
  endfunction

  // GF(4), polynomial basis {W, 1}: (a1 W + a0)(b1 W + b0) with W^2 = W + 1.
  function automatic logic [1:0] gf4_mul(input logic [1:0] a, input logic [1:0] b);
    logic p;
    p       = a[0] & b[0];
    gf4_mul = {((a[1] ^ a[0]) & (b[1] ^ b[0])) ^ p, (a[1] & b[1]) ^ p};
  endfunction

  // a^2 = a1 W^2 + a0 = a1 W + (a1 + a0); in GF(4) this is also the inverse (a^3 = 1).
  function automatic logic [1:0] gf4_sq(input logic [1:0] a);
    gf4_sq = {a[1], a[1] ^ a[0]};
  endfunction

  // GF(16), normal basis {Z^4, Z}: Z^2 = Z + PHI, Z * Z^4 = PHI.
  function automatic logic [3:0] gf16_mul(input logic [3:0] a, input logic [3:0] b);
    logic [1:0] e;
    e        = gf4_mul(gf4_mul(a[3:2] ^ a[1:0], b[3:2] ^ b[1:0]), PHI);
    gf16_mul = {gf4_mul(a[3:2], b[3:2]) ^ e, gf4_mul(a[1:0], b[1:0]) ^ e};
  endfunction

  function automatic logic [3:0] gf16_inv(input logic [3:0] a);
    logic [1:0] d, di;
    d        = gf4_mul(a[3:2], a[1:0]) ^ gf4_mul(gf4_sq(a[3:2] ^ a[1:0]), PHI);
    di       = gf4_sq(d);
    gf16_inv = {gf4_mul(a[1:0], di), gf4_mul(a[3:2], di)};
  endfunction

  // GF(256), normal basis {Y^16, Y}: Y * Y^16 = LAM. LAM * s^2 is linear in s (synthesis
  // folds the constant multiply into an XOR network).
  function automatic logic [7:0] gf256_inv(input logic [7:0] a);
    logic [3:0] s, d, di;
    s         = a[7:4] ^ a[3:0];
    d         = gf16_mul(a[7:4], a[3:0]) ^ gf16_mul(gf16_mul(s, s), LAM);
    di        = gf16_inv(d);
    gf256_inv = {gf16_mul(a[3:0], di), gf16_mul(a[7:4], di)};
  endfunction

  logic [7:0] t, y;
  assign t     = inv_i ? (mat8(M_IN_DEC, in_i) ^ C_IN_DEC) : mat8(M_IN_ENC, in_i);
  assign y     = gf256_inv(t);
  assign out_o = inv_i ? mat8(M_OUT_DEC, y) : (mat8(M_OUT_ENC, y) ^ C_OUT_ENC);
`endif

endmodule

`default_nettype wire
