// vcrypto_lane: one crypto lane of the accelerator: an AES engine (ECB, CBC, CTR, XTS with
// ciphertext stealing; lent to the GCM sequencer aes_gcm_ctl for AEAD requests), a SHA-256 and
// a SHA-512 engine behind one padder, the HMAC finish, the chaining fork and its own AES key
// cache. It serves one request
// at a time, handed to it by the submission fetch (vcrypto_fetch, through vcrypto_dispatch):
//
//   load    the fetch streams the request's submission entry (ld_sqe_i, 4 beats) and session
//           context (ld_ctx_i, 16 beats) into the lane while it is idle; the lane keeps what it
//           needs (field positions from the generated ABI package, firmware/abi.toml);
//   start   start_i: the request passed every check (the fetch checked algorithms, lengths and
//           every address range against the DMA window), the lane runs it; abort_i instead:
//           it failed, the lane drops what was loaded (the key and HMAC states are zeroed) and
//           stays idle;
//   run     configure the engines (the AES key - an XTS pair: K2, then K1 - is expanded only
//           when it differs from the one the key cache says is loaded; GCM's H with it), stream
//           the source once through the engines (read client), cipher output to the destination
//           (write client), HMAC outer pass from the outer state, digest (or GCM tag) to its
//           address; AEAD: the source stream is AAD, text and expected tag (firmware/ABI.md),
//           a tag mismatch answers BADMSG;
//   result  res_valid_o with the queue, cookie, virtio status, error detail (AXI_ERROR if any
//           of its transfers got an AXI error response) and bytes written, held until the
//           completion unit takes it (res_ready_i); then the per-request key and HMAC states
//           are zeroed and the lane is idle again.
//
// wipe_i (key hygiene, only while idle): clear the key cache and have the AES engine wipe its
// round keys; idle_o is low until the wipe is over.
`default_nettype none

module vcrypto_lane
#(
  parameter int QW = 2                    // width of a queue index
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  // request load (from the fetch, this lane selected by the dispatch)
  input  logic            ld_sqe_i,       // ld_data_i is beat ld_beat_i of the submission entry
  input  logic            ld_ctx_i,       // ld_data_i is beat ld_beat_i of the context
  input  logic [3:0]      ld_beat_i,
  input  logic [127:0]    ld_data_i,
  input  logic [QW-1:0]   ld_q_i,         // the request's queue (held during the load and at start)
  input  logic            start_i,
  input  logic            abort_i,
  input  logic            wipe_i,
  output logic            idle_o,         // no request, no wipe: can be loaded
  output logic            keys_held_o,    // a key or HMAC state, a cached key or round keys are held
  // read client (source)
  output logic            rd_cmd_valid_o,
  input  logic            rd_cmd_ready_i,
  output logic [63:0]     rd_cmd_addr_o,
  output logic [31:0]     rd_cmd_len_o,
  input  logic            rd_busy_i,
  input  logic            rd_err_i,
  input  logic            rd_valid_i,
  output logic            rd_ready_o,
  input  logic [127:0]    rd_data_i,
  // write client (destination, digest)
  output logic            wr_cmd_valid_o,
  input  logic            wr_cmd_ready_i,
  output logic [63:0]     wr_cmd_addr_o,
  output logic [31:0]     wr_cmd_len_o,
  input  logic            wr_busy_i,
  input  logic            wr_err_i,
  output logic            wr_valid_o,
  input  logic            wr_ready_i,
  output logic [127:0]    wr_data_o,
  // result (to the completion unit)
  output logic            res_valid_o,
  input  logic            res_ready_i,
  output logic [QW-1:0]   res_q_o,
  output logic [63:0]     res_cookie_o,
  output logic [7:0]      res_status_o,
  output logic [7:0]      res_detail_o,
  output logic [31:0]     res_bytes_o
`ifdef FORMAL
  ,                                       // the queue-engine proof's view (rtl/formal)
  output logic [3:0]      fv_state_o,
  output logic [296:0]    fv_fields_o
