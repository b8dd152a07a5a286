// aes_key_mem: the expanded round keys, 32 x 128 bits (rows 0..14: the data key K1's schedule;
// rows 16..30: the XTS tweak key K2's), written one 32-bit word at a time by the key expander
// and read one whole round key per clock by the round datapath.
// The read is synchronous (registered output) so synthesis maps it to block RAM (iCE40 EBR,
// ECP5 DP16KD/LUTRAM) instead of 3,840 flip-flops. wr_all_i writes wr_word_i into all four
// columns of the row (the engine's wipe zeroes one whole round key per clock through it).
// no_rw_check: a read of the row being written returns undefined data in the block RAM; the
// engine never uses such a read (while the expander or the wipe writes, no block runs, and
// each of them ends with a fresh read of the next round key), so synthesis need not emulate
// read-before-write (yosys would otherwise add a 128-bit bypass: 142 iCE40 LUTs, 76 flops).
`default_nettype none

module aes_key_mem (
  input  logic         clk_i,
  input  logic         wr_en_i,
  input  logic         wr_all_i,     // with wr_en_i: write every column of wr_row_i
  input  logic [4:0]   wr_row_i,
  input  logic [1:0]   wr_col_i,
  input  logic [31:0]  wr_word_i,
  input  logic [4:0]   rd_row_i,
  output logic [127:0] rd_key_o
);

  // One bank per column so each write touches a single 32-bit word.
  (* no_rw_check *) logic [31:0] bank0 [32];
  (* no_rw_check *) logic [31:0] bank1 [32];
  (* no_rw_check *) logic [31:0] bank2 [32];
  (* no_rw_check *) logic [31:0] bank3 [32];

  always_ff @(posedge clk_i) begin
    if (wr_en_i && (wr_all_i || wr_col_i == 2'd0)) bank0[wr_row_i] <= wr_word_i;
    if (wr_en_i && (wr_all_i || wr_col_i == 2'd1)) bank1[wr_row_i] <= wr_word_i;
    if (wr_en_i && (wr_all_i || wr_col_i == 2'd2)) bank2[wr_row_i] <= wr_word_i;
    if (wr_en_i && (wr_all_i || wr_col_i == 2'd3)) bank3[wr_row_i] <= wr_word_i;
    rd_key_o <= {bank0[rd_row_i], bank1[rd_row_i], bank2[rd_row_i], bank3[rd_row_i]};
  end

endmodule

`default_nettype wire
