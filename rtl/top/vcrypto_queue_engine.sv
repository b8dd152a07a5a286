// vcrypto_queue_engine: serves the submission rings one request at a time, in round-robin
// order over the queues, and owns the crypto engines.
//
// Per request: fetch the 64-byte submission entry, then the 128-byte session context, check
// them (opcode, algorithms, lengths, every address range inside the DMA window), configure
// the AES and SHA-2 engines (the AES key is expanded only when it differs from the one
// loaded), stream the source through the engines in one pass (cipher, hash, HMAC, or both in
// either chaining order: the source or the cipher output forks to the hash), finish HMAC with
// the outer state, write the digest, and post a completion entry with the cookie, a virtio
// status, the bytes written and the ring's phase bit. Every failure - unknown opcode,
// unsupported algorithm, bad length, range outside the window, an AXI error response -
// becomes a completion with ERR/NOTSUPP and an error-counter increment; nothing is written
// for a request that failed its checks, and the engine goes on with the next entry.
// A queue whose next submission slot or completion slot lies outside the window is not
// served at all (ring_fault_o), because its completion could not be written.
`default_nettype none

module vcrypto_queue_engine
#(
  parameter int NQ = 4
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  // ring state (vcrypto_csr)
  input  logic            enable_i,
  input  logic [63:0]     win_base_i,
  input  logic [63:0]     win_size_i,
  input  logic [NQ*64-1:0] sq_base_i,
  input  logic [NQ*4-1:0]  sq_log2_i,
  input  logic [NQ*16-1:0] sq_head_i,
  input  logic [NQ*16-1:0] sq_tail_i,
  input  logic [NQ*64-1:0] cq_base_i,
  input  logic [NQ*4-1:0]  cq_log2_i,
  input  logic [NQ*16-1:0] cq_head_i,
  input  logic [NQ*16-1:0] cq_tail_i,
  input  logic [NQ-1:0]    cq_phase_i,
  output logic [NQ-1:0]    sq_pop_o,
  output logic [NQ-1:0]    cq_push_o,
  output logic            inc_err_axi_o,
  output logic            inc_err_window_o,
  output logic            inc_err_notsupp_o,
  output logic            inc_err_length_o,
  output logic            idle_o,
  output logic [NQ-1:0]    ring_fault_o,
  // key hygiene: scrub_req_i (level, from the SCRUB register) zeroes the key cache and has
  // the AES engine wipe its round keys, between requests; scrub_done_o pulses when finished
  input  logic            scrub_req_i,
  output logic            scrub_done_o,
  output logic            keys_held_o,
  // read DMA
  output logic            rd_cmd_valid_o,
  input  logic            rd_cmd_ready_i,
  output logic [63:0]     rd_cmd_addr_o,
  output logic [31:0]     rd_cmd_len_o,
  input  logic            rd_busy_i,
  input  logic            rd_err_i,
  input  logic            rd_valid_i,
  output logic            rd_ready_o,
  input  logic [127:0]    rd_data_i,
  // write DMA
  output logic            wr_cmd_valid_o,
  input  logic            wr_cmd_ready_i,
  output logic [63:0]     wr_cmd_addr_o,
  output logic [31:0]     wr_cmd_len_o,
  input  logic            wr_busy_i,
  input  logic            wr_err_i,
  output logic            wr_valid_o,
  input  logic            wr_ready_i,
  output logic [127:0]    wr_data_o
);


  typedef enum logic [4:0] {
    S_IDLE, S_SQE_CMD, S_SQE_DATA, S_SQE_CHECK, S_CTX_CMD, S_CTX_DATA, S_CTX_CHECK,
    S_CFG, S_START, S_RUN, S_OUTER_CFG, S_OUTER_RUN, S_DIG_CMD, S_DIG_DATA, S_DIG_WAIT,
    S_CQE_CMD, S_CQE_DATA, S_CQE_WAIT, S_DONE, S_SCRUB
  } state_e;

  // byte 0 <-> byte 15 etc.: AXI little-endian lanes <-> the engines' big-endian blocks
  function automatic logic [127:0] bswap128(input logic [127:0] x);
    bswap128 = {x[7:0], x[15:8], x[23:16], x[31:24], x[39:32], x[47:40], x[55:48], x[63:56],
                x[71:64], x[79:72], x[87:80], x[95:88], x[103:96], x[111:104], x[119:112], x[127:120]};
  endfunction

  // [addr, addr + len) inside the DMA window [base, end): two carry chains side by side
  // (the window's end is registered, see win_end_q)
  logic [64:0] win_end_q;
  function automatic logic in_win(input logic [63:0] addr, input logic [32:0] len,
                                  input logic [63:0] base, input logic [64:0] wend);
    in_win = (addr >= base) && ({1'b0, addr} + {32'd0, len} <= wend);
  endfunction

  state_e      state_q;
  logic [1:0]  q_q, rr_q;
  logic [63:0] cqe_addr_r;       // completion slot of the request in flight
  logic        cq_phase_q;
  logic [2:0]  beat_q;
  // submission entry
  logic [7:0]  opcode_q;
  logic [31:0] src_len_q;
  logic [63:0] cookie_q, ctx_addr_q, src_addr_q, dst_addr_q, dig_addr_q;
  logic [127:0] iv_q;          // byte 0 in [127:120], as the AES engine takes it
  // session context
  logic [7:0]  cipher_alg_q, cipher_dir_q, key_len_q, hash_alg_q, digest_len_q, chain_q;
  logic [255:0] key_q, inner_q, outer_q;
  // AES key cache: the key whose schedule is in the engine
  logic        kc_valid_q;
  logic [7:0]  kc_len_q;
  logic [255:0] kc_key_q;
  logic        ctx_keys_q;     // key_q/inner_q/outer_q hold a context's secrets (until S_DONE)
  // progress / outcome
  logic        fail_q, axi_err_q;
  logic [7:0]  status_q, detail_q;
  logic        aes_cfg_done_q, sha_cfg_done_q, rd_cmd_done_q, wr_cmd_done_q, pad_cmd_done_q;
  logic        sha_got_q;
  logic [255:0] digest_q;      // last SHA state, H0 in [255:224]

  // ---------------------------------------------------------------- arbitration
  // Two registered stages keep the ring arithmetic off the dispatch path: (1) each queue's
  // next submission/completion slot address and whether it has work and room, (2) whether
  // those slots are inside the window. After a completion the arbiter waits for both
  // stages to see the new ring indices (settle_q).
  logic [NQ-1:0] pending_q, eligible_q;
  logic [63:0]   sqe_addr_q [NQ];
  logic [63:0]   cqe_addr_q [NQ];
  logic [1:0]    settle_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pending_q  <= '0;
      eligible_q <= '0;
      win_end_q  <= '0;
      for (int q = 0; q < NQ; q++) begin
        sqe_addr_q[q] <= '0;
        cqe_addr_q[q] <= '0;
      end
    end else begin
      win_end_q <= {1'b0, win_base_i} + {1'b0, win_size_i};
      for (int q = 0; q < NQ; q++) begin
        logic [15:0] cmask;
        logic [3:0]  sl, cl;
        sl = sq_log2_i[q*4 +: 4];
        cl = cq_log2_i[q*4 +: 4];
        cmask = 16'((17'd1 << cl) - 17'd1);
        sqe_addr_q[q] <= sq_base_i[q*64 +: 64] + {42'd0, sq_head_i[q*16 +: 16], 6'd0};
        cqe_addr_q[q] <= cq_base_i[q*64 +: 64] + {44'd0, cq_tail_i[q*16 +: 16], 4'd0};
        pending_q[q]  <= sl != 4'd0 && cl != 4'd0 && sq_head_i[q*16 +: 16] != sq_tail_i[q*16 +: 16]
                         && ((cq_tail_i[q*16 +: 16] + 16'd1) & cmask) != cq_head_i[q*16 +: 16];
        eligible_q[q] <= pending_q[q] && in_win(sqe_addr_q[q], 33'd64, win_base_i, win_end_q)
                         && in_win(cqe_addr_q[q], 33'd16, win_base_i, win_end_q);
      end
    end
  end
  assign ring_fault_o = pending_q & ~eligible_q;

  logic       pick_valid;
  logic [1:0] pick;
  always_comb begin
    pick_valid = 1'b0;
    pick = rr_q;
    for (int i = NQ - 1; i >= 0; i--) begin
      logic [1:0] q;
      q = 2'(rr_q + 2'(i));
      if (eligible_q[q]) begin
        pick_valid = 1'b1;
        pick = q;
      end
    end
  end

  // ---------------------------------------------------------------- operation decode
  logic need_cipher, need_hash, hmac, c2h, h2c, sha224;
  assign need_cipher = (opcode_q == vcrypto_abi::OPCODE_CIPHER) || (opcode_q == vcrypto_abi::OPCODE_CHAIN);
  assign need_hash   = (opcode_q == vcrypto_abi::OPCODE_HASH) || (opcode_q == vcrypto_abi::OPCODE_MAC) || (opcode_q == vcrypto_abi::OPCODE_CHAIN);
  assign hmac        = (opcode_q == vcrypto_abi::OPCODE_MAC) || (opcode_q == vcrypto_abi::OPCODE_CHAIN);
  assign c2h         = (opcode_q == vcrypto_abi::OPCODE_CHAIN) && (chain_q == vcrypto_abi::CHAIN_ORDER_CIPHER_THEN_HASH);
  assign h2c         = (opcode_q == vcrypto_abi::OPCODE_CHAIN) && (chain_q == vcrypto_abi::CHAIN_ORDER_HASH_THEN_CIPHER);
  assign sha224      = (hash_alg_q == vcrypto_abi::HASH_ALG_SHA_224);

  // ---------------------------------------------------------------- crypto engines
  logic         aes_cfg_valid, aes_cfg_ready, aes_in_valid, aes_in_ready, aes_out_valid, aes_out_ready;
  logic [127:0] aes_out_data;
  logic         aes_key_load, aes_wipe, aes_wipe_busy, aes_keys_held;
  logic [1:0]   aes_key_len, aes_mode;
  logic         aes_out_err, aes_key_valid, aes_cfg_err, aes_idle;

  logic         sha_cfg_valid, sha_cfg_ready, sha_in_valid, sha_in_ready, sha_in_last;
  logic [127:0] sha_in_data;
  logic         sha_state_valid, sha_state_err, sha_cfg_err, sha_idle;
  logic [255:0] sha_state;

  logic         pad_cmd_valid, pad_cmd_ready, pad_in_valid, pad_in_ready;
  logic [31:0]  pad_cmd_len;
  logic [127:0] pad_in_data;

  assign aes_key_load = !(kc_valid_q && kc_len_q == key_len_q && kc_key_q == key_q);
  assign aes_key_len  = (key_len_q == 8'd32) ? 2'd2 : (key_len_q == 8'd24) ? 2'd1 : 2'd0;
  assign aes_mode     = (cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_CTR) ? 2'd2 :
                        (cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_CBC) ? 2'd1 : 2'd0;

  aes_engine u_aes (
    .clk_i, .rst_ni,
    .cfg_valid_i    (aes_cfg_valid),
    .cfg_ready_o    (aes_cfg_ready),
    .cfg_key_load_i (aes_key_load),
    .cfg_key_sel_i  (1'b0),           // XTS (K2, data units, stealing): not offered yet
    .cfg_key_len_i  (aes_key_len),
    .cfg_key_i      (key_q),
    .cfg_mode_i     (aes_mode),
    .cfg_xts_i      (1'b0),
    .cfg_tail_i     (7'd0),
    .cfg_decrypt_i  (cipher_dir_q != 8'd0),
    .cfg_iv_i       (iv_q),
    .in_valid_i     (aes_in_valid),
    .in_ready_o     (aes_in_ready),
    .in_data_i      (bswap128(rd_data_i)),
    .in_last_i      (1'b0),
    .out_valid_o    (aes_out_valid),
    .out_ready_i    (aes_out_ready),
    .out_data_o     (aes_out_data),
    .out_err_o      (aes_out_err),
    .key_valid_o    (aes_key_valid),
    .cfg_err_o      (aes_cfg_err),
    .idle_o         (aes_idle),
    .wipe_i         (aes_wipe),
    .wipe_busy_o    (aes_wipe_busy),
    .keys_held_o    (aes_keys_held)
  );

  sha256_engine u_sha (
    .clk_i, .rst_ni,
    .cfg_valid_i   (sha_cfg_valid),
    .cfg_ready_o   (sha_cfg_ready),
    .cfg_init_i    (state_q == S_OUTER_CFG || hmac ? 2'd2 : (sha224 ? 2'd1 : 2'd0)),
    .cfg_state_i   (state_q == S_OUTER_CFG ? outer_q : inner_q),
    .in_valid_i    (sha_in_valid),
    .in_ready_o    (sha_in_ready),
    .in_data_i     (sha_in_data),
    .in_last_i     (sha_in_last),
    .state_valid_o (sha_state_valid),
    .state_ready_i (1'b1),
    .state_o       (sha_state),
    .state_err_o   (sha_state_err),
    .cfg_err_o     (sha_cfg_err),
    .idle_o        (sha_idle)
  );

  vcrypto_sha_pad u_pad (
    .clk_i, .rst_ni,
    .cmd_valid_i    (pad_cmd_valid),
    .cmd_ready_o    (pad_cmd_ready),
    .cmd_len_i      (pad_cmd_len),
    .cmd_prefix64_i (hmac),
    .in_valid_i     (pad_in_valid),
    .in_ready_o     (pad_in_ready),
    .in_data_i      (pad_in_data),
    .out_valid_o    (sha_in_valid),
    .out_ready_i    (sha_in_ready),
    .out_data_o     (sha_in_data),
    .out_last_o     (sha_in_last)
  );

  // ---------------------------------------------------------------- stream routing
  logic [127:0] aes_out_le, digest_le0, digest_le1;
  assign aes_out_le = bswap128(aes_out_data);
  assign digest_le0 = bswap128(digest_q[255:128]);
  assign digest_le1 = bswap128(digest_q[127:0]);

  always_comb begin
    rd_ready_o    = 1'b0;
    aes_in_valid  = 1'b0;
    aes_out_ready = 1'b0;
    pad_in_valid  = 1'b0;
    pad_in_data   = rd_data_i;
    wr_valid_o    = 1'b0;
    wr_data_o     = aes_out_le;
    case (state_q)
      S_SQE_DATA, S_CTX_DATA: rd_ready_o = 1'b1;
      S_RUN: begin
        if (h2c) begin                 // source forks to the cipher and the hash
          rd_ready_o   = aes_in_ready && pad_in_ready;
          aes_in_valid = rd_valid_i && pad_in_ready;
          pad_in_valid = rd_valid_i && aes_in_ready;
        end else if (need_cipher) begin
          rd_ready_o   = aes_in_ready;
          aes_in_valid = rd_valid_i;
        end else begin
          rd_ready_o   = pad_in_ready;
          pad_in_valid = rd_valid_i;
        end
        if (c2h) begin                 // cipher output forks to the writer and the hash
          aes_out_ready = wr_ready_i && pad_in_ready;
          wr_valid_o    = aes_out_valid && pad_in_ready;
          pad_in_valid  = aes_out_valid && wr_ready_i;
          pad_in_data   = aes_out_le;
        end else begin
          aes_out_ready = wr_ready_i;
          wr_valid_o    = aes_out_valid;
        end
      end
      S_OUTER_RUN: begin
        pad_in_valid = beat_q < 3'd2;
        pad_in_data  = (beat_q == 3'd0) ? digest_le0 : digest_le1;
      end
      S_DIG_DATA: begin
        wr_valid_o = 1'b1;
        wr_data_o  = (beat_q == 3'd0) ? digest_le0 : digest_le1;
      end
      S_CQE_DATA: begin
        wr_valid_o = 1'b1;
        wr_data_o  = {7'd0, cq_phase_q, detail_q, 6'd0, q_q, status_q,
                      fail_q ? 32'd0 : ((need_cipher ? src_len_q : 32'd0) + (need_hash ? {24'd0, digest_len_q} : 32'd0)),
                      cookie_q};
      end
      default: ;
    endcase
  end

  // ---------------------------------------------------------------- commands
  logic [7:0]  dig_max;
  logic [32:0] src_len33;
  assign dig_max   = sha224 ? 8'd28 : 8'd32;
  assign src_len33 = {1'b0, src_len_q};

  always_comb begin
    rd_cmd_valid_o = 1'b0;
    rd_cmd_addr_o  = src_addr_q;
    rd_cmd_len_o   = src_len_q;
    wr_cmd_valid_o = 1'b0;
    wr_cmd_addr_o  = dst_addr_q;
    wr_cmd_len_o   = src_len_q;
    pad_cmd_valid  = 1'b0;
    pad_cmd_len    = src_len_q;
    aes_cfg_valid  = 1'b0;
    sha_cfg_valid  = 1'b0;
    case (state_q)
      S_SQE_CMD: begin
        rd_cmd_valid_o = 1'b1;
        rd_cmd_addr_o  = sqe_addr_q[q_q];
        rd_cmd_len_o   = 32'd64;
      end
      S_CTX_CMD: begin
        rd_cmd_valid_o = 1'b1;
        rd_cmd_addr_o  = ctx_addr_q;
        rd_cmd_len_o   = 32'd128;
      end
      S_CFG: begin
        aes_cfg_valid = need_cipher && !aes_cfg_done_q;
        sha_cfg_valid = need_hash && !sha_cfg_done_q;
      end
      S_START: begin
        rd_cmd_valid_o = !rd_cmd_done_q;
        wr_cmd_valid_o = need_cipher && !wr_cmd_done_q;
        pad_cmd_valid  = need_hash && !pad_cmd_done_q;
      end
      S_OUTER_CFG: begin
        sha_cfg_valid = !sha_cfg_done_q;
        pad_cmd_valid = !pad_cmd_done_q;
        pad_cmd_len   = {24'd0, dig_max};
      end
      S_DIG_CMD: begin
        wr_cmd_valid_o = 1'b1;
        wr_cmd_addr_o  = dig_addr_q;
        wr_cmd_len_o   = {24'd0, digest_len_q};
      end
      S_CQE_CMD: begin
        wr_cmd_valid_o = 1'b1;
        wr_cmd_addr_o  = cqe_addr_r;
        wr_cmd_len_o   = 32'd16;
      end
      default: ;
    endcase
  end

  // ---------------------------------------------------------------- checks
  // Returns {fail, status, detail} for the submission + context just fetched.
  logic        chk_fail;
  logic [7:0]  chk_status, chk_detail;
  always_comb begin
    chk_fail   = 1'b0;
    chk_status = vcrypto_abi::STATUS_OK;
    chk_detail = vcrypto_abi::ERROR_DETAIL_NONE;
    if (rd_err_i) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_ERR; chk_detail = vcrypto_abi::ERROR_DETAIL_AXI_ERROR;
    end else if (need_cipher && !(cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_ECB || cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_CBC
                                  || cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_CTR)) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_NOTSUPP; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM;
    end else if (need_hash && !(hash_alg_q == vcrypto_abi::HASH_ALG_SHA_224 || hash_alg_q == vcrypto_abi::HASH_ALG_SHA_256)) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_NOTSUPP; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM;
    end else if (opcode_q == vcrypto_abi::OPCODE_CHAIN && !c2h && !h2c) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_NOTSUPP; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM;
    end else if ((need_cipher && !(key_len_q == 8'd16 || key_len_q == 8'd24 || key_len_q == 8'd32))
                 || (need_cipher && cipher_alg_q != vcrypto_abi::CIPHER_ALG_AES_CTR && src_len_q[3:0] != 4'd0)
                 || (need_hash && (digest_len_q == 8'd0 || digest_len_q > dig_max))
                 || (src_len_q > vcrypto_abi::DEV_MAX_REQUEST_BYTES)) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_ERR; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_LENGTH;
    end else if ((src_len_q != '0 && !in_win(src_addr_q, src_len33, win_base_i, win_end_q))
                 || (need_cipher && src_len_q != '0 && !in_win(dst_addr_q, src_len33, win_base_i, win_end_q))
                 || (need_hash && !in_win(dig_addr_q, {25'd0, digest_len_q}, win_base_i, win_end_q))) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_ERR; chk_detail = vcrypto_abi::ERROR_DETAIL_OUT_OF_WINDOW;
    end
  end

  // ---------------------------------------------------------------- FSM
  logic rd_fire;
  assign rd_fire = rd_valid_i && rd_ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= S_IDLE;
      q_q <= '0; rr_q <= '0; cqe_addr_r <= '0; settle_q <= '0; cq_phase_q <= 1'b0; beat_q <= '0;
      opcode_q <= '0; src_len_q <= '0; cookie_q <= '0; ctx_addr_q <= '0; src_addr_q <= '0;
      dst_addr_q <= '0; dig_addr_q <= '0; iv_q <= '0;
      cipher_alg_q <= '0; cipher_dir_q <= '0; key_len_q <= '0; hash_alg_q <= '0;
      digest_len_q <= '0; chain_q <= '0; key_q <= '0; inner_q <= '0; outer_q <= '0;
      kc_valid_q <= 1'b0; kc_len_q <= '0; kc_key_q <= '0; ctx_keys_q <= 1'b0;
      fail_q <= 1'b0; axi_err_q <= 1'b0; status_q <= '0; detail_q <= '0;
      aes_cfg_done_q <= 1'b0; sha_cfg_done_q <= 1'b0; rd_cmd_done_q <= 1'b0;
      wr_cmd_done_q <= 1'b0; pad_cmd_done_q <= 1'b0; sha_got_q <= 1'b0; digest_q <= '0;
      sq_pop_o <= '0; cq_push_o <= '0; scrub_done_o <= 1'b0;
      inc_err_axi_o <= 1'b0; inc_err_window_o <= 1'b0; inc_err_notsupp_o <= 1'b0; inc_err_length_o <= 1'b0;
    end else begin
      sq_pop_o <= '0;
      cq_push_o <= '0;
      scrub_done_o <= 1'b0;
      inc_err_axi_o <= 1'b0; inc_err_window_o <= 1'b0; inc_err_notsupp_o <= 1'b0; inc_err_length_o <= 1'b0;
      if (sha_state_valid) begin
        digest_q  <= sha_state;
        sha_got_q <= 1'b1;
      end
      if (state_q == S_RUN || state_q == S_DIG_DATA || state_q == S_DIG_WAIT)
        axi_err_q <= axi_err_q | rd_err_i | wr_err_i;

      if (settle_q != '0) settle_q <= settle_q - 2'd1;
      case (state_q)
        S_IDLE: begin
          // before the next request (nothing is in flight); the request just served is still
          // visible while scrub_done_o is high
          if (scrub_req_i && !scrub_done_o) begin
            kc_valid_q <= 1'b0; kc_len_q <= '0; kc_key_q <= '0;
            beat_q  <= '0;
            state_q <= S_SCRUB;
          end else if (enable_i && pick_valid && settle_q == '0) begin
            q_q        <= pick;
            cqe_addr_r <= cqe_addr_q[pick];
            cq_phase_q <= cq_phase_i[pick];
            fail_q     <= 1'b0;
            axi_err_q  <= 1'b0;
            status_q   <= vcrypto_abi::STATUS_OK;
            detail_q   <= vcrypto_abi::ERROR_DETAIL_NONE;
            cookie_q   <= '0;
            state_q    <= S_SQE_CMD;
          end
        end
        S_SQE_CMD: if (rd_cmd_ready_i) begin beat_q <= '0; state_q <= S_SQE_DATA; end
        S_SQE_DATA: if (rd_fire) begin
          beat_q <= beat_q + 3'd1;
          case (beat_q[1:0])
            2'd0: begin opcode_q <= rd_data_i[7:0]; src_len_q <= rd_data_i[63:32]; cookie_q <= rd_data_i[127:64]; end
            2'd1: begin ctx_addr_q <= rd_data_i[63:0]; src_addr_q <= rd_data_i[127:64]; end
            2'd2: begin dst_addr_q <= rd_data_i[63:0]; dig_addr_q <= rd_data_i[127:64]; end
            default: begin iv_q <= bswap128(rd_data_i); state_q <= S_SQE_CHECK; end
          endcase
        end
        S_SQE_CHECK: begin
          sq_pop_o[q_q] <= 1'b1;
          if (rd_err_i) begin
            fail_q <= 1'b1; status_q <= vcrypto_abi::STATUS_ERR; detail_q <= vcrypto_abi::ERROR_DETAIL_AXI_ERROR; cookie_q <= '0;
            state_q <= S_CQE_CMD;
          end else if (!(opcode_q == vcrypto_abi::OPCODE_CIPHER || opcode_q == vcrypto_abi::OPCODE_HASH || opcode_q == vcrypto_abi::OPCODE_MAC
                         || opcode_q == vcrypto_abi::OPCODE_CHAIN)) begin
            fail_q <= 1'b1; status_q <= vcrypto_abi::STATUS_NOTSUPP; detail_q <= vcrypto_abi::ERROR_DETAIL_BAD_OPCODE;
            state_q <= S_CQE_CMD;
          end else if (!in_win(ctx_addr_q, 33'd128, win_base_i, win_end_q)) begin
            fail_q <= 1'b1; status_q <= vcrypto_abi::STATUS_ERR; detail_q <= vcrypto_abi::ERROR_DETAIL_OUT_OF_WINDOW;
            state_q <= S_CQE_CMD;
          end else begin
            state_q <= S_CTX_CMD;
          end
        end
        S_CTX_CMD: if (rd_cmd_ready_i) begin beat_q <= '0; state_q <= S_CTX_DATA; end
        S_CTX_DATA: if (rd_fire) begin
          beat_q <= beat_q + 3'd1;
          case (beat_q)
            3'd0: begin
              cipher_alg_q <= rd_data_i[7:0];   cipher_dir_q <= rd_data_i[15:8];
              key_len_q    <= rd_data_i[23:16]; hash_alg_q   <= rd_data_i[31:24];
              digest_len_q <= rd_data_i[39:32]; chain_q      <= rd_data_i[47:40];
            end
            3'd2: begin key_q[255:128] <= bswap128(rd_data_i); ctx_keys_q <= 1'b1; end
            3'd3: key_q[127:0]     <= bswap128(rd_data_i);
            3'd4: inner_q[255:128] <= bswap128(rd_data_i);
            3'd5: inner_q[127:0]   <= bswap128(rd_data_i);
            3'd6: outer_q[255:128] <= bswap128(rd_data_i);
            3'd7: begin outer_q[127:0] <= bswap128(rd_data_i); state_q <= S_CTX_CHECK; end
            default: ;
          endcase
        end
        S_CTX_CHECK: begin
          aes_cfg_done_q <= 1'b0;
          sha_cfg_done_q <= 1'b0;
          sha_got_q      <= 1'b0;
          if (chk_fail) begin
            fail_q <= 1'b1; status_q <= chk_status; detail_q <= chk_detail;
            state_q <= S_CQE_CMD;
          end else begin
            state_q <= S_CFG;
          end
        end
        S_CFG: begin
          if (aes_cfg_valid && aes_cfg_ready) begin
            aes_cfg_done_q <= 1'b1;
            kc_valid_q <= 1'b1; kc_len_q <= key_len_q; kc_key_q <= key_q;
          end
          if (sha_cfg_valid && sha_cfg_ready) sha_cfg_done_q <= 1'b1;
          if ((!need_cipher || aes_cfg_done_q || (aes_cfg_valid && aes_cfg_ready)) &&
              (!need_hash || sha_cfg_done_q || (sha_cfg_valid && sha_cfg_ready))) begin
            rd_cmd_done_q <= 1'b0; wr_cmd_done_q <= 1'b0; pad_cmd_done_q <= 1'b0;
            state_q <= S_START;
          end
        end
        S_START: begin
          if (rd_cmd_valid_o && rd_cmd_ready_i) rd_cmd_done_q <= 1'b1;
          if (wr_cmd_valid_o && wr_cmd_ready_i) wr_cmd_done_q <= 1'b1;
          if (pad_cmd_valid && pad_cmd_ready)   pad_cmd_done_q <= 1'b1;
          if ((rd_cmd_done_q || rd_cmd_ready_i) && (!need_cipher || wr_cmd_done_q || wr_cmd_ready_i)
              && (!need_hash || pad_cmd_done_q || pad_cmd_ready))
            state_q <= S_RUN;
        end
        S_RUN: begin
          if (!rd_busy_i && !(need_cipher && (wr_busy_i || aes_out_valid)) && (!need_hash || sha_got_q)) begin
            sha_cfg_done_q <= 1'b0; pad_cmd_done_q <= 1'b0; sha_got_q <= 1'b0;
            state_q <= hmac ? S_OUTER_CFG : (need_hash ? S_DIG_CMD : S_CQE_CMD);
          end
        end
        S_OUTER_CFG: begin
          if (sha_cfg_valid && sha_cfg_ready) sha_cfg_done_q <= 1'b1;
          if (pad_cmd_valid && pad_cmd_ready) pad_cmd_done_q <= 1'b1;
          if ((sha_cfg_done_q || sha_cfg_ready) && (pad_cmd_done_q || pad_cmd_ready)) begin
            beat_q <= '0;
            state_q <= S_OUTER_RUN;
          end
        end
        S_OUTER_RUN: begin
          if (pad_in_valid && pad_in_ready) beat_q <= beat_q + 3'd1;
          if (sha_got_q) state_q <= S_DIG_CMD;
        end
        S_DIG_CMD: if (wr_cmd_ready_i) begin beat_q <= '0; state_q <= S_DIG_DATA; end
        S_DIG_DATA: if (wr_ready_i) begin
          beat_q <= beat_q + 3'd1;
          if (beat_q == 3'd1 || digest_len_q <= 8'd16) state_q <= S_DIG_WAIT;
        end
        S_DIG_WAIT: if (!wr_busy_i) state_q <= S_CQE_CMD;
        S_CQE_CMD: if (wr_cmd_ready_i) begin
          if (!fail_q && axi_err_q) begin
            fail_q <= 1'b1; status_q <= vcrypto_abi::STATUS_ERR; detail_q <= vcrypto_abi::ERROR_DETAIL_AXI_ERROR;
          end
          state_q <= S_CQE_DATA;
        end
        S_CQE_DATA: if (wr_ready_i) state_q <= S_CQE_WAIT;
        S_CQE_WAIT: if (!wr_busy_i) begin
          if (wr_err_i) inc_err_axi_o <= 1'b1;     // the completion entry itself was not written
          state_q <= S_DONE;
        end
        S_DONE: begin
          cq_push_o[q_q] <= 1'b1;
          settle_q <= 2'd3;       // push -> CSR indices -> stage 1 -> stage 2
          // (a failed completion write was counted by its own pulse, one clock earlier)
          inc_err_axi_o     <= (detail_q == vcrypto_abi::ERROR_DETAIL_AXI_ERROR);
          inc_err_window_o  <= (detail_q == vcrypto_abi::ERROR_DETAIL_OUT_OF_WINDOW);
          inc_err_notsupp_o <= (detail_q == vcrypto_abi::ERROR_DETAIL_BAD_OPCODE) || (detail_q == vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM);
          inc_err_length_o  <= (detail_q == vcrypto_abi::ERROR_DETAIL_BAD_LENGTH);
          rr_q    <= q_q + 2'd1;
          // the session's key and HMAC states are not needed past its request
          key_q <= '0; inner_q <= '0; outer_q <= '0; ctx_keys_q <= 1'b0;
          state_q <= S_IDLE;
        end
        S_SCRUB: begin                     // beat 0: the wipe pulse goes out; then wait for it
          beat_q <= 3'd1;
          if (beat_q != '0 && !aes_wipe_busy) begin
            scrub_done_o <= 1'b1;
            state_q <= S_IDLE;
          end
        end
        default: state_q <= S_IDLE;
      endcase
    end
  end

  assign idle_o = (state_q == S_IDLE) && !rd_busy_i && !wr_busy_i;
  assign aes_wipe    = (state_q == S_SCRUB) && (beat_q == '0);
  assign keys_held_o = kc_valid_q || aes_keys_held || ctx_keys_q;

  // Engine status outputs the sequencing does not need: an engine is always configured
  // before data reaches it, so its error flags cannot rise here.
  logic unused_status;
  assign unused_status = ^{aes_out_err, aes_key_valid, aes_cfg_err, aes_idle, sha_state_err,
                           sha_cfg_err, sha_idle};

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_queue_engine_fv.sv); never synthesised or simulated
  vcrypto_queue_engine_fv #(.NQ(NQ)) u_fv (.*,
    .sqe_addr0 (sqe_addr_q[0]), .sqe_addr1 (sqe_addr_q[1]), .sqe_addr2 (sqe_addr_q[2]), .sqe_addr3 (sqe_addr_q[3]),
    .cqe_addr0 (cqe_addr_q[0]), .cqe_addr1 (cqe_addr_q[1]), .cqe_addr2 (cqe_addr_q[2]), .cqe_addr3 (cqe_addr_q[3]));
`endif

endmodule

`default_nettype wire