`endif
);

  typedef enum logic [3:0] {
    L_IDLE, L_CFG, L_START, L_RUN, L_OUTER_CFG, L_OUTER_RUN, L_DIG_CMD, L_DIG_DATA, L_DIG_WAIT,
    L_RESULT, L_WIPE
  } state_e;

  // the AES engine's cfg_mode_i (rtl/README.md, aes_engine)
  localparam logic [1:0] AES_MODE_ECB = 2'd0, AES_MODE_CBC = 2'd1, AES_MODE_CTR = 2'd2;
  localparam logic [31:0] GCM_IV_BYTES = 32'd12;   // the one IV length of the ABI
  // the SHA-2 engines' cfg_init_i (sha256_engine: 2 bits, sha512_engine: 3 bits)
  localparam logic [2:0] SHA_INIT_256 = 3'd0, SHA_INIT_224 = 3'd1, SHA_INIT_STATE = 3'd2,
                         SHA_INIT_512 = 3'd0, SHA_INIT_384 = 3'd1;

  // byte 0 <-> byte 15 etc.: AXI little-endian lanes <-> the engines' big-endian blocks
  function automatic logic [127:0] bswap128(input logic [127:0] x);
    for (int i = 0; i < 16; i++) bswap128[8*i +: 8] = x[120 - 8*i +: 8];
  endfunction

  // 16-byte blocks of n bytes
  function automatic logic [27:0] blocks(input logic [31:0] n);
    blocks = n[31:4] + {27'd0, n[3:0] != 4'd0};
  endfunction

  logic        lane_clk;       // the clock of everything below (the lane's clock gate, at the end)
  state_e      state_q;
  logic [QW-1:0] q_q;
  logic [2:0]  beat_q;
  // submission entry
  logic [7:0]  opcode_q;
  logic [31:0] src_len_q;
  logic [63:0] cookie_q, src_addr_q, dst_addr_q, dig_addr_q;
  logic [127:0] iv_q;          // byte 0 in [127:120], as the AES engine takes it
  logic [23:0] aad_len_q;      // AEAD
  logic [31:0] aead_len_q;     // AEAD: bytes of the source stream (AAD, text, tag; each padded)
  // session context
  logic [7:0]  cipher_alg_q, cipher_dir_q, key_len_q, hash_alg_q, digest_len_q, chain_q;
  logic [511:0] key_q;         // the key field, byte 0 in [511:504] (XTS: K1 then K2)
  logic [511:0] inner_q, outer_q; // HMAC states, H0 on top (SHA-224/256: the top 256 bits)
  logic        ctx_keys_q;     // key_q/inner_q/outer_q may hold a context's secrets
  // AES key cache: the key whose schedule is in this lane's engine
  logic        kc_valid_q, kc_xts_q;
  logic        kc_h_q;         // the GCM sequencer's H belongs to the cached key
  logic [7:0]  kc_len_q;
  logic [511:0] kc_key_q;
  logic [1:0]  aes_step_q;     // configuration step: 0 load K2, 1 load K1 (XTS key change), 2 the request's
  logic [27:0] blk_rem_q;      // XTS: full blocks still to enter the block slice
  // the block slice: one source block registered in front of the AES engine, so the engine's
  // input handshake (and its round-key read behind it) starts from a register, not from the
  // DMA read client's handshake across the chip (one clock of latency per request)
  logic         slc_valid_q, slc_last_q;
  logic [127:0] slc_data_q;
  // progress / outcome
  logic        axi_err_q;
  logic        aes_cfg_done_q, sha_cfg_done_q, rd_cmd_done_q, wr_cmd_done_q, pad_cmd_done_q;
  logic        sha_got_q;
  logic        gcm_done_q, tag_ok_q;   // AEAD: the GCM answer's last beat, and its tag check
  logic [511:0] digest_q;      // last SHA state, H0 on top (SHA-224/256: the top 256 bits)

  // ---------------------------------------------------------------- operation decode
  logic need_cipher, need_hash, hmac, c2h, h2c, wide, xts, xts256, aead, need_out, dec;
  assign need_cipher = (opcode_q == vcrypto_abi::OPCODE_CIPHER) || (opcode_q == vcrypto_abi::OPCODE_CHAIN);
  assign need_hash   = (opcode_q == vcrypto_abi::OPCODE_HASH) || (opcode_q == vcrypto_abi::OPCODE_MAC)
                       || (opcode_q == vcrypto_abi::OPCODE_CHAIN);
  assign hmac        = (opcode_q == vcrypto_abi::OPCODE_MAC) || (opcode_q == vcrypto_abi::OPCODE_CHAIN);
  assign c2h         = (opcode_q == vcrypto_abi::OPCODE_CHAIN) && (chain_q == vcrypto_abi::CHAIN_ORDER_CIPHER_THEN_HASH);
  assign h2c         = (opcode_q == vcrypto_abi::OPCODE_CHAIN) && (chain_q == vcrypto_abi::CHAIN_ORDER_HASH_THEN_CIPHER);
  assign wide        = (hash_alg_q == vcrypto_abi::HASH_ALG_SHA_384) || (hash_alg_q == vcrypto_abi::HASH_ALG_SHA_512);
  assign xts         = (cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_XTS);
  assign xts256      = xts && key_len_q == 8'd64;
  assign aead        = (opcode_q == vcrypto_abi::OPCODE_AEAD);
  assign need_out    = need_cipher || aead;          // text to the destination
  assign dec         = cipher_dir_q != 8'd0;
  logic digest_out;                                  // a digest, or GCM's tag, to digest_addr
  assign digest_out  = need_hash || (aead && !dec);

  // ---------------------------------------------------------------- crypto engines
  logic         aes_cfg_valid, aes_cfg_ready, aes_in_ready, aes_out_valid, aes_out_ready;
  logic         blk_valid, blk_free;   // a source block for the slice; the slice can take one
  logic         wr_valid, wr_ready;    // the lane's write stream, into the write skid buffer
  logic [127:0] wr_data;
  logic [127:0] aes_out_data;
  logic         aes_key_load, aes_wipe, aes_wipe_busy, aes_keys_held;
  logic [1:0]   aes_key_len, aes_mode;
  logic         aes_out_err, aes_key_valid, aes_cfg_err, aes_idle;

  logic         sha_cfg_valid, sha_cfg_ready, sha_in_valid, sha_in_ready, sha_in_last;
  logic [127:0] sha_in_data;
  logic         sha_state_valid, sha_state_err, sha_cfg_err, sha_idle;
  logic [511:0] sha_state;     // from the engine of this request's hash, H0 on top
  logic [2:0]   sha_init;
  logic [511:0] sha_init_state;
  // one SHA-2 engine per word size; the request's hash picks one, the other sees nothing
  logic         s2_cfg_ready, s2_in_ready, s2_state_valid, s2_state_err, s2_cfg_err, s2_idle;
  logic [255:0] s2_state;
  logic         s5_cfg_ready, s5_in_ready, s5_state_valid, s5_state_err, s5_cfg_err, s5_idle;
  logic [511:0] s5_state;
  assign sha_init       = (state_q == L_OUTER_CFG || hmac) ? SHA_INIT_STATE
                          : (hash_alg_q == vcrypto_abi::HASH_ALG_SHA_224) ? SHA_INIT_224
                          : (hash_alg_q == vcrypto_abi::HASH_ALG_SHA_384) ? SHA_INIT_384
                          : wide ? SHA_INIT_512 : SHA_INIT_256;
  assign sha_init_state = (state_q == L_OUTER_CFG) ? outer_q : inner_q;
  assign sha_cfg_ready   = wide ? s5_cfg_ready : s2_cfg_ready;
  assign sha_in_ready    = wide ? s5_in_ready : s2_in_ready;
  assign sha_state_valid = s2_state_valid || s5_state_valid;
  assign sha_state       = s5_state_valid ? s5_state : {s2_state, 256'd0};
  assign sha_state_err   = s2_state_err || s5_state_err;
  assign sha_cfg_err     = s2_cfg_err || s5_cfg_err;
  assign sha_idle        = s2_idle && s5_idle;

  logic         pad_cmd_valid, pad_cmd_ready, pad_in_valid, pad_in_ready;
  logic [31:0]  pad_cmd_len;
  logic [127:0] pad_in_data;

  // XTS: K1 = the first key_len/2 bytes, K2 the next; a key change loads K2, then K1, then
  // configures the data unit (the sequence the engine's own testbench proves)
  logic [255:0] aes_k1, aes_k2;
  logic         aes_key_hit;
  assign aes_k1       = xts256 ? key_q[511:256] : xts ? {key_q[511:384], 128'd0} : key_q[511:256];
  assign aes_k2       = xts256 ? key_q[255:0] : {key_q[383:256], 128'd0};
  assign aes_key_hit  = kc_valid_q && kc_len_q == key_len_q && kc_xts_q == xts && kc_key_q == key_q;
  assign aes_key_load = (aes_step_q != 2'd2) || !aes_key_hit;
  assign aes_key_len  = xts ? (xts256 ? 2'd2 : 2'd0)
                        : (key_len_q == 8'd32) ? 2'd2 : (key_len_q == 8'd24) ? 2'd1 : 2'd0;
  assign aes_mode     = (cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_CTR) ? AES_MODE_CTR :
                        (cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_CBC) ? AES_MODE_CBC : AES_MODE_ECB;

  // AEAD: the GCM sequencer drives the engine (ECB) for the whole request; aead is a request
  // register, so the multiplexers below switch only between requests
  logic         g_cfg_valid, g_cfg_ready, g_in_valid, g_in_ready, g_out_valid, g_out_ready;
  logic         g_out_last, g_out_tag_ok, g_out_err, g_h_held, g_idle;
  logic [127:0] g_out_data;
  logic         ge_cfg_valid, ge_key_load, ge_in_valid, ge_out_ready, ge_wipe;
  logic [1:0]   ge_key_len;
  logic [255:0] ge_key;
  logic [127:0] ge_in_data;

  assign blk_free = !slc_valid_q || aes_in_ready;

  // The GCM sequencer's clock: a wire as synthesised. In the accelerator process's view
  // (+define+VCRYPTO_CLOCK_GATE; rtl/README.md, "Views") it runs only while this lane holds an
  // AEAD request or wipes (the sequencer hands the wipe to the AES engine), and 8 clocks after:
  // nothing else reaches it (its configuration and data valids need aead, its wipe is L_WIPE's).
  logic gcm_clk;
  vcrypto_clock_gate #(.HOLD(8)) u_gcm_clock (
    .clk_i (lane_clk), .rst_ni,
    .busy_i  ((aead && state_q != L_IDLE) || state_q == L_WIPE || g_out_valid),
    .event_i (1'b0),
    .clk_o   (gcm_clk)
  );

  aes_gcm_ctl u_gcm (
    .clk_i  (gcm_clk),
    .rst_ni,
    .cfg_valid_i    (g_cfg_valid),
    .cfg_ready_o    (g_cfg_ready),
    .cfg_key_load_i (!aes_key_hit || !kc_h_q),
    .cfg_key_len_i  (aes_key_len),
    .cfg_key_i      (aes_k1),
    .cfg_decrypt_i  (dec),
    .cfg_iv_i       (iv_q[127:32]),
    .cfg_iv_len_i   (GCM_IV_BYTES),
    .cfg_aad_len_i  ({8'd0, aad_len_q}),
    .cfg_text_len_i (src_len_q),
    .cfg_tag_len_i  (digest_len_q[4:0]),
    .in_valid_i     (g_in_valid),
    .in_ready_o     (g_in_ready),
    .in_data_i      (bswap128(rd_data_i)),
    .out_valid_o    (g_out_valid),
    .out_ready_i    (g_out_ready),
    .out_data_o     (g_out_data),
    .out_last_o     (g_out_last),
    .out_tag_ok_o   (g_out_tag_ok),
    .out_err_o      (g_out_err),
    .wipe_i         (aes_wipe),          // the lane's wipe: H, and through e_wipe_o the round keys
    .keys_held_o    (g_h_held),
    .idle_o         (g_idle),
    .e_cfg_valid_o  (ge_cfg_valid),
    .e_cfg_ready_i  (aes_cfg_ready),
    .e_key_load_o   (ge_key_load),
    .e_key_len_o    (ge_key_len),
    .e_key_o        (ge_key),
    .e_in_valid_o   (ge_in_valid),
    .e_in_ready_i   (aes_in_ready),
    .e_in_data_o    (ge_in_data),
    .e_out_valid_i  (aes_out_valid),
    .e_out_ready_o  (ge_out_ready),
    .e_out_data_i   (aes_out_data),
    .e_out_err_i    (aes_out_err),
    .e_wipe_o       (ge_wipe),
    .e_wipe_busy_i  (aes_wipe_busy),
    .e_idle_i       (aes_idle)
  );

  aes_engine u_aes (
    .clk_i (lane_clk), .rst_ni,
    .cfg_valid_i    (aead ? ge_cfg_valid : aes_cfg_valid),
    .cfg_ready_o    (aes_cfg_ready),
    .cfg_key_load_i (aead ? ge_key_load : aes_key_load),
    .cfg_key_sel_i  (!aead && aes_step_q == 2'd0),
    .cfg_key_len_i  (aead ? ge_key_len : aes_key_len),
    .cfg_key_i      (aead ? ge_key : aes_step_q == 2'd0 ? aes_k2 : aes_k1),
    .cfg_mode_i     (aead ? AES_MODE_ECB : aes_mode),
    .cfg_xts_i      (xts && aes_step_q == 2'd2),
    .cfg_tail_i     ({src_len_q[3:0], 3'b000}),
    .cfg_decrypt_i  (!aead && dec),
    .cfg_iv_i       (iv_q),
    .in_valid_i     (aead ? ge_in_valid : slc_valid_q),
    .in_ready_o     (aes_in_ready),
    .in_data_i      (aead ? ge_in_data : slc_data_q),
    .in_last_i      (slc_last_q),
    .out_valid_o    (aes_out_valid),
    .out_ready_i    (aead ? ge_out_ready : aes_out_ready),
    .out_data_o     (aes_out_data),
    .out_err_o      (aes_out_err),
    .key_valid_o    (aes_key_valid),
    .cfg_err_o      (aes_cfg_err),
    .idle_o         (aes_idle),
    .wipe_i         (ge_wipe),
    .wipe_busy_o    (aes_wipe_busy),
    .keys_held_o    (aes_keys_held)
  );

  sha256_engine u_sha (
    .clk_i (lane_clk), .rst_ni,
    .cfg_valid_i   (sha_cfg_valid && !wide),
    .cfg_ready_o   (s2_cfg_ready),
    .cfg_init_i    (sha_init[1:0]),
    .cfg_state_i   (sha_init_state[511:256]),
    .in_valid_i    (sha_in_valid && !wide),
    .in_ready_o    (s2_in_ready),
    .in_data_i     (sha_in_data),
    .in_last_i     (sha_in_last),
    .state_valid_o (s2_state_valid),
    .state_ready_i (1'b1),
    .state_o       (s2_state),
    .state_err_o   (s2_state_err),
    .cfg_err_o     (s2_cfg_err),
    .idle_o        (s2_idle)
  );

  sha512_engine u_sha512 (
    .clk_i (lane_clk), .rst_ni,
    .cfg_valid_i   (sha_cfg_valid && wide),
    .cfg_ready_o   (s5_cfg_ready),
    .cfg_init_i    (sha_init),
    .cfg_state_i   (sha_init_state),
    .in_valid_i    (sha_in_valid && wide),
    .in_ready_o    (s5_in_ready),
    .in_data_i     (sha_in_data),
    .in_last_i     (sha_in_last),
    .state_valid_o (s5_state_valid),
    .state_ready_i (1'b1),
    .state_o       (s5_state),
    .state_err_o   (s5_state_err),
    .cfg_err_o     (s5_cfg_err),
    .idle_o        (s5_idle)
  );

  vcrypto_sha_pad u_pad (
    .clk_i (lane_clk), .rst_ni,
    .cmd_valid_i    (pad_cmd_valid),
    .cmd_ready_o    (pad_cmd_ready),
    .cmd_len_i      (pad_cmd_len),
    .cmd_prefix_i   (hmac),
    .cmd_wide_i     (wide),
    .in_valid_i     (pad_in_valid),
    .in_ready_o     (pad_in_ready),
    .in_data_i      (pad_in_data),
    .out_valid_o    (sha_in_valid),
    .out_ready_i    (sha_in_ready),
    .out_data_o     (sha_in_data),
    .out_last_o     (sha_in_last)
  );

  // ---------------------------------------------------------------- stream routing
  // AEAD: the GCM sequencer's stream handshakes, outside the block below (its in_ready depends
  // on its in_valid: in one block they would form a loop at the block's granularity)
  assign g_in_valid  = state_q == L_RUN && aead && rd_valid_i;
  assign g_out_ready = state_q == L_RUN && aead && (g_out_last || wr_ready);

  logic [127:0] aes_out_le, digest_le;
  assign aes_out_le = bswap128(aes_out_data);
  assign digest_le  = bswap128(digest_q[511 - 128*beat_q[1:0] -: 128]);   // digest beat beat_q

  always_comb begin
    rd_ready_o    = 1'b0;
    blk_valid     = 1'b0;
    aes_out_ready = 1'b0;
    pad_in_valid  = 1'b0;
    pad_in_data   = rd_data_i;
    wr_valid      = 1'b0;
    wr_data       = aes_out_le;
    case (state_q)
      L_RUN: if (aead) begin             // the stream through GCM; its last beat (tag) stays here
        rd_ready_o  = g_in_ready;
        wr_valid    = g_out_valid && !g_out_last;
        wr_data     = bswap128(g_out_data);
      end else begin
        if (h2c) begin                 // source forks to the cipher and the hash
          rd_ready_o   = blk_free && pad_in_ready;
          blk_valid    = rd_valid_i && pad_in_ready;
          pad_in_valid = rd_valid_i && blk_free;
        end else if (need_cipher) begin
          rd_ready_o   = blk_free;
          blk_valid    = rd_valid_i;
        end else begin
          rd_ready_o   = pad_in_ready;
          pad_in_valid = rd_valid_i;
        end
        if (c2h) begin                 // cipher output forks to the writer and the hash
          aes_out_ready = wr_ready && pad_in_ready;
          wr_valid      = aes_out_valid && pad_in_ready;
          pad_in_valid  = aes_out_valid && wr_ready;
          pad_in_data   = aes_out_le;
        end else begin
          aes_out_ready = wr_ready;
          wr_valid      = aes_out_valid;
        end
      end
      L_OUTER_RUN: begin           // the inner digest (dig_max bytes) into the outer hash
        pad_in_valid = {2'b0, beat_q, 4'd0} < {1'b0, dig_max};
        pad_in_data  = digest_le;
      end
      L_DIG_DATA: begin
        wr_valid = 1'b1;
        wr_data  = digest_le;
      end
      default: ;
    endcase
  end

  // ---------------------------------------------------------------- write skid buffer
  // Two beats between the lane's write stream (wr_valid/wr_ready/wr_data) and the DMA write
  // port. The ready the engines see is this buffer's own register, so the DMA arbiter's
  // FIFO-full and channel logic no longer sits in front of the AES engine's output handshake
  // and round-key read: that was the top's critical path (40.3 MHz on ECP5, 2026-12-01: an
  // arbiter register, 10 LUTs and ~21 ns of routing into the lane's key memory). Beats keep
  // their order at full rate; the DMA's write channel stays busy until the request's last beat
  // has left the buffer (it counts beats from the command), which the lane waits for anyway.
  logic         sk_a_v_q, sk_b_v_q;   // A: the beat offered to the DMA; B: the one behind it
  logic [127:0] sk_a_q, sk_b_q;
  assign wr_ready   = !sk_b_v_q;
  assign wr_valid_o = sk_a_v_q;
  assign wr_data_o  = sk_a_q;
  always_ff @(posedge lane_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      sk_a_v_q <= 1'b0; sk_b_v_q <= 1'b0; sk_a_q <= '0; sk_b_q <= '0;
    end else if (!sk_a_v_q || wr_ready_i) begin     // A is free or leaves this clock: B moves up
      sk_a_v_q <= sk_b_v_q || wr_valid;
      if (sk_b_v_q || wr_valid) sk_a_q <= sk_b_v_q ? sk_b_q : wr_data;
      sk_b_v_q <= 1'b0;
    end else if (wr_valid && wr_ready) begin        // A stays: the new beat waits in B
      sk_b_v_q <= 1'b1;
      sk_b_q   <= wr_data;
    end
  end

  // ---------------------------------------------------------------- commands
  logic [7:0] dig_max;          // the digest size of the request's hash
  always_comb
    case (hash_alg_q)
      vcrypto_abi::HASH_ALG_SHA_224: dig_max = 8'd28;
      vcrypto_abi::HASH_ALG_SHA_384: dig_max = 8'd48;
      vcrypto_abi::HASH_ALG_SHA_512: dig_max = 8'd64;
      default:                       dig_max = 8'd32;
    endcase

  always_comb begin
    rd_cmd_valid_o = 1'b0;
    rd_cmd_addr_o  = src_addr_q;
    rd_cmd_len_o   = aead ? aead_len_q : src_len_q;
    wr_cmd_valid_o = 1'b0;
    wr_cmd_addr_o  = dst_addr_q;
    wr_cmd_len_o   = src_len_q;
    pad_cmd_valid  = 1'b0;
    pad_cmd_len    = src_len_q;
    aes_cfg_valid  = 1'b0;
    g_cfg_valid    = 1'b0;
    sha_cfg_valid  = 1'b0;
    case (state_q)
      L_CFG: begin
        aes_cfg_valid = need_cipher && !aes_cfg_done_q;
        g_cfg_valid   = aead && !aes_cfg_done_q;
        sha_cfg_valid = need_hash && !sha_cfg_done_q;
      end
      L_START: begin
        rd_cmd_valid_o = !rd_cmd_done_q;
        wr_cmd_valid_o = need_out && !wr_cmd_done_q;
        pad_cmd_valid  = need_hash && !pad_cmd_done_q;
      end
      L_OUTER_CFG: begin
        sha_cfg_valid = !sha_cfg_done_q;
        pad_cmd_valid = !pad_cmd_done_q;
        pad_cmd_len   = {24'd0, dig_max};
      end
      L_DIG_CMD: begin
        wr_cmd_valid_o = 1'b1;
        wr_cmd_addr_o  = dig_addr_q;
        wr_cmd_len_o   = {24'd0, digest_len_q};
      end
      default: ;
    endcase
  end

  // ---------------------------------------------------------------- FSM
  always_ff @(posedge lane_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= L_IDLE;
      q_q <= '0; beat_q <= '0;
      opcode_q <= '0; src_len_q <= '0; cookie_q <= '0; src_addr_q <= '0; dst_addr_q <= '0;
      dig_addr_q <= '0; iv_q <= '0; aad_len_q <= '0; aead_len_q <= '0;
      cipher_alg_q <= '0; cipher_dir_q <= '0; key_len_q <= '0; hash_alg_q <= '0;
      digest_len_q <= '0; chain_q <= '0; key_q <= '0; inner_q <= '0; outer_q <= '0; ctx_keys_q <= 1'b0;
      kc_valid_q <= 1'b0; kc_xts_q <= 1'b0; kc_h_q <= 1'b0; kc_len_q <= '0; kc_key_q <= '0;
      aes_step_q <= 2'd2; blk_rem_q <= '0; gcm_done_q <= 1'b0; tag_ok_q <= 1'b0;
      slc_valid_q <= 1'b0; slc_last_q <= 1'b0; slc_data_q <= '0;
      axi_err_q <= 1'b0;
      aes_cfg_done_q <= 1'b0; sha_cfg_done_q <= 1'b0; rd_cmd_done_q <= 1'b0;
      wr_cmd_done_q <= 1'b0; pad_cmd_done_q <= 1'b0; sha_got_q <= 1'b0; digest_q <= '0;
    end else begin
      if (sha_state_valid) begin
        digest_q  <= sha_state;
        sha_got_q <= 1'b1;
      end
      if (blk_free) begin
        slc_valid_q <= blk_valid;
        if (blk_valid) begin
          slc_data_q <= bswap128(rd_data_i);
          slc_last_q <= xts && src_len_q[3:0] != 4'd0 && blk_rem_q == 28'd1;
          if (blk_rem_q != '0) blk_rem_q <= blk_rem_q - 28'd1;
        end
      end
      // AXI errors of this request's own transfers (a client's err holds until its next
      // command: the write client's is only this request's once a write command went out)
      if (state_q == L_RUN) axi_err_q <= axi_err_q | rd_err_i | (need_out && wr_err_i);
      // an AES key loaded for a cipher request is not the one GCM's H was computed from
      if (aes_cfg_valid && aes_cfg_ready && aes_key_load) kc_h_q <= 1'b0;
      if (g_out_valid && g_out_ready && g_out_last) begin
        gcm_done_q <= 1'b1;
        tag_ok_q   <= g_out_tag_ok;
        digest_q   <= {g_out_data, 384'd0};          // encrypting: the tag, written as a digest
      end
      if (state_q == L_DIG_DATA || state_q == L_DIG_WAIT) axi_err_q <= axi_err_q | wr_err_i;

      case (state_q)
        L_IDLE: begin
          // the request's submission entry and context, beat by beat
          if (ld_sqe_i) begin
            if (ld_beat_i == 4'(vcrypto_abi::SQE_OPCODE_BEAT))
              opcode_q <= ld_data_i[vcrypto_abi::SQE_OPCODE_LSB +: 8];
            if (ld_beat_i == 4'(vcrypto_abi::SQE_AAD_LEN_BEAT))
              aad_len_q <= ld_data_i[vcrypto_abi::SQE_AAD_LEN_LSB +: 24];
            if (ld_beat_i == 4'(vcrypto_abi::SQE_SRC_LEN_BEAT))
              src_len_q <= ld_data_i[vcrypto_abi::SQE_SRC_LEN_LSB +: 32];
            if (ld_beat_i == 4'(vcrypto_abi::SQE_COOKIE_BEAT))
              cookie_q <= ld_data_i[vcrypto_abi::SQE_COOKIE_LSB +: 64];
            if (ld_beat_i == 4'(vcrypto_abi::SQE_SRC_ADDR_BEAT))
              src_addr_q <= ld_data_i[vcrypto_abi::SQE_SRC_ADDR_LSB +: 64];
            if (ld_beat_i == 4'(vcrypto_abi::SQE_DST_ADDR_BEAT))
              dst_addr_q <= ld_data_i[vcrypto_abi::SQE_DST_ADDR_LSB +: 64];
            if (ld_beat_i == 4'(vcrypto_abi::SQE_DIGEST_ADDR_BEAT))
              dig_addr_q <= ld_data_i[vcrypto_abi::SQE_DIGEST_ADDR_LSB +: 64];
            if (ld_beat_i == 4'(vcrypto_abi::SQE_IV_BEAT))
              iv_q <= bswap128(ld_data_i[vcrypto_abi::SQE_IV_LSB +: 128]);
          end
          if (ld_ctx_i) begin
            if (ld_beat_i == 4'(vcrypto_abi::CTX_CIPHER_ALG_BEAT))
              cipher_alg_q <= ld_data_i[vcrypto_abi::CTX_CIPHER_ALG_LSB +: 8];
            if (ld_beat_i == 4'(vcrypto_abi::CTX_CIPHER_DIR_BEAT))
              cipher_dir_q <= ld_data_i[vcrypto_abi::CTX_CIPHER_DIR_LSB +: 8];
            if (ld_beat_i == 4'(vcrypto_abi::CTX_KEY_LEN_BEAT))
              key_len_q <= ld_data_i[vcrypto_abi::CTX_KEY_LEN_LSB +: 8];
            if (ld_beat_i == 4'(vcrypto_abi::CTX_HASH_ALG_BEAT))
              hash_alg_q <= ld_data_i[vcrypto_abi::CTX_HASH_ALG_LSB +: 8];
            if (ld_beat_i == 4'(vcrypto_abi::CTX_DIGEST_LEN_BEAT))
              digest_len_q <= ld_data_i[vcrypto_abi::CTX_DIGEST_LEN_LSB +: 8];
            if (ld_beat_i == 4'(vcrypto_abi::CTX_CHAIN_ORDER_BEAT))
              chain_q <= ld_data_i[vcrypto_abi::CTX_CHAIN_ORDER_LSB +: 8];
            // multi-beat fields: the first beat is the top (byte 0 in the top byte)
            for (int k = 0; k < 4; k++)
              if (ld_beat_i == 4'(vcrypto_abi::CTX_KEY_BEAT + k)) begin
                key_q[511 - 128*k -: 128] <= bswap128(ld_data_i); ctx_keys_q <= 1'b1;
              end
            for (int k = 0; k < 4; k++) begin
              if (ld_beat_i == 4'(vcrypto_abi::CTX_INNER_STATE_BEAT + k)) begin
                inner_q[511 - 128*k -: 128] <= bswap128(ld_data_i); ctx_keys_q <= 1'b1;
              end
              if (ld_beat_i == 4'(vcrypto_abi::CTX_OUTER_STATE_BEAT + k)) begin
                outer_q[511 - 128*k -: 128] <= bswap128(ld_data_i); ctx_keys_q <= 1'b1;
              end
            end
          end
          if (start_i) begin
            q_q <= ld_q_i;
            aes_step_q <= (xts && !aes_key_hit) ? 2'd0 : 2'd2;
            blk_rem_q  <= src_len_q[31:4];
            aead_len_q <= {blocks(src_len_q) + blocks({8'd0, aad_len_q}) + {27'd0, dec}, 4'd0};
            gcm_done_q <= 1'b0;
            axi_err_q <= 1'b0;
            aes_cfg_done_q <= 1'b0;
            sha_cfg_done_q <= 1'b0;
            sha_got_q      <= 1'b0;
            state_q <= L_CFG;
          end else if (abort_i) begin
            // the request failed its checks: nothing of its context stays
            key_q <= '0; inner_q <= '0; outer_q <= '0; ctx_keys_q <= 1'b0;
          end else if (wipe_i) begin
            kc_valid_q <= 1'b0; kc_xts_q <= 1'b0; kc_h_q <= 1'b0; kc_len_q <= '0; kc_key_q <= '0;
            beat_q  <= '0;
            state_q <= L_WIPE;
          end
        end
        L_CFG: begin
          if (aes_cfg_valid && aes_cfg_ready) begin
            if (aes_step_q != 2'd2) aes_step_q <= aes_step_q + 2'd1;
            else begin
              aes_cfg_done_q <= 1'b1;
              kc_valid_q <= 1'b1; kc_xts_q <= xts; kc_len_q <= key_len_q; kc_key_q <= key_q;
            end
          end
          if (g_cfg_valid && g_cfg_ready) begin
            aes_cfg_done_q <= 1'b1;
            kc_valid_q <= 1'b1; kc_xts_q <= 1'b0; kc_h_q <= 1'b1; kc_len_q <= key_len_q; kc_key_q <= key_q;
          end
          if (sha_cfg_valid && sha_cfg_ready) sha_cfg_done_q <= 1'b1;
          if ((!need_out || aes_cfg_done_q || (aes_cfg_valid && aes_cfg_ready && aes_step_q == 2'd2)
               || (g_cfg_valid && g_cfg_ready)) &&
              (!need_hash || sha_cfg_done_q || (sha_cfg_valid && sha_cfg_ready))) begin
            rd_cmd_done_q <= 1'b0; wr_cmd_done_q <= 1'b0; pad_cmd_done_q <= 1'b0;
            state_q <= L_START;
          end
        end
        L_START: begin
          if (rd_cmd_valid_o && rd_cmd_ready_i) rd_cmd_done_q <= 1'b1;
          if (wr_cmd_valid_o && wr_cmd_ready_i) wr_cmd_done_q <= 1'b1;
          if (pad_cmd_valid && pad_cmd_ready)   pad_cmd_done_q <= 1'b1;
          if ((rd_cmd_done_q || rd_cmd_ready_i) && (!need_out || wr_cmd_done_q || wr_cmd_ready_i)
              && (!need_hash || pad_cmd_done_q || pad_cmd_ready))
            state_q <= L_RUN;
        end
        L_RUN: begin
          if (!rd_busy_i && !(need_out && wr_busy_i) && !(need_cipher && aes_out_valid) && (!need_hash || sha_got_q)
              && (!aead || gcm_done_q)) begin
            sha_cfg_done_q <= 1'b0; pad_cmd_done_q <= 1'b0; sha_got_q <= 1'b0;
            state_q <= hmac ? L_OUTER_CFG : (digest_out ? L_DIG_CMD : L_RESULT);
          end
        end
        L_OUTER_CFG: begin
          if (sha_cfg_valid && sha_cfg_ready) sha_cfg_done_q <= 1'b1;
          if (pad_cmd_valid && pad_cmd_ready) pad_cmd_done_q <= 1'b1;
          if ((sha_cfg_done_q || sha_cfg_ready) && (pad_cmd_done_q || pad_cmd_ready)) begin
            beat_q <= '0;
            state_q <= L_OUTER_RUN;
          end
        end
        L_OUTER_RUN: begin
          if (pad_in_valid && pad_in_ready) beat_q <= beat_q + 3'd1;
          if (sha_got_q) state_q <= L_DIG_CMD;
        end
        L_DIG_CMD: if (wr_cmd_ready_i) begin beat_q <= '0; state_q <= L_DIG_DATA; end
        L_DIG_DATA: if (wr_ready) begin
          beat_q <= beat_q + 3'd1;
          if ({1'b0, beat_q, 4'd0} + 8'd16 >= digest_len_q) state_q <= L_DIG_WAIT;   // its last beat
        end
        L_DIG_WAIT: if (!wr_busy_i) state_q <= L_RESULT;
        L_RESULT: if (res_ready_i) begin
          // the session's key and HMAC states are not needed past its request
          key_q <= '0; inner_q <= '0; outer_q <= '0; ctx_keys_q <= 1'b0;
          state_q <= L_IDLE;
        end
        L_WIPE: begin                      // beat 0: the wipe pulse goes out; then wait for it
          beat_q <= 3'd1;
          if (beat_q != '0 && g_idle && !aes_wipe_busy) state_q <= L_IDLE;
        end
        default: state_q <= L_IDLE;
      endcase
    end
  end

  // The lane's clock: a wire as synthesised. In the accelerator process's view (+define+
  // VCRYPTO_CLOCK_GATE; rtl/README.md, "Views") it runs while the lane has a request, a beat in
  // its block slice or write buffer, or an engine not idle, and 8 clocks after; and in a clock
  // where the fetch loads it, starts, aborts or wipes it. An idle lane's state changes on
  // nothing else (every stream above is routed only outside L_IDLE), so with several lanes the
  // idle ones cost the simulator little. The engines' and the GCM sequencer's own gates run
  // from this clock (their HOLD is no longer than this one's).
  vcrypto_clock_gate #(.HOLD(8)) u_lane_clock (
    .clk_i, .rst_ni,
    .busy_i  (state_q != L_IDLE || slc_valid_q || sk_a_v_q || sk_b_v_q
              || !aes_idle || !sha_idle || !g_idle),
    .event_i (ld_sqe_i || ld_ctx_i || start_i || abort_i || wipe_i),
    .clk_o   (lane_clk)
  );

  assign idle_o       = state_q == L_IDLE;
  assign aes_wipe     = (state_q == L_WIPE) && (beat_q == '0);
  assign keys_held_o  = kc_valid_q || aes_keys_held || ctx_keys_q || g_h_held;
  assign res_valid_o  = state_q == L_RESULT;
  assign res_q_o      = q_q;
  assign res_cookie_o = cookie_q;
  logic badmsg;                              // AEAD decryption: the tag did not match
  assign badmsg       = aead && dec && !tag_ok_q;
  assign res_status_o = axi_err_q ? vcrypto_abi::STATUS_ERR : badmsg ? vcrypto_abi::STATUS_BADMSG : vcrypto_abi::STATUS_OK;
  assign res_detail_o = axi_err_q ? vcrypto_abi::ERROR_DETAIL_AXI_ERROR : vcrypto_abi::ERROR_DETAIL_NONE;
  assign res_bytes_o  = (axi_err_q || badmsg) ? 32'd0
                        : (need_out ? src_len_q : 32'd0)
                          + (digest_out ? {24'd0, digest_len_q} : 32'd0);

  // Engine status outputs the sequencing does not need: an engine is always configured
  // before data reaches it (the fetch checked the request, GCM's fields included), so its
  // error flags cannot rise here.
  logic unused_status;
  assign unused_status = ^{aes_key_valid, aes_cfg_err, sha_state_err, sha_cfg_err, sha_idle, g_out_err};

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_lane_fv.sv); never synthesised or simulated
  assign fv_state_o  = state_q;
  assign fv_fields_o = {aad_len_q, opcode_q, src_len_q, src_addr_q, dst_addr_q, dig_addr_q,
                        dec, cipher_alg_q, key_len_q, hash_alg_q, digest_len_q, chain_q};
  vcrypto_lane_fv #(.QW(QW)) u_fv (.*);
`endif

endmodule

`default_nettype wire
