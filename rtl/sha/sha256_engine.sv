// sha256_engine: SHA-224/SHA-256 compression (FIPS 180-4), one round per clock, continuing
// from a standard IV or from any supplied chaining state, with the state readable at the end.
//
// Streams (see rtl/README.md for the full contract):
//   cfg   : opens a message. cfg_init_i = 0 SHA-256 IV, 1 SHA-224 IV, 2 start from
//           cfg_state_i (e.g. an HMAC inner/outer state precomputed by software), 3 invalid.
//   in    : the message, ALREADY PADDED by the feeder (FIPS 180-4 5.1.1: 0x80, zeros, 64-bit
//           big-endian bit length of everything hashed from the IV, including any prefix
//           already absorbed into a supplied state), as 128-bit beats, four per 512-bit block,
//           byte 0 in [127:120]. in_last_i marks the fourth beat of the final block.
//   state : after the final block, the 256-bit chaining state H0..H7 (H0 in [255:224]).
//           SHA-256 digest = all 256 bits; SHA-224 digest = the top 224 bits.
// A block is compressed in 64 round clocks plus one clock to add it into H; the next block's
// four beats are taken into a buffer during compression, so a stream of blocks costs 65
// clocks per block.
// Defined responses to bad input:
//   * cfg_init_i = 3: consumed, cfg_err_o rises (until the next valid cfg); no message opens;
//   * beats while no message is open: consumed and dropped; if one carries in_last_i, one
//     state beat with state_err_o=1 and zero state answers it;
//   * in_last_i on beat 1..3 of a block: the partial block is dropped, the message closes with
//     one error state beat;
//   * a cfg while a message is open (before its last block): accepted only between blocks; the
//     unfinished message is closed with one error state beat and the new message opens.
// So every in_last_i beat and every abandoned message produce exactly one state beat.
//
// Micro-architecture (area first; rtl/README.md has the measurements behind it):
//   * no multiplexer in front of the round: the working variables a..h (v_q) are loaded with
//     the chaining state in the clock that adds a block into H (v_q <= H + v_q, which is also
//     the new H), and a block that starts from idle gets the same load one clock before its
//     first round (v_q is zero while idle, so H + v_q = H);
//   * h + K[t] + W[t] is computed one round ahead (hkw_q; h of round t+1 is g of round t), so
//     T1 = hkw + S1(e) + Ch(e,f,g); K comes from a register (k_q) loaded a clock earlier;
//   * the message schedule window is a plain shift register holding W[t-14..t+1] in round t;
//     the block's words enter at its top one per clock (W[0] in the last round of the
//     previous block, W[1] in its add clock, W[2..15] in rounds 0..13), so W[t+1] is always
//     at hand for hkw, and no 512-bit load multiplexer is needed;
//   * the beats of the next block go into a chain of four 128-bit registers (written at one
//     end, read at the other: no multiplexer but the 4:1 word select); words 0 and 1 of the
//     first beat are also kept apart (p_q), so the two clocks that prepare a block (W[0],
//     W[1] and hkw) can run as soon as its first beat is in, while the other three arrive.
`default_nettype none

module sha256_engine (
  input  logic         clk_i,
  input  logic         rst_ni,
  // configuration (opens a message)
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic [1:0]   cfg_init_i,
  input  logic [255:0] cfg_state_i,
  // padded message beats
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  input  logic         in_last_i,
  // chaining state after the final block
  output logic         state_valid_o,
  input  logic         state_ready_i,
  output logic [255:0] state_o,
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

  localparam logic [255:0] IV_SHA256 = {32'h6a09e667, 32'hbb67ae85, 32'h3c6ef372, 32'ha54ff53a,
                                        32'h510e527f, 32'h9b05688c, 32'h1f83d9ab, 32'h5be0cd19};
  localparam logic [255:0] IV_SHA224 = {32'hc1059ed8, 32'h367cd507, 32'h3070dd17, 32'hf70e5939,
                                        32'hffc00b31, 32'h68581511, 32'h64f98fa7, 32'hbefa4fa4};

  function automatic logic [31:0] k_of(input logic [5:0] t);
    logic [31:0] k;
    case (t)
      6'd0: k = 32'h428a2f98; 6'd1: k = 32'h71374491; 6'd2: k = 32'hb5c0fbcf; 6'd3: k = 32'he9b5dba5;
      6'd4: k = 32'h3956c25b; 6'd5: k = 32'h59f111f1; 6'd6: k = 32'h923f82a4; 6'd7: k = 32'hab1c5ed5;
      6'd8: k = 32'hd807aa98; 6'd9: k = 32'h12835b01; 6'd10: k = 32'h243185be; 6'd11: k = 32'h550c7dc3;
      6'd12: k = 32'h72be5d74; 6'd13: k = 32'h80deb1fe; 6'd14: k = 32'h9bdc06a7; 6'd15: k = 32'hc19bf174;
      6'd16: k = 32'he49b69c1; 6'd17: k = 32'hefbe4786; 6'd18: k = 32'h0fc19dc6; 6'd19: k = 32'h240ca1cc;
      6'd20: k = 32'h2de92c6f; 6'd21: k = 32'h4a7484aa; 6'd22: k = 32'h5cb0a9dc; 6'd23: k = 32'h76f988da;
      6'd24: k = 32'h983e5152; 6'd25: k = 32'ha831c66d; 6'd26: k = 32'hb00327c8; 6'd27: k = 32'hbf597fc7;
      6'd28: k = 32'hc6e00bf3; 6'd29: k = 32'hd5a79147; 6'd30: k = 32'h06ca6351; 6'd31: k = 32'h14292967;
      6'd32: k = 32'h27b70a85; 6'd33: k = 32'h2e1b2138; 6'd34: k = 32'h4d2c6dfc; 6'd35: k = 32'h53380d13;
      6'd36: k = 32'h650a7354; 6'd37: k = 32'h766a0abb; 6'd38: k = 32'h81c2c92e; 6'd39: k = 32'h92722c85;
      6'd40: k = 32'ha2bfe8a1; 6'd41: k = 32'ha81a664b; 6'd42: k = 32'hc24b8b70; 6'd43: k = 32'hc76c51a3;
      6'd44: k = 32'hd192e819; 6'd45: k = 32'hd6990624; 6'd46: k = 32'hf40e3585; 6'd47: k = 32'h106aa070;
      6'd48: k = 32'h19a4c116; 6'd49: k = 32'h1e376c08; 6'd50: k = 32'h2748774c; 6'd51: k = 32'h34b0bcb5;
      6'd52: k = 32'h391c0cb3; 6'd53: k = 32'h4ed8aa4a; 6'd54: k = 32'h5b9cca4f; 6'd55: k = 32'h682e6ff3;
      6'd56: k = 32'h748f82ee; 6'd57: k = 32'h78a5636f; 6'd58: k = 32'h84c87814; 6'd59: k = 32'h8cc70208;
      6'd60: k = 32'h90befffa; 6'd61: k = 32'ha4506ceb; 6'd62: k = 32'hbef9a3f7; 6'd63: k = 32'hc67178f2;      default: k = 32'h0;
    endcase
    k_of = k;
  endfunction

  function automatic logic [31:0] rotr(input logic [31:0] x, input int n);
    rotr = (x >> n) | (x << (32 - n));
  endfunction

  function automatic logic [31:0] big_sigma0(input logic [31:0] x);
    big_sigma0 = rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
  endfunction
  function automatic logic [31:0] big_sigma1(input logic [31:0] x);
    big_sigma1 = rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
  endfunction
  function automatic logic [31:0] small_sigma0(input logic [31:0] x);
    small_sigma0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3);
  endfunction
  function automatic logic [31:0] small_sigma1(input logic [31:0] x);
    small_sigma1 = rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10);
  endfunction

  // ---------------------------------------------------------------- state
  logic [31:0]  h_q [8];       // chaining state H0..H7
  logic [31:0]  v_q [8];       // working variables a..h (zero while idle)
  logic [31:0]  w_q [16];      // message schedule window: W[t-14..t+1] in round t
  logic [31:0]  hkw_q;         // h + K[t] + W[t] of the round executed next
  logic [31:0]  k_q;           // K[t+1] in round t, K[0] in the add / prepare clock
  logic [127:0] bq_q [4];      // next block's beats: written at [3], read at [0]
  logic [63:0]  p_q;           // words 0 and 1 of the next block (from its first beat)
  logic [1:0]   beat_q;        // beats of the next block taken (0..3)
  logic         buf_full_q, buf_last_q;
  logic [1:0]   prep_q;        // next block: 0 not prepared, 1 W[0] in, 2 ready to start
  logic         busy_q, blk_last_q, open_q;
  logic [6:0]   t_q;           // 0..63: round; 64: add into H
  logic         out_valid_q, out_err_q, cfg_err_q;

  // ---------------------------------------------------------------- control
  logic cfg_fire, in_fire, malformed, drop, rnd, add, load, idle_clr, pend0, prep_a, full_nxt;
  logic start, drain, adv, win_en;
  assign cfg_ready_o = !busy_q && !buf_full_q && beat_q == 2'd0 && !out_valid_q;
  assign cfg_fire    = cfg_valid_i && cfg_ready_o;
  // No beats while the final block compresses: its state beat owns the output slot next.
  assign in_ready_o  = !buf_full_q && !out_valid_q && !cfg_valid_i && !(busy_q && blk_last_q);
  assign in_fire     = in_valid_i && in_ready_o;
  assign malformed   = in_fire && in_last_i && beat_q != 2'd3;
  // a block with no open message is dropped (waiting for the output slot if it must report)
  assign drop        = buf_full_q && !open_q && !(buf_last_q && out_valid_q);
  assign rnd         = busy_q && !t_q[6];
  assign add         = busy_q && t_q[6];
  // the first beat of the next block is in (the block is still being filled, or full)
  assign pend0       = (beat_q != 2'd0 || buf_full_q) && open_q;
  // prepare step 1 (W[0] into the window): in the last round of a block or while idle
  assign prep_a      = pend0 && prep_q == 2'd0 && (busy_q ? (rnd && t_q[5:0] == 6'd63) : 1'b1);
  // prepare step 2 (W[1] in, v_q <= H + v_q, hkw of round 0): the add clock, or while idle
  assign load        = prep_q == 2'd1 || add;
  // while idle and unprepared the working variables are held at zero
  assign idle_clr    = !busy_q && prep_q == 2'd0;
  assign full_nxt    = buf_full_q || (in_fire && beat_q == 2'd3);
  // round 0 runs in the next clock
  assign start       = full_nxt && !malformed &&
                       (prep_q == 2'd1 || (prep_q == 2'd2 && !busy_q));
  // rounds 0..13 take W[2..15] from the chain; the chain advances after a beat's 4th word
  assign drain       = rnd && t_q[5:0] < 6'd14;
  assign adv         = drain && t_q[1:0] == 2'd1;
  // the window and hkw hold while a prepared block waits for its last beats
  assign win_en      = prep_q != 2'd2;

  // ---------------------------------------------------------------- round datapath
  logic [31:0] t1, t2, w_new, w_ld, w_in, hx, hy, hkw_d, k_d, chain_w;
  logic [31:0] hsum [8];
  logic [5:0]  k_idx;
  logic [1:0]  wsel;

  always_comb begin
    for (int k = 0; k < 8; k++) hsum[k] = h_q[k] + v_q[k];
    t1    = hkw_q + big_sigma1(v_q[4]) + ((v_q[4] & v_q[5]) ^ (~v_q[4] & v_q[6]));
    t2    = big_sigma0(v_q[0]) + ((v_q[0] & v_q[1]) ^ (v_q[0] & v_q[2]) ^ (v_q[1] & v_q[2]));
    // W[t+2] = s1(W[t]) + W[t-5] + s0(W[t-13]) + W[t-14]
    w_new = small_sigma1(w_q[14]) + w_q[9] + small_sigma0(w_q[1]) + w_q[0];
    // h + K + W of the next round: g + K[t+1] + W[t+1]; in the load clock H7 + K[0] + W[0]
    hx    = load ? h_q[7] : v_q[6];
    hy    = load ? v_q[7] : 32'h0;
    hkw_d = hx + hy + k_q + w_q[15];
    // next word into the window
    wsel    = t_q[1:0] + 2'd2;           // word (t+2) mod 4 of the beat at the chain's head
    chain_w = bq_q[0][127 - 32*wsel -: 32];
    // (w_new, the late one, through the last multiplexer only)
    if (prep_a)              w_ld = p_q[63:32];
    else if (prep_q == 2'd1) w_ld = p_q[31:0];
    else                     w_ld = chain_w;
    w_in = (prep_a || prep_q == 2'd1 || drain) ? w_ld : w_new;
    // K of the next clock's hkw: K[0] for the load clock, K[1] for round 0, K[t+2] in round t
    k_idx = prep_a ? 6'd0 : (prep_q != 2'd0) ? 6'd1 : t_q[5:0] + 6'd2;
    k_d   = k_of(k_idx);
  end

  // Next chaining state, one LUT4 per bit: in the add clock H + v; at a cfg the IV or the
  // supplied state (cfg_init_i = 3: zero). A bit's IV bits (SHA-256, SHA-224) pick which of
  // the four s0 selects it uses (s0_v: the masks are constants, so synthesis wires each
  // bit to one s0), so the IV choice costs no per-bit logic. Written as 256-bit vector
  // operations, not a per-bit loop: Verilator does not unroll a 256-iteration loop and ran
  // it every clock, a third of the accelerator process's time. A function called from the
  // clocked block below, not an always_comb: its inputs cfg_init_i and cfg_state_i change
  // with the lane's clock, and Verilator would evaluate a block reading them in every clock
  // of every request (3 % of a 4 KiB AES request's time), though only this engine's clock
  // uses the result.
  function automatic logic [255:0] h_next(logic add_now, logic [1:0] init, logic [255:0] state,
                                          logic [255:0] sum);
    logic       s1;
    logic [3:0] s0;
    logic [255:0] s0_v;
    s1 = !add_now && init != 2'd2;
    for (int c = 0; c < 4; c++)   // c = {IV_SHA256 bit, IV_SHA224 bit}
      s0[c] = !add_now && (init == 2'd2 || (init == 2'd0 && c[1]) || (init == 2'd1 && c[0]));
    s0_v = ({256{s0[3]}} &  IV_SHA256 &  IV_SHA224) | ({256{s0[2]}} &  IV_SHA256 & ~IV_SHA224) |
           ({256{s0[1]}} & ~IV_SHA256 &  IV_SHA224) | ({256{s0[0]}} & ~IV_SHA256 & ~IV_SHA224);
    h_next = s1 ? s0_v : ((s0_v & state) | (~s0_v & sum));
  endfunction
  logic [255:0] hsum_f;
  always_comb for (int k = 0; k < 8; k++) hsum_f[255 - 32*k -: 32] = hsum[k];

  always_ff @(posedge eng_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int k = 0; k < 8; k++)  begin h_q[k] <= '0; v_q[k] <= '0; end
      for (int k = 0; k < 16; k++) w_q[k] <= '0;
      for (int k = 0; k < 4; k++)  bq_q[k] <= '0;
      hkw_q       <= '0;
      k_q         <= '0;
      p_q         <= '0;
      beat_q      <= '0;
      buf_full_q  <= 1'b0;
      buf_last_q  <= 1'b0;
      prep_q      <= '0;
      busy_q      <= 1'b0;
      blk_last_q  <= 1'b0;
      open_q      <= 1'b0;
      t_q         <= '0;
      out_valid_q <= 1'b0;
      out_err_q   <= 1'b0;
      cfg_err_q   <= 1'b0;
    end else begin
      if (out_valid_q && state_ready_i) out_valid_q <= 1'b0;

      if (cfg_fire) begin
        if (open_q) begin          // abandon the unfinished message, report it
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b1;
        end
        cfg_err_q <= (cfg_init_i == 2'd3);
        open_q    <= (cfg_init_i != 2'd3);
      end
      if (cfg_fire || add) begin : h_update
        logic [255:0] h_nxt;
        h_nxt = h_next(add, cfg_init_i, cfg_state_i, hsum_f);
        for (int k = 0; k < 8; k++) h_q[k] <= h_nxt[255 - 32*k -: 32];
      end

      // ------------------------------------------------ beats into the chain
      if (in_fire || adv) begin
        bq_q[3] <= in_data_i;
        for (int k = 0; k < 3; k++) bq_q[k] <= bq_q[k + 1];
      end
      if (in_fire && beat_q == 2'd0) p_q <= in_data_i[127:64];
      if (in_fire) begin
        if (malformed) begin
          beat_q      <= '0;
          open_q      <= 1'b0;
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b1;
        end else begin
          beat_q <= beat_q + 2'd1;
          if (beat_q == 2'd3) begin
            buf_full_q <= 1'b1;
            buf_last_q <= in_last_i;
          end
        end
      end

      if (drop) begin
        buf_full_q <= 1'b0;
        if (buf_last_q) begin
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b1;
        end
      end
      // the chain is empty once round 13 has taken W[15]
      if (rnd && t_q[5:0] == 6'd13) buf_full_q <= 1'b0;

      // ------------------------------------------------ block sequencing
      if (malformed)              prep_q <= 2'd0;
      else if (start)             prep_q <= 2'd0;
      else if (prep_a)            prep_q <= 2'd1;
      else if (prep_q == 2'd1)    prep_q <= 2'd2;

      if (start) begin
        busy_q     <= 1'b1;
        blk_last_q <= buf_full_q ? buf_last_q : in_last_i;
        t_q        <= 7'd0;
      end else if (rnd) begin
        t_q <= t_q + 7'd1;
      end else if (add) begin
        busy_q <= 1'b0;
      end

      // ------------------------------------------------ datapath
      if (rnd || load || idle_clr) begin
        if (idle_clr) begin
          for (int k = 0; k < 8; k++) v_q[k] <= '0;
        end else if (load) begin
          for (int k = 0; k < 8; k++) v_q[k] <= hsum[k];
        end else begin
          v_q[0] <= t1 + t2;
          v_q[1] <= v_q[0];
          v_q[2] <= v_q[1];
          v_q[3] <= v_q[2];
          v_q[4] <= v_q[3] + t1;
          v_q[5] <= v_q[4];
          v_q[6] <= v_q[5];
          v_q[7] <= v_q[6];
        end
      end
      if (win_en) begin
        for (int k = 0; k < 15; k++) w_q[k] <= w_q[k + 1];
        w_q[15] <= w_in;
        hkw_q   <= hkw_d;
        k_q     <= k_d;
      end

      if (add) begin
        if (blk_last_q) begin
          open_q      <= 1'b0;
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b0;
        end
      end
    end
  end

  for (genvar k = 0; k < 8; k++) begin : g_state
    assign state_o[255 - 32*k -: 32] = out_err_q ? 32'h0 : h_q[k];
  end
  assign state_valid_o = out_valid_q;
  assign state_err_o   = out_err_q;
  assign cfg_err_o     = cfg_err_q;
  assign idle_o        = !busy_q && !buf_full_q && beat_q == 2'd0 && !out_valid_q;

endmodule

`default_nettype wire
