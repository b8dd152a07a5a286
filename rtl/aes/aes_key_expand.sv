// aes_key_expand: FIPS-197 KeyExpansion, one 32-bit schedule word per clock.
//
// Produces w[0 .. 4*(Nr+1)-1] (44/52/60 words for AES-128/192/256) and writes each into the
// round-key memory as it is made (word i -> round key i/4, column i%4). The words live in an
// 8-word shift register buf_q that shifts once per word, the new word entering at buf_q[7]: it
// starts as the key (words 0..7) and during the first Nk words it rotates (each key word is
// emitted from buf_q[0] and re-enters at the top), so from word Nk on w[i-1] is buf_q[7] and
// w[i-Nk] is buf_q[8-Nk] (a 3-way choice instead of an 8-way read of a circular buffer, and no
// write decoder: 389 iCE40 LUTs less). SubWord uses four S-box lanes borrowed from the round
// datapath (expansion and encryption never run at the same time), so expansion costs no
// S-boxes of its own; those lanes read the engine's state register, so the expander keeps a
// copy of w[i-1] there (sub_load_o / sub_word_o) instead of a multiplexer sitting in front of
// the S-boxes on the round's critical path. After the last word the register (and that copy)
// is cleared so no key material stays.
// Each word reaches the memory one clock after it is made (registered write port).
`default_nettype none

module aes_key_expand (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         start_i,      // one cycle: latch key_i / key_len_i and begin
  input  logic [1:0]   key_len_i,    // 0: 128, 1: 192, 2: 256 (3 is never started)
  input  logic [255:0] key_i,        // key byte 0 in [255:248]; shorter keys use the top bits
  output logic         busy_o,
  output logic         done_o,       // one cycle, after the last word is in the memory
  // round-key memory write port
  output logic         wr_en_o,
  output logic [3:0]   wr_row_o,
  output logic [1:0]   wr_col_o,
  output logic [31:0]  wr_word_o,
  // borrowed S-box lanes: the engine loads sub_word_o into the register its S-box lanes 0..3
  // read when sub_load_o is 1; sub_out_i = SubWord(that register), combinationally. The copy
  // is w[i-1] whenever SubWord is needed, and zero after the last word.
  output logic         sub_load_o,
  output logic [31:0]  sub_word_o,
  input  logic [31:0]  sub_out_i
);

  logic [31:0] buf_q [8];
  logic [2:0]  j_q;         // i mod Nk
  logic [5:0]  i_q;         // index of the word made this cycle
  logic [3:0]  row_q;
  logic [1:0]  col_q;
  logic [7:0]  rcon_q;
  logic [3:0]  nk_q;        // 4, 6 or 8
  logic [5:0]  last_q;      // 4*(Nr+1)-1
  logic        run_q, done_q;

  logic [31:0] temp, w, prev, back;
  logic        first_words;

  assign first_words = ({2'b00, i_q} < {4'b0, nk_q});
  assign prev        = buf_q[7];                                                     // w[i-1]
  // SubWord(RotWord(x)) = RotWord(SubWord(x)) (SubWord works bytewise): the S-boxes take w[i-1]
  // as it is and the rotation is wiring on their output (that path set the engine's Fmax on
  // ECP5 and in the 1-lane top)
  assign sub_load_o  = run_q;
  assign sub_word_o  = (i_q == last_q) ? 32'h0 : w;

  always_comb begin
    temp = prev;
    if (j_q == 3'd0)                          temp = {sub_out_i[23:0], sub_out_i[31:24]} ^ {rcon_q, 24'h0};
    else if (nk_q == 4'd8 && j_q == 3'd4)     temp = sub_out_i;
    case (nk_q)                                                                     // w[i-Nk]
      4'd6:    back = buf_q[2];
      4'd8:    back = buf_q[0];
      default: back = buf_q[4];
    endcase
    w = first_words ? buf_q[0] : (back ^ temp);
  end

  // The memory write is registered: it keeps the S-box -> XOR -> memory-input path (long
  // routing into LUTRAM/BRAM) out of the clock period. The last word is written in the clock
  // done_o is high, before the engine's round-key prefetch reads it.
  logic        wr_en_q;
  logic [3:0]  wr_row_q;
  logic [1:0]  wr_col_q;
  logic [31:0] wr_word_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_en_q   <= 1'b0;
      wr_row_q  <= '0;
      wr_col_q  <= '0;
      wr_word_q <= '0;
    end else begin
      wr_en_q   <= run_q;
      wr_row_q  <= row_q;
      wr_col_q  <= col_q;
      wr_word_q <= run_q ? w : 32'h0;     // no key word lingers in the register
    end
  end

  assign busy_o    = run_q | done_q;
  assign done_o    = done_q;
  assign wr_en_o   = wr_en_q;
  assign wr_row_o  = wr_row_q;
  assign wr_col_o  = wr_col_q;
  assign wr_word_o = wr_word_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int k = 0; k < 8; k++) buf_q[k] <= '0;
      j_q    <= '0;
      i_q    <= '0;
      row_q  <= '0;
      col_q  <= '0;
      rcon_q <= 8'h01;
      nk_q   <= 4'd4;
      last_q <= 6'd43;
      run_q  <= 1'b0;
      done_q <= 1'b0;
    end else begin
      done_q <= 1'b0;
      if (start_i) begin
        for (int k = 0; k < 8; k++) buf_q[k] <= key_i[255 - 32*k -: 32];
        j_q    <= '0;
        i_q    <= '0;
        row_q  <= '0;
        col_q  <= '0;
        rcon_q <= 8'h01;
        case (key_len_i)
          2'd1:    begin nk_q <= 4'd6; last_q <= 6'd51; end
          2'd2:    begin nk_q <= 4'd8; last_q <= 6'd59; end
          default: begin nk_q <= 4'd4; last_q <= 6'd43; end
        endcase
        run_q  <= 1'b1;
      end else if (run_q) begin
        for (int k = 0; k < 7; k++) buf_q[k] <= buf_q[k + 1];
        buf_q[7] <= w;
        if (!first_words && j_q == 3'd0) rcon_q <= {rcon_q[6:0], 1'b0} ^ (rcon_q[7] ? 8'h1b : 8'h00);
        j_q   <= ({1'b0, j_q} == nk_q - 4'd1) ? 3'd0 : j_q + 3'd1;
        col_q <= col_q + 2'd1;
        if (col_q == 2'd3) row_q <= row_q + 4'd1;
        i_q   <= i_q + 6'd1;
        if (i_q == last_q) begin
          run_q  <= 1'b0;
          done_q <= 1'b1;
          // The tail of the schedule is as good as the key: do not keep it.
          for (int k = 0; k < 8; k++) buf_q[k] <= '0;
        end
      end
    end
  end

endmodule

`default_nettype wire
