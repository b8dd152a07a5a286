// aes_key_mem: the expanded round keys, 15 x 128 bits, written one 32-bit word at a time by
// the key expander and read one whole round key per clock by the round datapath.
// The read is synchronous (registered output) so synthesis maps it to block RAM (iCE40 EBR,
// ECP5 DP16KD/LUTRAM) instead of 1,920 flip-flops. wr_all_i writes wr_word_i into all four
// columns of the row (the engine's wipe zeroes one whole round key per clock through it).
`default_nettype none

module aes_key_mem (
  input  logic         clk_i,
  input  logic         wr_en_i,
  input  logic         wr_all_i,     // with wr_en_i: write every column of wr_row_i
  input  logic [3:0]   wr_row_i,
  input  logic [1:0]   wr_col_i,
  input  logic [31:0]  wr_word_i,
  input  logic [3:0]   rd_row_i,
  output logic [127:0] rd_key_o
);

  // One bank per column so each write touches a single 32-bit word.
  logic [31:0] bank0 [16];
  logic [31:0] bank1 [16];
  logic [31:0] bank2 [16];
  logic [31:0] bank3 [16];

  always_ff @(posedge clk_i) begin
    if (wr_en_i && (wr_all_i || wr_col_i == 2'd0)) bank0[wr_row_i] <= wr_word_i;
    if (wr_en_i && (wr_all_i || wr_col_i == 2'd1)) bank1[wr_row_i] <= wr_word_i;
    if (wr_en_i && (wr_all_i || wr_col_i == 2'd2)) bank2[wr_row_i] <= wr_word_i;
    if (wr_en_i && (wr_all_i || wr_col_i == 2'd3)) bank3[wr_row_i] <= wr_word_i;
    rd_key_o <= {bank0[rd_row_i], bank1[rd_row_i], bank2[rd_row_i], bank3[rd_row_i]};
  end

endmodule

`default_nettype wire
