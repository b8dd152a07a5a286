// sha512_engine: SHA-512 family compression (FIPS 180-4: SHA-512, SHA-384, SHA-512/224,
// SHA-512/256), one round per clock, continuing from a standard IV or from any supplied
// chaining state, with the state readable at the end. The SHA-512 counterpart of
// sha256_engine, with the same stream contract (see rtl/README.md).
//
// Streams:
//   cfg   : opens a message. cfg_init_i = 0 SHA-512 IV, 1 SHA-384 IV, 2 start from cfg_state_i
//           (e.g. an HMAC inner/outer state precomputed by software), 4 SHA-512/224 IV,
//           5 SHA-512/256 IV; 3, 6 and 7 are invalid.
//   in    : the message, ALREADY PADDED by the feeder (FIPS 180-4 5.1.2: 0x80, zeros, 128-bit
//           big-endian bit length of everything hashed from the IV, including any prefix
//           already absorbed into a supplied state), as 128-bit beats, eight per 1024-bit block,
//           byte 0 in [127:120]. in_last_i marks the eighth beat of the final block.
//   state : after the final block, the 512-bit chaining state H0..H7 (H0 in [511:448]). The
//           digest is its top 512/384/224/256 bits.
//
// Micro-architecture (area first, see rtl/README.md for the numbers behind it):
//   * message FIFO: two blocks of beats in a 16 x 128-bit memory with a registered read
//     (block RAM), instead of a 1,024-flop block buffer and a 1,024-bit load multiplexer;
//   * the schedule window W[t..t+15] is a plain shift register. The next block's 16 words are
//     shifted into it one per clock, from the FIFO, during the last 16 rounds of the current
//     block (W[t+16] is no longer needed then), or while the engine is idle;
//   * round constants in a 128 x 64-bit ROM with a registered read (block RAM), read one
//     round ahead;
//   * h + K[t] + W[t] is computed one round ahead (hkw_q), so a round is
//     hkw + S1(e) + Ch(e,f,g) (+ S0(a) + Maj(a,b,c)): carry-save adders and one carry chain
//     for each of a and e.
// A block takes 80 round clocks plus one clock adding it into H: 81 clocks per block
// sustained, when the next block is in the FIFO before round 64 of the current one.
// Defined responses to bad input (as sha256_engine):
//   * invalid cfg_init_i: consumed, cfg_err_o rises (until the next valid cfg); no message opens;
//   * beats while no message is open: consumed and dropped; one carrying in_last_i is
//     answered by one state beat with state_err_o=1 and zero state;
//   * in_last_i on beat 1..7 of a block: the partial block is dropped, the message closes with
//     one error state beat;
//   * a cfg while a message is open (before its last block): accepted only once the engine
//     has compressed every block it took; the unfinished message is closed with one error
//     state beat and the new message opens.
// So every in_last_i beat and every abandoned message produce exactly one state beat.
`default_nettype none

module sha512_engine (
  input  logic         clk_i,
  input  logic         rst_ni,
  // configuration (opens a message)
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic [2:0]   cfg_init_i,
  input  logic [511:0] cfg_state_i,
  // padded message beats
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  input  logic         in_last_i,
  // chaining state after the final block
  output logic         state_valid_o,
  input  logic         state_ready_i,
  output logic [511:0] state_o,
  output logic         state_err_o,
  // status
  output logic         cfg_err_o,
  output logic         idle_o
);

  // The engine's clock: a wire as synthesised; in the accelerator process's simulation view
  // (+define+VCRYPTO_CLOCK_GATE; rtl/README.md, "Views") it runs only while the engine can change
  // state (a configuration or beat offered, a block buffered or compressing, the state waiting to
  // leave) and 8 clocks after.
  logic eng_clk;
  vcrypto_clock_gate #(.HOLD(8)) u_clock (
    .clk_i, .rst_ni,
    .busy_i  (cfg_valid_i | in_valid_i | state_valid_o | !idle_o),
    .event_i (1'b0),
    .clk_o   (eng_clk)
  );

  localparam logic [511:0] IV_SHA512 = {
    64'h6a09e667f3bcc908, 64'hbb67ae8584caa73b, 64'h3c6ef372fe94f82b, 64'ha54ff53a5f1d36f1,
    64'h510e527fade682d1, 64'h9b05688c2b3e6c1f, 64'h1f83d9abfb41bd6b, 64'h5be0cd19137e2179};
  localparam logic [511:0] IV_SHA384 = {
    64'hcbbb9d5dc1059ed8, 64'h629a292a367cd507, 64'h9159015a3070dd17, 64'h152fecd8f70e5939,
    64'h67332667ffc00b31, 64'h8eb44a8768581511, 64'hdb0c2e0d64f98fa7, 64'h47b5481dbefa4fa4};
  localparam logic [511:0] IV_SHA512_224 = {
    64'h8c3d37c819544da2, 64'h73e1996689dcd4d6, 64'h1dfab7ae32ff9c82, 64'h679dd514582f9fcf,
    64'h0f6d2b697bd44da8, 64'h77e36f7304c48942, 64'h3f9d85a86a1d36c8, 64'h1112e6ad91d692a1};
  localparam logic [511:0] IV_SHA512_256 = {
    64'h22312194fc2bf72c, 64'h9f555fa3c84c64c2, 64'h2393b86b6f53b151, 64'h963877195940eabd,
    64'h96283ee2a88effe3, 64'hbe5e1e2553863992, 64'h2b0199fc2c85b8aa, 64'h0eb72ddc81c52ca2};
  localparam logic [63:0]  K0 = 64'h428a2f98d728ae22;

  function automatic logic [63:0] rotr(input logic [63:0] x, input int n);
    rotr = (x >> n) | (x << (64 - n));
  endfunction
  function automatic logic [63:0] big_sigma0(input logic [63:0] x);
    big_sigma0 = rotr(x, 28) ^ rotr(x, 34) ^ rotr(x, 39);
  endfunction
  function automatic logic [63:0] big_sigma1(input logic [63:0] x);
    big_sigma1 = rotr(x, 14) ^ rotr(x, 18) ^ rotr(x, 41);
  endfunction
  function automatic logic [63:0] small_sigma0(input logic [63:0] x);
    small_sigma0 = rotr(x, 1) ^ rotr(x, 8) ^ (x >> 7);
  endfunction
  function automatic logic [63:0] small_sigma1(input logic [63:0] x);
    small_sigma1 = rotr(x, 19) ^ rotr(x, 61) ^ (x >> 6);
  endfunction
  // carry-save adder: x + y + z = sum + carry (mod 2^64)
  function automatic logic [127:0] csa(input logic [63:0] x, input logic [63:0] y, input logic [63:0] z);
    csa = {x ^ y ^ z, ((x & y) | (x & z) | (y & z)) << 1};
  endfunction

  // ---------------------------------------------------------------- round constants (ROM)
  logic [63:0] k_rom [128];
  initial begin
    for (int i = 80; i < 128; i++) k_rom[i] = 64'h0;
    k_rom[0] = 64'h428a2f98d728ae22; k_rom[1] = 64'h7137449123ef65cd; k_rom[2] = 64'hb5c0fbcfec4d3b2f; k_rom[3] = 64'he9b5dba58189dbbc;
    k_rom[4] = 64'h3956c25bf348b538; k_rom[5] = 64'h59f111f1b605d019; k_rom[6] = 64'h923f82a4af194f9b; k_rom[7] = 64'hab1c5ed5da6d8118;
    k_rom[8] = 64'hd807aa98a3030242; k_rom[9] = 64'h12835b0145706fbe; k_rom[10] = 64'h243185be4ee4b28c; k_rom[11] = 64'h550c7dc3d5ffb4e2;
    k_rom[12] = 64'h72be5d74f27b896f; k_rom[13] = 64'h80deb1fe3b1696b1; k_rom[14] = 64'h9bdc06a725c71235; k_rom[15] = 64'hc19bf174cf692694;
    k_rom[16] = 64'he49b69c19ef14ad2; k_rom[17] = 64'hefbe4786384f25e3; k_rom[18] = 64'h0fc19dc68b8cd5b5; k_rom[19] = 64'h240ca1cc77ac9c65;
    k_rom[20] = 64'h2de92c6f592b0275; k_rom[21] = 64'h4a7484aa6ea6e483; k_rom[22] = 64'h5cb0a9dcbd41fbd4; k_rom[23] = 64'h76f988da831153b5;
    k_rom[24] = 64'h983e5152ee66dfab; k_rom[25] = 64'ha831c66d2db43210; k_rom[26] = 64'hb00327c898fb213f; k_rom[27] = 64'hbf597fc7beef0ee4;
    k_rom[28] = 64'hc6e00bf33da88fc2; k_rom[29] = 64'hd5a79147930aa725; k_rom[30] = 64'h06ca6351e003826f; k_rom[31] = 64'h142929670a0e6e70;
    k_rom[32] = 64'h27b70a8546d22ffc; k_rom[33] = 64'h2e1b21385c26c926; k_rom[34] = 64'h4d2c6dfc5ac42aed; k_rom[35] = 64'h53380d139d95b3df;
    k_rom[36] = 64'h650a73548baf63de; k_rom[37] = 64'h766a0abb3c77b2a8; k_rom[38] = 64'h81c2c92e47edaee6; k_rom[39] = 64'h92722c851482353b;
    k_rom[40] = 64'ha2bfe8a14cf10364; k_rom[41] = 64'ha81a664bbc423001; k_rom[42] = 64'hc24b8b70d0f89791; k_rom[43] = 64'hc76c51a30654be30;
    k_rom[44] = 64'hd192e819d6ef5218; k_rom[45] = 64'hd69906245565a910; k_rom[46] = 64'hf40e35855771202a; k_rom[47] = 64'h106aa07032bbd1b8;
    k_rom[48] = 64'h19a4c116b8d2d0c8; k_rom[49] = 64'h1e376c085141ab53; k_rom[50] = 64'h2748774cdf8eeb99; k_rom[51] = 64'h34b0bcb5e19b48a8;
    k_rom[52] = 64'h391c0cb3c5c95a63; k_rom[53] = 64'h4ed8aa4ae3418acb; k_rom[54] = 64'h5b9cca4f7763e373; k_rom[55] = 64'h682e6ff3d6b2b8a3;
    k_rom[56] = 64'h748f82ee5defb2fc; k_rom[57] = 64'h78a5636f43172f60; k_rom[58] = 64'h84c87814a1f0ab72; k_rom[59] = 64'h8cc702081a6439ec;
    k_rom[60] = 64'h90befffa23631e28; k_rom[61] = 64'ha4506cebde82bde9; k_rom[62] = 64'hbef9a3f7b2c67915; k_rom[63] = 64'hc67178f2e372532b;
    k_rom[64] = 64'hca273eceea26619c; k_rom[65] = 64'hd186b8c721c0c207; k_rom[66] = 64'heada7dd6cde0eb1e; k_rom[67] = 64'hf57d4f7fee6ed178;
    k_rom[68] = 64'h06f067aa72176fba; k_rom[69] = 64'h0a637dc5a2c898a6; k_rom[70] = 64'h113f9804bef90dae; k_rom[71] = 64'h1b710b35131c471b;
    k_rom[72] = 64'h28db77f523047d84; k_rom[73] = 64'h32caab7b40c72493; k_rom[74] = 64'h3c9ebe0a15c9bebc; k_rom[75] = 64'h431d67c49c100d4c;
    k_rom[76] = 64'h4cc5d4becb3e42b6; k_rom[77] = 64'h597f299cfc657e2a; k_rom[78] = 64'h5fcb6fab3ad6faec; k_rom[79] = 64'h6c44198c4a475817;
  end

  // ---------------------------------------------------------------- state
  logic [63:0]  h_q [8];       // chaining state H0..H7
  logic [63:0]  v_q [8];       // working variables a..h
  logic [63:0]  w_q [16];      // message schedule window W[t..t+15]
  logic [63:0]  hkw_q;         // h + K[t] + W[t] of the round executed next
  logic         hkw_ok_q;      // hkw_q is round 0's, for the block waiting in the window
  logic         busy_q, blk_last_q;
  logic [6:0]   t_q;           // 1..79: round; 80: add into H
  logic         open_q, fin_q, out_valid_q, out_err_q, cfg_err_q;
  logic [63:0]  k_q;           // ROM output: K[t+1] during round t
  // message FIFO: two block slots of eight beats
  logic [127:0] fifo_mem [16];
  logic [127:0] rd_data_q;     // registered read: beat {rd_slot_q, rd_beat_q}
  logic         wr_slot_q, rd_slot_q, rd_valid_q, rd_half_q, win_last_q;
  logic [2:0]   wr_beat_q, rd_beat_q;
  logic [1:0]   full_q, last_q;  // per slot: all eight beats written / ends the message
  logic [4:0]   ld_cnt_q;      // words of the next block in the window (16: ready)

  // ---------------------------------------------------------------- control
  logic cfg_fire, cfg_ok, in_fire, wr_en, err_in, start, rnd, add, tail_rounds, ld_shift;
  logic ld_first, ld_next, ld_done, rd_en;
  logic [3:0] rd_addr;
  logic [63:0] ld_word;

  assign cfg_ready_o = !busy_q && full_q == 2'b00 && !rd_valid_q && ld_cnt_q == 5'd0 &&
                       wr_beat_q == 3'd0 && !out_valid_q;
  assign cfg_fire    = cfg_valid_i && cfg_ready_o;
  assign cfg_ok      = cfg_init_i != 3'd3 && cfg_init_i[2:1] != 2'b11;
  // No beats while the final block waits or compresses: its state beat owns the output slot.
  assign in_ready_o  = !full_q[wr_slot_q] && !out_valid_q && !cfg_valid_i && !fin_q;
  assign in_fire     = in_valid_i && in_ready_o;
  assign wr_en       = in_fire && open_q && !(in_last_i && wr_beat_q != 3'd7);
  assign err_in      = in_fire && in_last_i && !(open_q && wr_beat_q == 3'd7);

  assign start       = !busy_q && hkw_ok_q;
  assign add         = busy_q && t_q == 7'd80;
  assign rnd         = start || (busy_q && !add);
  // rounds 64..79: the window slot shifted in is no longer needed by the schedule
  assign tail_rounds = busy_q && t_q[6:4] == 3'b100;
  // The loader shifts one word into the window per clock: while idle, or in step with rounds
  // 64..79 (word j in round 64 + j; it only starts in round 64, when the whole next block is
  // in the FIFO, so it never falls behind).
  assign ld_shift    = rd_valid_q && ((!busy_q && !ld_cnt_q[4]) ||
                                      (tail_rounds && ld_cnt_q == {1'b0, t_q[3:0]}));
  assign ld_word     = rd_half_q ? rd_data_q[63:0] : rd_data_q[127:64];
  assign ld_first    = full_q[rd_slot_q] && !rd_valid_q;
  assign ld_next     = ld_shift && rd_half_q && rd_beat_q != 3'd7;
  assign ld_done     = ld_shift && rd_half_q && rd_beat_q == 3'd7;
  assign rd_en       = ld_first || ld_next;
  assign rd_addr     = {rd_slot_q, ld_first ? 3'd0 : rd_beat_q + 3'd1};

  // ---------------------------------------------------------------- memories
  always_ff @(posedge eng_clk) begin
    if (wr_en) fifo_mem[{wr_slot_q, wr_beat_q}] <= in_data_i;
    if (rd_en) rd_data_q <= fifo_mem[rd_addr];
  end

  logic [6:0] k_addr;
  assign k_addr = rnd ? (start ? 7'd2 : t_q + 7'd2) : 7'd1;
  always_ff @(posedge eng_clk) k_q <= k_rom[k_addr];

  // ---------------------------------------------------------------- round datapath
  logic [63:0]  cur [8];
  logic [63:0]  hsum [8];
  logic [63:0]  a_new, e_new, w_new, hkw_d, hx, hv, wy, kk;
  logic [127:0] s1, s2, s3, se, hk1, hk2, ws1, ws2;

  always_comb begin
    for (int k = 0; k < 8; k++) cur[k]  = start ? h_q[k] : v_q[k];
    for (int k = 0; k < 8; k++) hsum[k] = h_q[k] + v_q[k];
    // a = hkw + S1(e) + Ch(e,f,g) + S0(a) + Maj(a,b,c);  e = d + hkw + S1(e) + Ch(e,f,g)
    s1 = csa(hkw_q, big_sigma1(cur[4]), (cur[4] & cur[5]) ^ (~cur[4] & cur[6]));
    s2 = csa(s1[127:64], s1[63:0], big_sigma0(cur[0]));
    s3 = csa(s2[127:64], s2[63:0], (cur[0] & cur[1]) ^ (cur[0] & cur[2]) ^ (cur[1] & cur[2]));
    se = csa(s1[127:64], s1[63:0], cur[3]);
    a_new = s3[127:64] + s3[63:0];
    e_new = se[127:64] + se[63:0];
    // W[t+16] = s1(W[t+14]) + W[t+9] + s0(W[t+1]) + W[t]
    ws1   = csa(small_sigma1(w_q[14]), w_q[9], small_sigma0(w_q[1]));
    ws2   = csa(ws1[127:64], ws1[63:0], w_q[0]);
    w_new = ws2[127:64] + ws2[63:0];
    // h + K + W of the next round: in a round g + K[t+1] + W[t+1]; in the add clock the new
    // H7 + K[0] + W[0] of the block in the window; idle: H7 + K[0] + W[0]
    hx  = rnd ? cur[6] : h_q[7];
    hv  = add ? v_q[7] : 64'h0;
    wy  = rnd ? w_q[1] : w_q[0];
    kk  = rnd ? k_q : K0;
    hk1 = csa(hx, hv, wy);
    hk2 = csa(hk1[127:64], hk1[63:0], kk);
    hkw_d = hk2[127:64] + hk2[63:0];
  end

  // ---------------------------------------------------------------- registers
  always_ff @(posedge eng_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int k = 0; k < 8; k++)  begin h_q[k] <= '0; v_q[k] <= '0; end
      for (int k = 0; k < 16; k++) w_q[k] <= '0;
      hkw_q       <= '0;
      hkw_ok_q    <= 1'b0;
      busy_q      <= 1'b0;
      blk_last_q  <= 1'b0;
      t_q         <= '0;
      open_q      <= 1'b0;
      fin_q       <= 1'b0;
      out_valid_q <= 1'b0;
      out_err_q   <= 1'b0;
      cfg_err_q   <= 1'b0;
      wr_slot_q   <= 1'b0;
      wr_beat_q   <= '0;
      rd_slot_q   <= 1'b0;
      rd_beat_q   <= '0;
      rd_half_q   <= 1'b0;
      rd_valid_q  <= 1'b0;
      full_q      <= '0;
      last_q      <= '0;
      win_last_q  <= 1'b0;
      ld_cnt_q    <= '0;
    end else begin
      if (out_valid_q && state_ready_i) out_valid_q <= 1'b0;

      // ------------------------------------------------ configuration
      if (cfg_fire) begin
        if (open_q) begin          // abandon the unfinished message, report it
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b1;
        end
        cfg_err_q <= !cfg_ok;
        open_q    <= cfg_ok;
        for (int k = 0; k < 8; k++)
          case (cfg_init_i)
            3'd0:    h_q[k] <= IV_SHA512[511 - 64*k -: 64];
            3'd1:    h_q[k] <= IV_SHA384[511 - 64*k -: 64];
            3'd2:    h_q[k] <= cfg_state_i[511 - 64*k -: 64];
            3'd4:    h_q[k] <= IV_SHA512_224[511 - 64*k -: 64];
            3'd5:    h_q[k] <= IV_SHA512_256[511 - 64*k -: 64];
            default: h_q[k] <= 64'h0;
          endcase
      end

      // ------------------------------------------------ input side: beats into the FIFO
      if (wr_en) begin
        wr_beat_q <= wr_beat_q + 3'd1;
        if (wr_beat_q == 3'd7) begin
          full_q[wr_slot_q] <= 1'b1;
          last_q[wr_slot_q] <= in_last_i;
          wr_slot_q         <= !wr_slot_q;
          if (in_last_i) begin
            open_q <= 1'b0;
            fin_q  <= 1'b1;
          end
        end
      end
      if (err_in) begin            // a last beat with no message, or a short final block
        out_valid_q <= 1'b1;
        out_err_q   <= 1'b1;
        open_q      <= 1'b0;
        wr_beat_q   <= '0;
      end

      // ------------------------------------------------ loader: FIFO -> window
      if (ld_first) begin
        rd_valid_q <= 1'b1;
        rd_beat_q  <= '0;
        rd_half_q  <= 1'b0;
      end
      if (ld_shift) begin
        rd_half_q <= !rd_half_q;
        ld_cnt_q  <= ld_cnt_q + 5'd1;
        if (ld_next) rd_beat_q <= rd_beat_q + 3'd1;
        if (ld_done) begin
          rd_valid_q         <= 1'b0;
          rd_slot_q          <= !rd_slot_q;
          full_q[rd_slot_q]  <= 1'b0;
          win_last_q         <= last_q[rd_slot_q];
        end
      end

      // ------------------------------------------------ compression
      hkw_q    <= hkw_d;
      hkw_ok_q <= !rnd && ld_cnt_q[4];
      if (start) begin
        busy_q     <= 1'b1;
        blk_last_q <= win_last_q;
        t_q        <= 7'd1;
        ld_cnt_q   <= '0;
      end else if (rnd) begin
        t_q <= t_q + 7'd1;
      end
      if (rnd) begin
        v_q[0] <= a_new;
        v_q[1] <= cur[0];
        v_q[2] <= cur[1];
        v_q[3] <= cur[2];
        v_q[4] <= e_new;
        v_q[5] <= cur[4];
        v_q[6] <= cur[5];
        v_q[7] <= cur[6];
      end
      if (rnd || ld_shift) begin
        for (int k = 0; k < 15; k++) w_q[k] <= w_q[k + 1];
        w_q[15] <= ld_shift ? ld_word : w_new;
      end
      if (add) begin
        for (int k = 0; k < 8; k++) h_q[k] <= hsum[k];
        busy_q <= 1'b0;
        if (blk_last_q) begin
          fin_q       <= 1'b0;
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b0;
        end
      end
    end
  end

  for (genvar k = 0; k < 8; k++) begin : g_state
    assign state_o[511 - 64*k -: 64] = out_err_q ? 64'h0 : h_q[k];
  end
  assign state_valid_o = out_valid_q;
  assign state_err_o   = out_err_q;
  assign cfg_err_o     = cfg_err_q;
  assign idle_o        = cfg_ready_o;

endmodule

`default_nettype wire
