// aes_engine: AES-128/192/256 encrypt/decrypt in ECB, CBC, CTR (128-bit counter) and XTS
// (IEEE 1619 / SP 800-38E, with ciphertext stealing) modes, one round per clock, behind three
// valid/ready streams (configuration, blocks in, blocks out).
//
// Timing (see rtl/README.md for the full contract):
//   * a block is taken in the cycle its handshake completes (LOAD: input/IV/counter XOR round
//     key 0) and its result enters the output register Nr clocks later, so the engine sustains
//     one block every Nr+1 = 11/13/15 clocks in every mode and direction, CBC encryption
//     included (its next block needs the previous ciphertext, which is ready exactly then);
//   * a configuration with cfg_key_load_i=1 runs the on-chip key expansion (4*(Nr+1) clocks,
//     plus two to prefetch the first round key); without it only mode/direction/IV change
//     (one clock).
// Defined responses to bad input:
//   * invalid cfg_key_len_i (3) with key load, or invalid cfg_mode_i (3): the configuration is
//     consumed, cfg_err_o rises and stays high until the next valid configuration, and the
//     engine holds no usable key/mode;
//   * a block while no valid key/mode is held: the block is consumed and answered by exactly one
//     output beat with out_err_o=1 and all-zero data (never a stall, never stale data);
//   * a configuration while a block is in flight: not accepted (cfg_ready_o=0) until that
//     block's result is in the output register; blocks wait while a configuration is offered,
//     so a mode/key change lands between blocks, never inside one.
// XTS (see rtl/README.md for the contract): two key schedules in the round-key memory, K1 (the
// data key, also the key of ECB/CBC/CTR) and K2 (the tweak key), each loaded by a
// configuration with cfg_key_load_i and cfg_key_sel_i = 0 / 1. A configuration with
// cfg_xts_i = 1 starts a data unit: the engine encrypts cfg_iv_i with K2 (T = E(K2, i), one block time), then takes blocks:
// C = E(K1, P ^ T) ^ T (decryption D likewise), T multiplied by alpha in the clock each result
// is made, so the tweak update costs nothing. A data unit whose length is not a multiple of
// 128 bits ends with ciphertext stealing: cfg_tail_i = its length mod 128 (bits), in_last_i
// marks the last full block, and the next beat is the partial block (its first cfg_tail_i bits
// at the top of in_data_i). The last full block gives no output; the partial block gives two:
// the full block C[m-1] (P[m-1]), then the partial one in the top cfg_tail_i bits of a beat
// whose other bits are zero. After it, blocks get error beats until the next XTS
// configuration.
// Key hygiene: wipe_i (a pulse) zeroes the round-key memory (one round key per clock: 16
// clocks, 32 if an XTS tweak key was loaded since the last wipe), the round state and the
// chaining registers once the engine is between blocks; afterwards no key is held (blocks get
// the error beat until a key is loaded again). A wipe of all 32 rows also runs by itself after
// reset, because block RAM is not cleared by reset.
// keys_held_o is 1 from a key expansion until the next wipe completes.
`default_nettype none

module aes_engine (
  input  logic         clk_i,
  input  logic         rst_ni,
  // configuration
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic         cfg_key_load_i,  // 1: expand cfg_key_i, 0: keep the current round keys
  input  logic         cfg_key_sel_i,   // key loaded: 0 K1 (data key), 1 K2 (XTS tweak key)
  input  logic [1:0]   cfg_key_len_i,   // 0: AES-128, 1: AES-192, 2: AES-256, 3: invalid
  input  logic [255:0] cfg_key_i,       // key byte 0 in [255:248]; 128/192-bit keys use the top
  input  logic [1:0]   cfg_mode_i,      // 0: ECB, 1: CBC, 2: CTR, 3: invalid (ignored in XTS)
  input  logic         cfg_xts_i,       // 1: XTS data unit (tweak i = cfg_iv_i)
  input  logic [6:0]   cfg_tail_i,      // XTS: data unit length mod 128 bits (0: no stealing)
  input  logic         cfg_decrypt_i,   // ignored in CTR (keystream is always encryption)
  input  logic [127:0] cfg_iv_i,        // CBC IV, initial CTR counter block or XTS tweak i
  // blocks in (byte 0 of the block in [127:120])
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  input  logic         in_last_i,       // XTS with cfg_tail_i != 0: the last full block
  // blocks out
  output logic         out_valid_o,
  input  logic         out_ready_i,
  output logic [127:0] out_data_o,
  output logic         out_err_o,
  // status
  output logic         key_valid_o,
  output logic         cfg_err_o,
  output logic         idle_o,
  // key hygiene
  input  logic         wipe_i,
  output logic         wipe_busy_o,     // a wipe is requested or running
  output logic         keys_held_o
);

  // The engine's clock: a wire as synthesised; in the accelerator process's simulation view
  // (+define+VCRYPTO_CLOCK_GATE; rtl/README.md, "Views") it runs only while the engine can change
  // state (a configuration or block offered, a key expanding, a block in the rounds or waiting to
  // leave, a wipe) and 8 clocks after.
  logic eng_clk;
  vcrypto_clock_gate #(.HOLD(8)) u_clock (
    .clk_i, .rst_ni,
    .busy_i  (cfg_valid_i | in_valid_i | out_valid_o | !idle_o | wipe_i),
    .event_i (1'b0),
    .clk_o   (eng_clk)
  );

  localparam logic [1:0] MODE_ECB = 2'd0, MODE_CBC = 2'd1, MODE_CTR = 2'd2;

  // ---------------------------------------------------------------- byte-level helpers
  function automatic logic [7:0] xt(input logic [7:0] b);  // multiply by {02}
    xt = {b[6:0], 1'b0} ^ (b[7] ? 8'h1b : 8'h00);
  endfunction

  function automatic logic [7:0] byte_of(input logic [127:0] s, input int k);
    byte_of = s[127 - 8*k -: 8];
  endfunction

  function automatic logic [127:0] shift_rows(input logic [127:0] s);
    for (int c = 0; c < 4; c++)
      for (int r = 0; r < 4; r++)
        shift_rows[127 - 8*(4*c + r) -: 8] = byte_of(s, 4*((c + r) % 4) + r);
  endfunction

  function automatic logic [127:0] inv_shift_rows(input logic [127:0] s);
    for (int c = 0; c < 4; c++)
      for (int r = 0; r < 4; r++)
        inv_shift_rows[127 - 8*(4*c + r) -: 8] = byte_of(s, 4*((c + 4 - r) % 4) + r);
  endfunction

  function automatic logic [31:0] mix_column(input logic [31:0] a);
    logic [7:0] a0, a1, a2, a3;
    {a0, a1, a2, a3} = a;
    mix_column = {xt(a0) ^ xt(a1) ^ a1 ^ a2 ^ a3,
                  a0 ^ xt(a1) ^ xt(a2) ^ a2 ^ a3,
                  a0 ^ a1 ^ xt(a2) ^ xt(a3) ^ a3,
                  xt(a0) ^ a0 ^ a1 ^ a2 ^ xt(a3)};
  endfunction

  // InvMixColumns = MixColumns after multiplying each column by {04}x^2 + {05}
  // (FIPS-197's inverse matrix factors this way), which reuses the forward network.
  function automatic logic [31:0] inv_mix_column(input logic [31:0] a);
    logic [7:0] a0, a1, a2, a3, u, v;
    {a0, a1, a2, a3} = a;
    u = xt(xt(a0 ^ a2));
    v = xt(xt(a1 ^ a3));
    inv_mix_column = mix_column({a0 ^ u, a1 ^ v, a2 ^ u, a3 ^ v});
  endfunction

  function automatic logic [127:0] mix_columns(input logic [127:0] s, input logic inv);
    for (int c = 0; c < 4; c++)
      mix_columns[127 - 32*c -: 32] = inv ? inv_mix_column(s[127 - 32*c -: 32])
                                          : mix_column(s[127 - 32*c -: 32]);
  endfunction

  // XTS: T * alpha in GF(2^128) (IEEE 1619 5.2). The tweak is a little-endian integer: byte 0
  // (bits [127:120] here) is its least significant byte. Shift left by one bit, x^128 = 0x87.
  function automatic logic [127:0] mul_alpha(input logic [127:0] t);
    for (int k = 1; k < 16; k++)
      mul_alpha[127 - 8*k -: 8] = {t[126 - 8*k -: 7], t[135 - 8*k]};
    mul_alpha[127:120] = {t[126:120], 1'b0} ^ (t[7] ? 8'h87 : 8'h00);
  endfunction

  // XTS stealing: the first `n` bits of a block (n = 0..127), counted from bit 127. Verilator
  // unrolls a loop of at most 64 iterations unless told: this one ran every clock. (Vector forms
  // of the same mask gave iCE40 a worse netlist, 45-46 MHz against 49.1.)
  function automatic logic [127:0] head_mask(input logic [6:0] n);
    /* verilator unroll_full */
    for (int p = 0; p < 128; p++)
      head_mask[127 - p] = (p[6:4] < n[6:4]) || (p[6:4] == n[6:4] && p[3:0] < n[3:0]);
  endfunction

  // x + 1 over 128 bits as four 32-bit carry chains, each carrying in from an AND of the words
  // below it: one 128-bit chain set the engine's Fmax on iCE40 (~17 ns of SB_CARRY alone).
  function automatic logic [127:0] inc128(input logic [127:0] x);
    logic c1, c2, c3;
    c1 = &x[31:0];
    c2 = &x[63:0];
    c3 = &x[95:0];
    inc128 = {x[127:96] + {31'd0, c3}, x[95:64] + {31'd0, c2}, x[63:32] + {31'd0, c1}, x[31:0] + 32'd1};
  endfunction

  // ---------------------------------------------------------------- state
  logic         busy_q, settle_q, key_valid_q, cfg_ok_q, cfg_err_q;
  logic [3:0]   rnd_q, nr_q;
  logic [1:0]   mode_q;
  logic         dec_q;
  logic [127:0] st_q, chain_q, saved_in_q, out_data_q;
  // chain_q + 1 one clock behind (CTR): the 128-bit carry chain ends in a register instead of
  // running on into chain_q's input multiplexer (it was the critical path on iCE40 once XTS
  // widened that multiplexer). A CTR block is loaded at least Nr+1 clocks after the previous
  // one and never in the clock after a configuration, so the value is always current.
  logic [127:0] ctr_inc_q;
  logic         out_valid_q, out_err_q;
  logic         wipe_req_q, wipe_run_q, keys_held_q;
  logic [4:0]   wipe_row_q;
  // XTS
  logic         xts_q, key2_valid_q, ksel_q, k2_dirty_q;
  logic [3:0]   nr2_q;
  logic [6:0]   tail_q;
  logic         tw_pend_q;    // the tweak T = E(K2, i) is still to be computed
  logic         wait_tail_q;  // the last full block is done (result in saved_in_q), the partial next
  logic         emit_q;       // the partial block's beat (head of saved_in_q) is still to be sent
  logic         xdone_q;      // the data unit is complete: blocks are errors until the next XTS cfg
  logic         blk_tw_q, blk_steal_q, blk_tail_q;   // what the block in flight is
  logic         dec_run_q;    // the block in flight decrypts (0 while idle): steers the 16 S-box
                              // lanes and the inverse layers straight from a flop

  // key expansion and round-key memory
  logic         kx_start, kx_busy, kx_done, kx_wr_en;
  logic [3:0]   kx_wr_row;
  logic [1:0]   kx_wr_col;
  logic [31:0]  kx_wr_word, kx_sub_word, kx_sub_out;
  logic         kx_sub_load;
  logic [4:0]   rk_rd_row;      // {K2's schedule, round}
  logic [127:0] rk;

  aes_key_expand u_key_expand (
    .clk_i(eng_clk), .rst_ni,
    .start_i   (kx_start),
    .key_len_i (cfg_key_len_i),
    .key_i     (cfg_key_i),
    .busy_o    (kx_busy),
    .done_o    (kx_done),
    .wr_en_o   (kx_wr_en),
    .wr_row_o  (kx_wr_row),
    .wr_col_o  (kx_wr_col),
    .wr_word_o (kx_wr_word),
    .sub_load_o (kx_sub_load),
    .sub_word_o (kx_sub_word),
    .sub_out_i  (kx_sub_out)
  );

  // the wipe and the expander never run together: they share the memory's write port.
  // Rows 0..14: K1's schedule; rows 16..30: the XTS tweak key K2's (ksel_q: which one loads).
  aes_key_mem u_key_mem (
    .clk_i(eng_clk),
    .wr_en_i   (kx_wr_en | wipe_run_q),
    .wr_all_i  (wipe_run_q),
    .wr_row_i  (wipe_run_q ? wipe_row_q : {ksel_q, kx_wr_row}),
    .wr_col_i  (kx_wr_col),
    .wr_word_i (wipe_run_q ? 32'd0 : kx_wr_word),
    .rd_row_i  (rk_rd_row),
    .rd_key_o  (rk)
  );

  // ---------------------------------------------------------------- round datapath
  logic         dec_eff, dec_data, last_round;
  logic [127:0] sb_in, sb_out, shifted, pre_mix, mixed, round_out, result, load_val;
  logic [127:0] tw_alpha, tw_op, tw_run, xts_src, tail_mask;
  logic         sb_inv, steal_in, alpha_sel;

  // dec_data: the direction of data blocks; the block in flight runs in dec_eff (the XTS
  // tweak block T = E(K2, i) is always an encryption).
  assign dec_data   = dec_q && (mode_q != MODE_CTR);
  assign dec_eff    = dec_run_q;
  assign last_round = (rnd_q == (blk_tw_q ? nr2_q : nr_q));

  // 16 shared S-box lanes; lanes 0..3 serve SubWord while the key is being expanded, from
  // st_q[127:96], where the expander keeps w[i-1] (no multiplexer in front of the S-boxes).
  assign sb_in  = st_q;
  assign sb_inv = dec_eff;                 // 0 during key expansion (no block runs then)
  for (genvar k = 0; k < 16; k++) begin : g_sbox
    aes_sbox u_sbox (.in_i(sb_in[127 - 8*k -: 8]), .inv_i(sb_inv), .out_o(sb_out[127 - 8*k -: 8]));
  end
  assign kx_sub_out = sb_out[127:96];

  // enc: ShiftRows(SubBytes(s)), then MixColumns, then AddRoundKey
  // dec: InvSubBytes(InvShiftRows(s)), then AddRoundKey, then InvMixColumns
  // The mode's output XOR (CBC decryption: previous ciphertext; CTR: the input block) is
  // folded into the last round key, off the S-box path: result = shifted ^ (rk ^ x_last).
  logic [127:0] x_last;
  assign shifted   = dec_eff ? inv_shift_rows(sb_out) : shift_rows(sb_out);
  assign pre_mix   = dec_eff ? (shifted ^ rk) : shifted;
  assign mixed     = mix_columns(pre_mix, dec_eff);
  assign round_out = dec_eff ? mixed : (mixed ^ rk);
  assign result    = shifted ^ (rk ^ x_last);

  // XTS tweaks. chain_q holds T[j] of the next block (the raw tweak i until T[0] is made).
  // Decrypting with stealing, the last full block uses T[m] = T[m-1] * alpha and the partial
  // block T[m-1], so chain_q stays T[m-1] through that block.
  // tw_op: the tweak of the block being loaded, for the XOR before the rounds (load_val,
  // below); tw_run: the tweak of the block in flight, for the XOR after them (x_last). Two
  // operands, so the late in_last_i handshake never reaches the result (it did through a
  // shared one, on iCE40's critical path).
  assign tw_alpha  = mul_alpha(chain_q);
  assign steal_in  = in_last_i && tail_q != 7'd0 && !wait_tail_q;
  assign alpha_sel = xts_q && dec_q && steal_in;
  assign tw_op     = alpha_sel ? tw_alpha : chain_q;
  assign tw_run    = (xts_q && dec_q && blk_steal_q) ? tw_alpha : chain_q;
  assign tail_mask = head_mask(tail_q);
  // the partial block: its own first bits, then the tail of the last full block's result
  assign xts_src   = (xts_q && wait_tail_q) ? ((in_data_i & tail_mask) | (saved_in_q & ~tail_mask)) : in_data_i;

  always_comb begin
    case (mode_q)
      MODE_CBC: x_last = dec_q ? chain_q : 128'd0;
      MODE_CTR: x_last = saved_in_q;
      default:  x_last = (xts_q && !blk_tw_q) ? tw_run : 128'd0;
    endcase
  end

  // ---------------------------------------------------------------- control
  logic cfg_fire, cfg_ok, blk_ok, in_fire, load, tload, err_blk, finish, out_free, busy_d, wipe_busy, wipe_start;
  logic abandon, emit, wipe_last;
  logic [3:0] rnd_d;

  assign wipe_busy   = wipe_req_q || wipe_run_q;
  // An XTS data unit waiting for its partial block is abandoned by a configuration or a wipe:
  // the last full block, which had no output yet, is answered by one error beat.
  assign wipe_start  = wipe_req_q && !wipe_run_q && !busy_q && !kx_busy && !settle_q && !emit_q &&
                       !(wait_tail_q && out_valid_q);
  assign cfg_ready_o = !busy_q && !kx_busy && !settle_q && !wipe_busy && !tw_pend_q && !emit_q &&
                       !(wait_tail_q && out_valid_q);
  assign cfg_fire    = cfg_valid_i && cfg_ready_o;
  assign cfg_ok      = (cfg_xts_i || cfg_mode_i != 2'd3) && !(cfg_key_load_i && cfg_key_len_i == 2'd3);
  assign kx_start    = cfg_fire && cfg_ok && cfg_key_load_i;
  assign blk_ok      = key_valid_q && cfg_ok_q && !(xts_q && (!key2_valid_q || xdone_q));
  assign abandon     = wait_tail_q && (cfg_fire || wipe_start);

  // The XTS partial block's length has a clock of its own: it changes only with a
  // configuration, and the 128-bit head mask made from it (tail_mask, a 128-way compare) is
  // then evaluated in the simulation view only in those clocks, not in every clock of the rounds
  // (5 % of the accelerator process's time on AES-128-CBC). A wire as synthesised.
  logic tail_clk;
  vcrypto_clock_gate #(.HOLD(0)) u_tail_clock (
    .clk_i, .rst_ni, .busy_i(1'b0), .event_i(cfg_fire), .clk_o(tail_clk)
  );
  always_ff @(posedge tail_clk or negedge rst_ni) begin
    if (!rst_ni)       tail_q <= '0;
    else if (cfg_fire) tail_q <= cfg_tail_i;
  end

  assign in_ready_o  = !busy_q && !kx_busy && !settle_q && !wipe_busy && !cfg_valid_i && !tw_pend_q &&
                       !emit_q && (blk_ok || !out_valid_q);
  assign in_fire     = in_valid_i && in_ready_o;
  assign load        = in_fire && blk_ok;
  assign err_blk     = in_fire && !blk_ok;
  // the XTS tweak block: once the keys are expanded and the LOAD round key of K2 is read
  assign tload       = tw_pend_q && !busy_q && !kx_busy && !settle_q && !wipe_busy;
  assign out_free    = !out_valid_q || out_ready_i;
  assign finish      = busy_q && last_round && out_free;
  assign emit        = emit_q && out_free;

  assign busy_d = load || tload || (busy_q && !finish);
  assign rnd_d  = (load || tload) ? 4'd1 : ((busy_q && !last_round) ? rnd_q + 4'd1 : rnd_q);
  // Round key for the round executed next cycle (read latency 1): the row is {K2's schedule,
  // round} (decryption reads round nr - r); idle: the next LOAD key (K2's first round key
  // while the tweak is pending). The late handshakes (load and tload from the lane's data
  // valid, finish from the output ready) only pick among rows computed from registers rather
  // than feed the subtractor (the 1-lane top's critical path once ended at this read).
  logic [3:0] rnd_nx, row_load, row_next, row_idle;   // round part of the row
  assign rnd_nx    = last_round ? rnd_q : rnd_q + 4'd1;
  assign row_load  = dec_data ? nr_q - 4'd1 : 4'd1;          // a data block's round 1
  assign row_next  = dec_eff ? nr_q - rnd_nx : rnd_nx;
  assign row_idle  = (dec_data && !tw_pend_q) ? nr_q : 4'd0;
  assign rk_rd_row = load ? {1'b0, row_load} :
                     tload ? {1'b1, 4'd1} :                  // the tweak block's round 1 (it encrypts)
                     (busy_q && !finish) ? {blk_tw_q, row_next} : {tw_pend_q, row_idle};
  assign wipe_last = wipe_row_q == {k2_dirty_q, 4'hf};

  // block entering the rounds: A ^ X (then AddRoundKey at LOAD): A is the counter (CTR, and the XTS
  // tweak block's i) or the input (the partial XTS block merged with the stolen tail); X the
  // CBC chaining value / XTS tweak
  logic         ld_ctr, ld_pre;
  logic [127:0] ld_a;
  assign ld_ctr   = mode_q == MODE_CTR || tload;
  assign ld_pre   = !tload && ((mode_q == MODE_CBC && !dec_q) || xts_q);
  assign ld_a     = ld_ctr ? chain_q : xts_src;
  assign load_val = ld_a ^ (ld_pre ? tw_op : 128'd0);

  always_ff @(posedge eng_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q      <= 1'b0;
      settle_q    <= 1'b0;
      key_valid_q <= 1'b0;
      cfg_ok_q    <= 1'b0;
      cfg_err_q   <= 1'b0;
      rnd_q       <= '0;
      nr_q        <= 4'd10;
      mode_q      <= MODE_ECB;
      dec_q       <= 1'b0;
      st_q        <= '0;
      chain_q     <= '0;
      ctr_inc_q   <= '0;
      saved_in_q  <= '0;
      out_data_q  <= '0;
      out_valid_q <= 1'b0;
      out_err_q   <= 1'b0;
      wipe_req_q  <= 1'b1;      // block RAM keeps its contents through reset: wipe it
      wipe_run_q  <= 1'b0;
      wipe_row_q  <= '0;
      keys_held_q <= 1'b1;
      xts_q        <= 1'b0;
      key2_valid_q <= 1'b0;
      ksel_q       <= 1'b0;
      k2_dirty_q   <= 1'b1;     // K2's rows may hold a schedule from before the reset
      nr2_q        <= 4'd10;
      tw_pend_q    <= 1'b0;
      wait_tail_q  <= 1'b0;
      emit_q       <= 1'b0;
      xdone_q      <= 1'b0;
      blk_tw_q     <= 1'b0;
      blk_steal_q  <= 1'b0;
      blk_tail_q   <= 1'b0;
      dec_run_q    <= 1'b0;
    end else begin
      settle_q <= 1'b0;
      busy_q   <= busy_d;
      rnd_q    <= rnd_d;
      ctr_inc_q <= inc128(chain_q);

      if (wipe_i) wipe_req_q <= 1'b1;
      if (wipe_start) begin
        wipe_req_q <= 1'b0;    // a request arriving now is served by this wipe too
        wipe_run_q <= 1'b1;
        wipe_row_q <= '0;
        tw_pend_q  <= 1'b0;
      end
      if (wipe_run_q) begin
        wipe_row_q <= wipe_row_q + 5'd1;
        if (wipe_last) begin
          wipe_run_q  <= 1'b0;
          k2_dirty_q  <= 1'b0;
          keys_held_q <= 1'b0;
          key_valid_q <= 1'b0;
          key2_valid_q <= 1'b0;
          cfg_ok_q    <= 1'b0;
          st_q        <= '0;    // the last round state and the key give each other away
          chain_q     <= '0;
          saved_in_q  <= '0;
          if (!out_valid_q) out_data_q <= '0;
          settle_q    <= 1'b1;  // re-read the (now zero) LOAD round key
        end
      end
      if (kx_start) begin
        keys_held_q <= 1'b1;
        if (cfg_key_sel_i) k2_dirty_q <= 1'b1;
      end

      if (cfg_fire) begin
        cfg_ok_q  <= cfg_ok;
        cfg_err_q <= !cfg_ok;
        mode_q    <= cfg_xts_i ? MODE_ECB : cfg_mode_i;
        dec_q     <= cfg_decrypt_i;
        chain_q   <= cfg_iv_i;
        settle_q  <= 1'b1;     // prefetch the LOAD round key for the new direction
        xts_q       <= cfg_xts_i;
        tw_pend_q   <= cfg_xts_i && cfg_ok && (key2_valid_q || (cfg_key_load_i && cfg_key_sel_i));
        wait_tail_q <= 1'b0;
        xdone_q     <= 1'b0;
        if (cfg_key_load_i) begin
          ksel_q <= cfg_key_sel_i;
          if (cfg_key_sel_i) begin
            key2_valid_q <= 1'b0;
            if (cfg_ok) nr2_q <= (cfg_key_len_i == 2'd2) ? 4'd14 : (cfg_key_len_i == 2'd1) ? 4'd12 : 4'd10;
          end else begin
            key_valid_q <= 1'b0;
            if (cfg_ok) nr_q <= (cfg_key_len_i == 2'd2) ? 4'd14 : (cfg_key_len_i == 2'd1) ? 4'd12 : 4'd10;
          end
        end
      end
      if (kx_done) begin
        if (ksel_q) key2_valid_q <= 1'b1;
        else        key_valid_q  <= 1'b1;
        settle_q    <= 1'b1;
      end

      if (tload)       dec_run_q <= 1'b0;
      else if (load)   dec_run_q <= dec_data;
      else if (finish) dec_run_q <= 1'b0;

      if (tload) begin
        st_q        <= load_val ^ rk;    // T = E(K2, i)
        tw_pend_q   <= 1'b0;
        blk_tw_q    <= 1'b1;
        blk_steal_q <= 1'b0;
        blk_tail_q  <= 1'b0;
      end else if (load) begin
        st_q        <= load_val ^ rk;
        blk_tw_q    <= 1'b0;
        blk_steal_q <= xts_q && steal_in;
        blk_tail_q  <= xts_q && wait_tail_q;
        if (xts_q) wait_tail_q <= 1'b0;
        // XTS keeps the last full block's result here for the partial block
        if (!xts_q) saved_in_q <= in_data_i;
        if (mode_q == MODE_CTR) chain_q <= ctr_inc_q;
      end else if (busy_q && !last_round) begin
        st_q <= round_out;          // rounds 1..Nr-1; the last round goes to the output
      end else if (kx_sub_load) begin
        st_q[127:96] <= kx_sub_word;   // the key expander's w[i-1] (zero after its last word)
      end

      // the output register's beat is taken; a new result below replaces it. (A result that
      // makes no output - the tweak T[0], the stolen block - must still let the taken beat
      // go: it once stayed valid and was sent twice when the sink took it in that clock.)
      if (out_valid_q && out_ready_i) out_valid_q <= 1'b0;
      if (finish && blk_tw_q) begin
        chain_q <= result;          // T[0]; no output
      end else if (finish && blk_steal_q) begin
        saved_in_q  <= result;      // CC (encryption) / PP (decryption): no output yet
        wait_tail_q <= 1'b1;
        if (!dec_q) chain_q <= tw_alpha;
      end else if (finish) begin
        out_valid_q <= 1'b1;
        out_err_q   <= 1'b0;
        out_data_q  <= result;
        if (mode_q == MODE_CBC) chain_q <= dec_q ? saved_in_q : result;   // enc: x_last = 0
        if (xts_q) chain_q <= tw_alpha;
        if (blk_tail_q) emit_q <= 1'b1;
      end else if (emit) begin      // XTS: the partial block C[m] / P[m]
        out_valid_q <= 1'b1;
        out_err_q   <= 1'b0;
        out_data_q  <= saved_in_q & tail_mask;
        saved_in_q  <= '0;
        emit_q      <= 1'b0;
        xdone_q     <= 1'b1;
      end else if (abandon) begin
        out_valid_q <= 1'b1;
        out_err_q   <= 1'b1;
        out_data_q  <= '0;
        saved_in_q  <= '0;
        wait_tail_q <= 1'b0;
      end else if (err_blk) begin
        out_valid_q <= 1'b1;
        out_err_q   <= 1'b1;
        out_data_q  <= '0;
      end
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_data_q;
  assign out_err_o   = out_err_q;
  assign key_valid_o = key_valid_q;
  assign cfg_err_o   = cfg_err_q;
  assign idle_o      = !busy_q && !kx_busy && !settle_q && !out_valid_q && !wipe_busy && !tw_pend_q &&
                       !wait_tail_q && !emit_q;
  assign wipe_busy_o = wipe_busy;
  assign keys_held_o = keys_held_q;

endmodule

`default_nettype wire
