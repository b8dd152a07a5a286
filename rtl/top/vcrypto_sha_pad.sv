// vcrypto_sha_pad: turns a message byte stream into padded SHA-2 blocks for sha256_engine
// (cmd_wide_i = 0) or sha512_engine (cmd_wide_i = 1).
//
// Input: packed 16-byte beats, byte i in bits [8i+7:8i] (as vcrypto_dma_rd delivers), the
// message length given with the command. Output: 128-bit beats with byte 0 in [127:120] (the
// engines' order) and in_last on the final beat: four per 64-byte block with FIPS 180-4 5.1.1
// padding (0x80, zeros, 64-bit big-endian bit length), or eight per 128-byte block with 5.1.2
// padding (0x80, zeros, 128-bit bit length: the whole last beat). With cmd_prefix_i the bit
// length counts one block (64 or 128 bytes) already absorbed into the engine's starting state
// (HMAC continued from an ipad/opad state). This is the "feeder pads" half of the engines'
// contract.
`default_nettype none

module vcrypto_sha_pad (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         cmd_valid_i,
  output logic         cmd_ready_o,
  input  logic [31:0]  cmd_len_i,
  input  logic         cmd_prefix_i,
  input  logic         cmd_wide_i,
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  output logic         out_valid_o,
  input  logic         out_ready_i,
  output logic [127:0] out_data_o,
  output logic         out_last_o
);

  typedef enum logic [1:0] {IDLE, MSG, PAD} state_e;
  state_e      state_q;
  logic [31:0] rem_q;          // message bytes still to come
  logic [2:0]  beat_q;         // beat index within the current block
  logic        wide_q;         // 128-byte blocks
  logic        marker_q;       // the 0x80 byte has been placed
  logic [63:0] bitlen_q;

  logic [4:0]  n;              // message bytes in this beat
  logic [127:0] be;            // this beat, byte 0 in [127:120]
  logic [127:0] in_be;         // the input beat, byte 0 in [127:120]
  logic        final_msg, len_here, last;

  assign n = (rem_q < 32'd16) ? rem_q[4:0] : 5'd16;
  assign in_be = {in_data_i[7:0], in_data_i[15:8], in_data_i[23:16], in_data_i[31:24],
                  in_data_i[39:32], in_data_i[47:40], in_data_i[55:48], in_data_i[63:56],
                  in_data_i[71:64], in_data_i[79:72], in_data_i[87:80], in_data_i[95:88],
                  in_data_i[103:96], in_data_i[111:104], in_data_i[119:112], in_data_i[127:120]};

  always_comb begin
    be = '0;
    if (state_q == MSG) begin
      // message bytes 0..n-1 in big-endian order, then the 0x80 marker when n < 16
      be = (in_be & ~({128{1'b1}} >> {n, 3'b000})) | ({8'h80, 120'd0} >> {n, 3'b000});
    end else if (!marker_q) begin
      be[127:120] = 8'h80;
    end
    // 64-byte blocks: the length goes in bytes 8..15 of the 4th beat when they are free;
    // 128-byte blocks: it is the whole 8th beat, after the marker
    final_msg = (state_q == MSG) && (rem_q <= 32'd16);
    if (wide_q) len_here = (beat_q == 3'd7) && (state_q == PAD) && marker_q;
    else        len_here = (beat_q[1:0] == 2'd3) && (state_q == PAD || (final_msg && n <= 5'd7));
    if (len_here) be[63:0] = bitlen_q;
    last = len_here;
  end

  assign cmd_ready_o = (state_q == IDLE);
  assign in_ready_o  = (state_q == MSG) && out_ready_i;
  assign out_valid_o = (state_q == PAD) || (state_q == MSG && in_valid_i);
  assign out_data_o  = be;
  assign out_last_o  = last;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= IDLE;
      rem_q    <= '0;
      beat_q   <= '0;
      wide_q   <= 1'b0;
      marker_q <= 1'b0;
      bitlen_q <= '0;
    end else if (state_q == IDLE) begin
      if (cmd_valid_i) begin
        state_q  <= (cmd_len_i == '0) ? PAD : MSG;
        rem_q    <= cmd_len_i;
        beat_q   <= '0;
        wide_q   <= cmd_wide_i;
        marker_q <= 1'b0;
        bitlen_q <= {29'd0, cmd_len_i, 3'b000} + (!cmd_prefix_i ? 64'd0 : cmd_wide_i ? 64'd1024 : 64'd512);
      end
    end else if (out_valid_o && out_ready_i) begin
      beat_q <= (!wide_q && beat_q == 3'd3) ? 3'd0 : beat_q + 3'd1;
      if (state_q == MSG) begin
        rem_q <= rem_q - {27'd0, n};
        if (n < 5'd16) marker_q <= 1'b1;
        if (final_msg) state_q <= last ? IDLE : PAD;
      end else begin
        marker_q <= 1'b1;
        if (last) state_q <= IDLE;
      end
    end
  end

endmodule

`default_nettype wire
