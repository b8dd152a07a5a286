// ghash: GHASH of AES-GCM (NIST SP 800-38D, 6.4): Y <- (Y ^ X) * H in GF(2^128), digit-serial,
// DIGIT bits of the operand per clock, 128/DIGIT clocks a block (8 with the default 16: inside
// the 11 clocks of an AES-128 block, so GCM runs at the AES engine's block rate).
//
// Bit order is GCM's: a block is the 128-bit string of its 16 bytes, byte 0 first, and its
// bit 0 (the polynomial's x^0 coefficient) is the most significant bit of byte 0 -- vector bit
// 127 here, with the block loaded big-endian ({byte0, ..., byte15}). Multiplying by x is a
// right shift of that vector, with R = 11100001 || 0^120 folded in when bit 0 of the vector
// falls off (Algorithm 1 of SP 800-38D, one bit at a time; here DIGIT of its steps a clock).
//
// Contract (rtl/README.md, ghash): `h_load_i` loads the hash subkey H = E(K, 0^128) and clears
// Y; `clear_i` clears Y (a new message; it also ends a product in flight); `start_i` with `blk_i` takes one block when !busy_o
// and sets Y <- (Y ^ blk_i) * H, busy for 128/DIGIT clocks, then `done_o` pulses for one clock
// and `y_o` holds the new Y until the next start, clear or load (y_o is not a product while
// busy). `wipe_i` zeroes H, Y and the operand registers (key hygiene) and ends a product in
// flight. Priority: wipe, h_load, clear, start. A start while busy is ignored.
`default_nettype none

module ghash
#(
  parameter int DIGIT = 16           // operand bits per clock: 1, 2, 4, 8, 16, 32, 64 or 128
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         h_load_i,
  input  logic [127:0] h_i,
  input  logic         clear_i,
  input  logic         start_i,
  input  logic [127:0] blk_i,
  input  logic         wipe_i,
  output logic         busy_o,
  output logic         done_o,
  output logic [127:0] y_o
);
  localparam int STEPS = 128 / DIGIT;
  localparam int CW    = $clog2(STEPS + 1);

`ifndef __ICARUS__                  // (Icarus has no elaboration-time $error)
  if (DIGIT < 1 || DIGIT > 128 || (1 << $clog2(DIGIT)) != DIGIT) begin : g_bad_digit
    $error("ghash: DIGIT must be a power of two, 1..128");
  end
`endif

  // V * x: one step of Algorithm 1 (a right shift, R folded in when bit 0 falls off)
  function automatic logic [127:0] times_x(input logic [127:0] v);
    times_x = {1'b0, v[127:1]} ^ (v[0] ? {8'hE1, 120'd0} : 128'd0);
  endfunction

  logic [127:0] h_q;        // the hash subkey H
  logic [127:0] y_q;        // Y; while busy the partial product Z
  logic [127:0] x_q;        // the operand (Y ^ X), consumed from its bit 127 (GCM bit 0) on
  logic [127:0] v_q;        // H * x^(DIGIT * steps done)
  logic [CW-1:0] left_q;    // steps still to do
  logic         done_q;

  // DIGIT steps of Algorithm 1 in one clock: Z ^= x_j ? V x^j, then V <- V x^DIGIT
  logic [127:0] v_pow [DIGIT+1];
  logic [127:0] z_next;
  always_comb begin
    v_pow[0] = v_q;
    for (int j = 0; j < DIGIT; j++) v_pow[j + 1] = times_x(v_pow[j]);
    z_next = y_q;
    for (int j = 0; j < DIGIT; j++)
      if (x_q[127 - j]) z_next = z_next ^ v_pow[j];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      h_q <= '0; y_q <= '0; x_q <= '0; v_q <= '0; left_q <= '0; done_q <= 1'b0;
    end else begin
      done_q <= 1'b0;
      if (wipe_i) begin
        h_q <= '0; y_q <= '0; x_q <= '0; v_q <= '0; left_q <= '0;
      end else if (h_load_i) begin
        h_q <= h_i; y_q <= '0; left_q <= '0;
      end else if (clear_i) begin
        y_q <= '0; left_q <= '0;
      end else if (left_q != '0) begin
        y_q    <= z_next;
        v_q    <= v_pow[DIGIT];
        x_q    <= x_q << DIGIT;
        left_q <= left_q - CW'(1);
        done_q <= left_q == CW'(1);
      end else if (start_i) begin
        x_q    <= y_q ^ blk_i;
        y_q    <= '0;
        v_q    <= h_q;
        left_q <= CW'(STEPS);
      end
    end
  end

  assign busy_o = left_q != '0;
  assign done_o = done_q;
  assign y_o    = y_q;

endmodule

`default_nettype wire
