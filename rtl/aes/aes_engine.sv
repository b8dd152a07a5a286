// aes_engine: AES-128/192/256 encrypt/decrypt in ECB, CBC and CTR (128-bit counter) modes,
// one round per clock, behind three valid/ready streams (configuration, blocks in, blocks out).
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
// Key hygiene: wipe_i (a pulse) zeroes the round-key memory (one round key per clock, 16
// clocks), the round state and the chaining registers once the engine is between blocks;
// afterwards no key is held (blocks get the error beat until a key is loaded again). A wipe
// also runs by itself after reset, because block RAM is not cleared by reset. keys_held_o is
// 1 from a key expansion until the next wipe completes.
`default_nettype none

module aes_engine (
  input  logic         clk_i,
  input  logic         rst_ni,
  // configuration
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic         cfg_key_load_i,  // 1: expand cfg_key_i, 0: keep the current round keys
  input  logic [1:0]   cfg_key_len_i,   // 0: AES-128, 1: AES-192, 2: AES-256, 3: invalid
  input  logic [255:0] cfg_key_i,       // key byte 0 in [255:248]; 128/192-bit keys use the top
  input  logic [1:0]   cfg_mode_i,      // 0: ECB, 1: CBC, 2: CTR, 3: invalid
  input  logic         cfg_decrypt_i,   // ignored in CTR (keystream is always encryption)
  input  logic [127:0] cfg_iv_i,        // CBC IV or initial CTR counter block
  // blocks in (byte 0 of the block in [127:120])
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
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

  // ---------------------------------------------------------------- state
  logic         busy_q, settle_q, key_valid_q, cfg_ok_q, cfg_err_q;
  logic [3:0]   rnd_q, nr_q;
  logic [1:0]   mode_q;
  logic         dec_q;
  logic [127:0] st_q, chain_q, saved_in_q, out_data_q;
  logic         out_valid_q, out_err_q;
  logic         wipe_req_q, wipe_run_q, keys_held_q;
  logic [3:0]   wipe_row_q;

  // key expansion and round-key memory
  logic         kx_start, kx_busy, kx_done, kx_wr_en;
  logic [3:0]   kx_wr_row;
  logic [1:0]   kx_wr_col;
  logic [31:0]  kx_wr_word, kx_sub_in, kx_sub_out;
  logic [3:0]   rk_rd_row;
  logic [127:0] rk;

  aes_key_expand u_key_expand (
    .clk_i, .rst_ni,
    .start_i   (kx_start),
    .key_len_i (cfg_key_len_i),
    .key_i     (cfg_key_i),
    .busy_o    (kx_busy),
    .done_o    (kx_done),
    .wr_en_o   (kx_wr_en),
    .wr_row_o  (kx_wr_row),
    .wr_col_o  (kx_wr_col),
    .wr_word_o (kx_wr_word),
    .sub_in_o  (kx_sub_in),
    .sub_out_i (kx_sub_out)
  );

  // the wipe and the expander never run together: they share the memory's write port
  aes_key_mem u_key_mem (
    .clk_i,
    .wr_en_i   (kx_wr_en | wipe_run_q),
    .wr_all_i  (wipe_run_q),
    .wr_row_i  (wipe_run_q ? wipe_row_q : kx_wr_row),
    .wr_col_i  (kx_wr_col),
    .wr_word_i (wipe_run_q ? 32'd0 : kx_wr_word),
    .rd_row_i  (rk_rd_row),
    .rd_key_o  (rk)
  );

  // ---------------------------------------------------------------- round datapath
  logic         dec_eff, last_round;
  logic [127:0] sb_in, sb_out, shifted, pre_mix, mixed, round_out, result, load_val;
  logic         sb_inv;

  assign dec_eff    = dec_q && (mode_q != MODE_CTR);
  assign last_round = (rnd_q == nr_q);

  // 16 shared S-box lanes; lanes 0..3 serve SubWord while the key is being expanded.
  assign sb_in  = kx_busy ? {kx_sub_in, st_q[95:0]} : st_q;
  assign sb_inv = dec_eff && !kx_busy;
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

  always_comb begin
    case (mode_q)
      MODE_CBC: x_last = dec_q ? chain_q : 128'd0;
      MODE_CTR: x_last = saved_in_q;
      default:  x_last = 128'd0;
    endcase
    case (mode_q)
      MODE_CBC: load_val = dec_q ? in_data_i : (in_data_i ^ chain_q);
      MODE_CTR: load_val = chain_q;
      default:  load_val = in_data_i;
    endcase
  end

  // ---------------------------------------------------------------- control
  logic cfg_fire, cfg_ok, blk_ok, in_fire, load, err_blk, finish, out_free, busy_d, wipe_busy, wipe_start;
  logic [3:0] rnd_d;

  assign wipe_busy   = wipe_req_q || wipe_run_q;
  assign wipe_start  = wipe_req_q && !wipe_run_q && !busy_q && !kx_busy && !settle_q;
  assign cfg_ready_o = !busy_q && !kx_busy && !settle_q && !wipe_busy;
  assign cfg_fire    = cfg_valid_i && cfg_ready_o;
  assign cfg_ok      = (cfg_mode_i != 2'd3) && !(cfg_key_load_i && cfg_key_len_i == 2'd3);
  assign kx_start    = cfg_fire && cfg_ok && cfg_key_load_i;
  assign blk_ok      = key_valid_q && cfg_ok_q;

  assign in_ready_o  = !busy_q && !kx_busy && !settle_q && !wipe_busy && !cfg_valid_i && (blk_ok || !out_valid_q);
  assign in_fire     = in_valid_i && in_ready_o;
  assign load        = in_fire && blk_ok;
  assign err_blk     = in_fire && !blk_ok;
  assign out_free    = !out_valid_q || out_ready_i;
  assign finish      = busy_q && last_round && out_free;

  assign busy_d = load || (busy_q && !finish);
  assign rnd_d  = load ? 4'd1 : ((busy_q && !last_round) ? rnd_q + 4'd1 : rnd_q);
  // Round key for the round executed next cycle (read latency 1); idle: the LOAD key.
  always_comb begin
    if (busy_d) rk_rd_row = dec_eff ? (nr_q - rnd_d) : rnd_d;
    else        rk_rd_row = dec_eff ? nr_q : 4'd0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
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
      saved_in_q  <= '0;
      out_data_q  <= '0;
      out_valid_q <= 1'b0;
      out_err_q   <= 1'b0;
      wipe_req_q  <= 1'b1;      // block RAM keeps its contents through reset: wipe it
      wipe_run_q  <= 1'b0;
      wipe_row_q  <= '0;
      keys_held_q <= 1'b1;
    end else begin
      settle_q <= 1'b0;
      busy_q   <= busy_d;
      rnd_q    <= rnd_d;

      if (wipe_i) wipe_req_q <= 1'b1;
      if (wipe_start) begin
        wipe_req_q <= 1'b0;    // a request arriving now is served by this wipe too
        wipe_run_q <= 1'b1;
        wipe_row_q <= '0;
      end
      if (wipe_run_q) begin
        wipe_row_q <= wipe_row_q + 4'd1;
        if (wipe_row_q == 4'd15) begin
          wipe_run_q  <= 1'b0;
          keys_held_q <= 1'b0;
          key_valid_q <= 1'b0;
          cfg_ok_q    <= 1'b0;
          st_q        <= '0;    // the last round state and the key give each other away
          chain_q     <= '0;
          saved_in_q  <= '0;
          if (!out_valid_q) out_data_q <= '0;
          settle_q    <= 1'b1;  // re-read the (now zero) LOAD round key
        end
      end
      if (kx_start) keys_held_q <= 1'b1;

      if (cfg_fire) begin
        cfg_ok_q  <= cfg_ok;
        cfg_err_q <= !cfg_ok;
        mode_q    <= cfg_mode_i;
        dec_q     <= cfg_decrypt_i;
        chain_q   <= cfg_iv_i;
        settle_q  <= 1'b1;     // prefetch the LOAD round key for the new direction
        if (cfg_key_load_i) begin
          key_valid_q <= 1'b0;
          if (cfg_ok) nr_q <= (cfg_key_len_i == 2'd2) ? 4'd14 : (cfg_key_len_i == 2'd1) ? 4'd12 : 4'd10;
        end
      end
      if (kx_done) begin
        key_valid_q <= 1'b1;
        settle_q    <= 1'b1;
      end

      if (load) begin
        st_q       <= load_val ^ rk;
        saved_in_q <= in_data_i;
        if (mode_q == MODE_CTR) chain_q <= chain_q + 128'd1;
      end else if (busy_q && !last_round) begin
        st_q <= round_out;          // rounds 1..Nr-1; the last round goes to the output
      end

      if (finish) begin
        out_valid_q <= 1'b1;
        out_err_q   <= 1'b0;
        out_data_q  <= result;
        if (mode_q == MODE_CBC) chain_q <= dec_q ? saved_in_q : result;   // enc: x_last = 0
      end else if (err_blk) begin
        out_valid_q <= 1'b1;
        out_err_q   <= 1'b1;
        out_data_q  <= '0;
      end else if (out_valid_q && out_ready_i) begin
        out_valid_q <= 1'b0;
      end
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_data_q;
  assign out_err_o   = out_err_q;
  assign key_valid_o = key_valid_q;
  assign cfg_err_o   = cfg_err_q;
  assign idle_o      = !busy_q && !kx_busy && !settle_q && !out_valid_q && !wipe_busy;
  assign wipe_busy_o = wipe_busy;
  assign keys_held_o = keys_held_q;

endmodule

`default_nettype wire
