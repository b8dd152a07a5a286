// vcrypto_fetch: the submission side of the queue engine. Picks the next queue (round robin
// over the NQ rings) that has an entry, room in its completion ring for that entry and for
// every entry of the queue already in flight, and a lane free to take it; fetches the 64-byte
// submission entry and the 256-byte session context over its read client, streaming both
// into the reserved lane (vcrypto_dispatch routes the load beats); checks them (opcode,
// algorithms, lengths, every address range inside the DMA window) and then starts the lane,
// or, if a check failed, aborts the lane and hands a failure record (queue, cookie, status,
// error detail) to the completion unit. One entry at a time; SQ_HEAD pops as the entry is
// checked.
//
// Ring arbitration is two registered stages, which keep the ring arithmetic off the pick
// path: (1) each queue's next submission slot address, whether it has work and completion
// room, and whether its whole completion ring lies inside the DMA window; (2) whether its next
// submission slot lies inside the window. A queue with work whose submission slot or
// completion ring is outside the window is not served (ring_fault_o): its completions could
// not be written. After a pop the arbiter waits for both stages to see the new SQ_HEAD.
`default_nettype none

module vcrypto_fetch
#(
  parameter int NQ = 4,
  parameter int QW = 2                    // width of a queue index
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  // ring state (vcrypto_csr)
  input  logic            cfg_write_i,    // the host writes a register (AW or W valid): the ring state
                                          // below may change within the next clocks
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
  output logic [NQ-1:0]    sq_pop_o,
  input  logic [NQ-1:0]    cq_push_i,      // a completion was posted (the queue's entry left the device)
  output logic [NQ-1:0]    ring_fault_o,
  // dispatch: a lane for the next entry, and its load
  input  logic            lane_avail_i,
  output logic            reserve_o,
  output logic            ld_sqe_o,
  output logic            ld_ctx_o,
  output logic [3:0]      ld_beat_o,
  output logic [127:0]    ld_data_o,
  output logic [QW-1:0]   ld_q_o,
  output logic            start_o,
  output logic            abort_o,
  // requests that failed their checks, to the completion unit
  output logic            fail_valid_o,
  input  logic            fail_ready_i,
  output logic [QW-1:0]   fail_q_o,
  output logic [63:0]     fail_cookie_o,
  output logic [7:0]      fail_status_o,
  output logic [7:0]      fail_detail_o,
  // read client
  output logic            rd_cmd_valid_o,
  input  logic            rd_cmd_ready_i,
  output logic [63:0]     rd_cmd_addr_o,
  output logic [31:0]     rd_cmd_len_o,
  input  logic            rd_busy_i,
  input  logic            rd_err_i,
  input  logic            rd_valid_i,
  output logic            rd_ready_o,
  input  logic [127:0]    rd_data_i,
  output logic            idle_o
`ifdef FORMAL
  ,                                       // the queue-engine proof's view (rtl/formal)
  output logic [2:0]      fv_state_o,
  output logic [NQ*4-1:0] fv_infl_o,
  output logic [296:0]    fv_fields_o
`endif
);

  typedef enum logic [2:0] {
    F_IDLE, F_SQE_CMD, F_SQE_DATA, F_SQE_CHECK, F_CTX_CMD, F_CTX_DATA, F_CTX_CHECK, F_FAIL
  } state_e;

  // [addr, addr + len) inside the DMA window [base, end): two carry chains side by side
  // (the window's end is registered, see win_end_q)
  logic [64:0] win_end_q, win_sum;
  assign win_sum = {1'b0, win_base_i} + {1'b0, win_size_i};
  function automatic logic in_win(input logic [63:0] addr, input logic [32:0] len,
                                  input logic [63:0] base, input logic [64:0] wend);
    in_win = (addr >= base) && ({1'b0, addr} + {32'd0, len} <= wend);
  endfunction

  state_e      state_q;
  logic [QW-1:0] q_q, rr_q;
  logic [3:0]  beat_q;
  logic [1:0]  settle_q;
  logic        start_q, abort_q;
  // the fields the checks need (the lane keeps its own copy of what it needs to run)
  logic [7:0]  opcode_q;
  logic [31:0] src_len_q;
  logic [63:0] cookie_q, ctx_addr_q, src_addr_q, dst_addr_q, dig_addr_q;
  logic [7:0]  cipher_alg_q, key_len_q, hash_alg_q, digest_len_q, chain_q;
  logic [23:0] aad_len_q;      // AEAD
  logic        dec_q;          // ctx.cipher_dir: decrypt (AEAD: an expected tag in the stream)
  // the failure record
  logic [7:0]  status_q, detail_q;

  // ---------------------------------------------------------------- arbitration
  logic [NQ-1:0] pending_q, eligible_q, cq_ok_q;
  logic [63:0]   sqe_addr_q [NQ];
  logic [3:0]    infl_q [NQ];     // entries of the queue picked and not yet completed (<= lanes + 2)

  // The simulation view's clock gates (rtl/README.md, "Views"; as synthesised wires). The two
  // arbitration stages follow their inputs, which change only after a host register write (the
  // register block updates within 2 clocks of the write's last valid), a pop, a completion or a
  // pick (the queue's entries in flight): each runs their clock, and HOLD 7 lets both stages
  // take the new values. The FSM runs while it fetches, checks or reports, and in a clock where
  // it takes an entry or a completion leaves (its count of entries in flight).
  logic take, arb_clk, fsm_clk;
  vcrypto_clock_gate #(.HOLD(7)) u_arb_clock (
    .clk_i, .rst_ni,
    .busy_i  (cfg_write_i || sq_pop_o != '0 || cq_push_i != '0 || take),
    .event_i (1'b0),
    .clk_o   (arb_clk)
  );
  vcrypto_clock_gate #(.HOLD(0)) u_fsm_clock (
    .clk_i, .rst_ni,
    .busy_i  (state_q != F_IDLE || start_q || abort_q || settle_q != '0 || sq_pop_o != '0),
    .event_i (take || cq_push_i != '0),
    .clk_o   (fsm_clk)
  );

  always_ff @(posedge arb_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      pending_q  <= '0;
      eligible_q <= '0;
      cq_ok_q    <= '0;
      win_end_q  <= '0;
      for (int q = 0; q < NQ; q++) sqe_addr_q[q] <= '0;
    end else begin
      // the window ends at base + size, or at 2^64 if that is further: no range the checks
      // pass runs past the top of the address space (a DMA command never wraps)
      win_end_q <= win_sum[64] ? {1'b1, 64'd0} : win_sum;
      for (int q = 0; q < NQ; q++) begin
        logic [15:0] cmask, cfree;
        logic [3:0]  sl, cl;
        sl = sq_log2_i[q*4 +: 4];
        cl = cq_log2_i[q*4 +: 4];
        cmask = 16'((17'd1 << cl) - 17'd1);
        // free completion slots: the ring keeps one empty
        cfree = (cq_head_i[q*16 +: 16] - cq_tail_i[q*16 +: 16] - 16'd1) & cmask;
        sqe_addr_q[q] <= sq_base_i[q*64 +: 64] + {42'd0, sq_head_i[q*16 +: 16], 6'd0};
        pending_q[q]  <= sl != 4'd0 && cl != 4'd0 && sq_head_i[q*16 +: 16] != sq_tail_i[q*16 +: 16]
                         && cfree > {12'd0, infl_q[q]};
        cq_ok_q[q]    <= in_win(cq_base_i[q*64 +: 64], 33'(17'd16 << cl), win_base_i, win_end_q);
        eligible_q[q] <= pending_q[q] && cq_ok_q[q] && in_win(sqe_addr_q[q], 33'd64, win_base_i, win_end_q);
      end
    end
  end
  assign ring_fault_o = pending_q & ~eligible_q;

  // first set bit of `v` (n bits) at or after position `from`, wrapping (round robin)
  function automatic logic [3:0] rr_pick(input logic [15:0] v, input logic [3:0] from, input logic [4:0] n);
    rr_pick = from;
    for (int i = 15; i >= 0; i--) begin
      logic [4:0] k;
      k = {1'b0, from} + 5'(i);
      if (k >= n) k = k - n;
      if (5'(i) < n && v[k[3:0]]) rr_pick = k[3:0];
    end
  endfunction

  logic          pick_valid;
  logic [QW-1:0] pick;
  assign pick_valid = eligible_q != '0;
  assign pick       = QW'(rr_pick(16'(eligible_q), 4'(rr_q), 5'(NQ)));

  // ---------------------------------------------------------------- checks
  logic need_cipher, need_hash, c2h, h2c, xts, aead, need_out, tag_out;
  assign need_cipher = (opcode_q == vcrypto_abi::OPCODE_CIPHER) || (opcode_q == vcrypto_abi::OPCODE_CHAIN);
  assign need_hash   = (opcode_q == vcrypto_abi::OPCODE_HASH) || (opcode_q == vcrypto_abi::OPCODE_MAC)
                       || (opcode_q == vcrypto_abi::OPCODE_CHAIN);
  assign c2h         = (opcode_q == vcrypto_abi::OPCODE_CHAIN) && (chain_q == vcrypto_abi::CHAIN_ORDER_CIPHER_THEN_HASH);
  assign h2c         = (opcode_q == vcrypto_abi::OPCODE_CHAIN) && (chain_q == vcrypto_abi::CHAIN_ORDER_HASH_THEN_CIPHER);
  assign xts         = (cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_XTS);
  assign aead        = (opcode_q == vcrypto_abi::OPCODE_AEAD);
  assign need_out    = need_cipher || aead;                  // text to dst_addr
  assign tag_out     = need_hash || (aead && !dec_q);        // digest (or tag) to digest_addr

  logic [7:0]  dig_max;        // the digest size of hash_alg_q (0: not a hash the lanes serve)
  logic [32:0] src_len33;
  always_comb
    case (hash_alg_q)
      vcrypto_abi::HASH_ALG_SHA_224: dig_max = 8'd28;
      vcrypto_abi::HASH_ALG_SHA_256: dig_max = 8'd32;
      vcrypto_abi::HASH_ALG_SHA_384: dig_max = 8'd48;
      vcrypto_abi::HASH_ALG_SHA_512: dig_max = 8'd64;
      default:                       dig_max = 8'd0;
    endcase
  assign src_len33 = {1'b0, src_len_q};

  // the bytes read from src_addr: the source, or AEAD's stream (AAD, text, tag; each padded)
  logic [32:0] rd_len33;
  logic        tag_len_ok;     // GCM's tag lengths: 4, 8, 12..16 (SP 800-38D 5.2.1.2)
  assign rd_len33   = aead ? {1'b0, src_len_q[31:4] + {27'd0, src_len_q[3:0] != 4'd0}
                                          + {8'd0, aad_len_q[23:4]} + {27'd0, aad_len_q[3:0] != 4'd0}
                                          + {27'd0, dec_q}, 4'd0}
                           : src_len33;
  assign tag_len_ok = digest_len_q == 8'd4 || digest_len_q == 8'd8 || (digest_len_q >= 8'd12 && digest_len_q <= 8'd16);

  // {fail, status, detail} for the submission + context just fetched, less the read's AXI error
  // (F_CTX_CHECK puts that first): this block then reads only this unit's and the register
  // block's state, and Verilator no longer evaluates it whenever the DMA read side ticks.
  logic        chk_fail;
  logic [7:0]  chk_status, chk_detail;
  always_comb begin
    chk_fail   = 1'b0;
    chk_status = vcrypto_abi::STATUS_OK;
    chk_detail = vcrypto_abi::ERROR_DETAIL_NONE;
    if (need_cipher && !(cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_ECB || cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_CBC
                                  || cipher_alg_q == vcrypto_abi::CIPHER_ALG_AES_CTR || xts)) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_NOTSUPP; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM;
    end else if (aead && cipher_alg_q != vcrypto_abi::CIPHER_ALG_AES_GCM) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_NOTSUPP; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM;
    end else if (need_hash && dig_max == 8'd0) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_NOTSUPP; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM;
    end else if (opcode_q == vcrypto_abi::OPCODE_CHAIN && !c2h && !h2c) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_NOTSUPP; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM;
    end else if ((need_cipher && !xts && !(key_len_q == 8'd16 || key_len_q == 8'd24 || key_len_q == 8'd32))
                 || (need_cipher && xts && !(key_len_q == 8'd32 || key_len_q == 8'd64))
                 || (need_cipher && !xts && cipher_alg_q != vcrypto_abi::CIPHER_ALG_AES_CTR && src_len_q[3:0] != 4'd0)
                 || (need_cipher && xts && src_len_q < 32'd16)
                 || (need_hash && (digest_len_q == 8'd0 || digest_len_q > dig_max))
                 || (aead && !(key_len_q == 8'd16 || key_len_q == 8'd24 || key_len_q == 8'd32))
                 || (aead && (!tag_len_ok || {8'd0, aad_len_q} > vcrypto_abi::DEV_MAX_REQUEST_BYTES))
                 || (src_len_q > vcrypto_abi::DEV_MAX_REQUEST_BYTES)) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_ERR; chk_detail = vcrypto_abi::ERROR_DETAIL_BAD_LENGTH;
    end else if ((rd_len33 != '0 && !in_win(src_addr_q, rd_len33, win_base_i, win_end_q))
                 || (need_out && src_len_q != '0 && !in_win(dst_addr_q, src_len33, win_base_i, win_end_q))
                 || (tag_out && !in_win(dig_addr_q, {25'd0, digest_len_q}, win_base_i, win_end_q))) begin
      chk_fail = 1'b1; chk_status = vcrypto_abi::STATUS_ERR; chk_detail = vcrypto_abi::ERROR_DETAIL_OUT_OF_WINDOW;
    end
  end

  // ---------------------------------------------------------------- outputs
  logic rd_fire;
  assign take       = state_q == F_IDLE && enable_i && pick_valid && settle_q == '0 && lane_avail_i;
  assign reserve_o  = take;
  assign rd_ready_o = state_q == F_SQE_DATA || state_q == F_CTX_DATA;
  assign rd_fire    = rd_valid_i && rd_ready_o;
  assign ld_sqe_o   = rd_fire && state_q == F_SQE_DATA;
  assign ld_ctx_o   = rd_fire && state_q == F_CTX_DATA;
  assign ld_beat_o  = beat_q;
  assign ld_data_o  = rd_data_i;
  assign ld_q_o     = q_q;
  assign start_o    = start_q;
  assign abort_o    = abort_q;

  always_comb begin
    rd_cmd_valid_o = 1'b0;
    rd_cmd_addr_o  = sqe_addr_q[q_q];
    rd_cmd_len_o   = vcrypto_abi::SQE_BYTES;
    if (state_q == F_SQE_CMD) rd_cmd_valid_o = 1'b1;
    if (state_q == F_CTX_CMD) begin
      rd_cmd_valid_o = 1'b1;
      rd_cmd_addr_o  = ctx_addr_q;
      rd_cmd_len_o   = vcrypto_abi::CTX_BYTES;
    end
  end

  assign fail_valid_o  = state_q == F_FAIL;
  assign fail_q_o      = q_q;
  assign fail_cookie_o = cookie_q;
  assign fail_status_o = status_q;
  assign fail_detail_o = detail_q;
  assign idle_o        = state_q == F_IDLE && !start_q && !abort_q;

  // ---------------------------------------------------------------- FSM
  always_ff @(posedge fsm_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= F_IDLE;
      q_q <= '0; rr_q <= '0; beat_q <= '0; settle_q <= '0; start_q <= 1'b0; abort_q <= 1'b0;
      opcode_q <= '0; src_len_q <= '0; cookie_q <= '0; ctx_addr_q <= '0; src_addr_q <= '0;
      dst_addr_q <= '0; dig_addr_q <= '0;
      cipher_alg_q <= '0; key_len_q <= '0; hash_alg_q <= '0; digest_len_q <= '0; chain_q <= '0;
      aad_len_q <= '0; dec_q <= 1'b0;
      status_q <= '0; detail_q <= '0;
      sq_pop_o <= '0;
      for (int q = 0; q < NQ; q++) infl_q[q] <= '0;
    end else begin
      sq_pop_o <= '0;
      start_q  <= 1'b0;
      abort_q  <= 1'b0;
      if (settle_q != '0) settle_q <= settle_q - 2'd1;
      for (int q = 0; q < NQ; q++)
        infl_q[q] <= infl_q[q] + 4'(take && pick == QW'(q)) - 4'(cq_push_i[q]);

      case (state_q)
        F_IDLE: if (take) begin
          q_q      <= pick;
          rr_q     <= (pick == QW'(NQ - 1)) ? '0 : pick + QW'(1);
          cookie_q <= '0;
          state_q  <= F_SQE_CMD;
        end
        F_SQE_CMD: if (rd_cmd_ready_i) begin beat_q <= '0; state_q <= F_SQE_DATA; end
        F_SQE_DATA: if (rd_fire) begin
          beat_q <= beat_q + 4'd1;
          if (beat_q == 4'(vcrypto_abi::SQE_OPCODE_BEAT))      opcode_q   <= rd_data_i[vcrypto_abi::SQE_OPCODE_LSB +: 8];
          if (beat_q == 4'(vcrypto_abi::SQE_AAD_LEN_BEAT))     aad_len_q  <= rd_data_i[vcrypto_abi::SQE_AAD_LEN_LSB +: 24];
          if (beat_q == 4'(vcrypto_abi::SQE_SRC_LEN_BEAT))     src_len_q  <= rd_data_i[vcrypto_abi::SQE_SRC_LEN_LSB +: 32];
          if (beat_q == 4'(vcrypto_abi::SQE_COOKIE_BEAT))      cookie_q   <= rd_data_i[vcrypto_abi::SQE_COOKIE_LSB +: 64];
          if (beat_q == 4'(vcrypto_abi::SQE_CTX_ADDR_BEAT))    ctx_addr_q <= rd_data_i[vcrypto_abi::SQE_CTX_ADDR_LSB +: 64];
          if (beat_q == 4'(vcrypto_abi::SQE_SRC_ADDR_BEAT))    src_addr_q <= rd_data_i[vcrypto_abi::SQE_SRC_ADDR_LSB +: 64];
          if (beat_q == 4'(vcrypto_abi::SQE_DST_ADDR_BEAT))    dst_addr_q <= rd_data_i[vcrypto_abi::SQE_DST_ADDR_LSB +: 64];
          if (beat_q == 4'(vcrypto_abi::SQE_DIGEST_ADDR_BEAT)) dig_addr_q <= rd_data_i[vcrypto_abi::SQE_DIGEST_ADDR_LSB +: 64];
          if (beat_q == 4'(vcrypto_abi::SQE_BEATS - 1)) state_q <= F_SQE_CHECK;
        end
        F_SQE_CHECK: begin
          sq_pop_o[q_q] <= 1'b1;
          settle_q <= 2'd3;       // pop -> CSR SQ_HEAD -> stage 1 -> stage 2
          if (rd_err_i) begin
            status_q <= vcrypto_abi::STATUS_ERR; detail_q <= vcrypto_abi::ERROR_DETAIL_AXI_ERROR; cookie_q <= '0;
            abort_q <= 1'b1;
            state_q <= F_FAIL;
          end else if (!(opcode_q == vcrypto_abi::OPCODE_CIPHER || opcode_q == vcrypto_abi::OPCODE_HASH
                         || opcode_q == vcrypto_abi::OPCODE_MAC || opcode_q == vcrypto_abi::OPCODE_CHAIN
                         || opcode_q == vcrypto_abi::OPCODE_AEAD)) begin
            status_q <= vcrypto_abi::STATUS_NOTSUPP; detail_q <= vcrypto_abi::ERROR_DETAIL_BAD_OPCODE;
            abort_q <= 1'b1;
            state_q <= F_FAIL;
          end else if (!in_win(ctx_addr_q, 33'(vcrypto_abi::CTX_BYTES), win_base_i, win_end_q)) begin
            status_q <= vcrypto_abi::STATUS_ERR; detail_q <= vcrypto_abi::ERROR_DETAIL_OUT_OF_WINDOW;
            abort_q <= 1'b1;
            state_q <= F_FAIL;
          end else begin
            state_q <= F_CTX_CMD;
          end
        end
        F_CTX_CMD: if (rd_cmd_ready_i) begin beat_q <= '0; state_q <= F_CTX_DATA; end
        F_CTX_DATA: if (rd_fire) begin
          beat_q <= beat_q + 4'd1;
          if (beat_q == 4'(vcrypto_abi::CTX_CIPHER_ALG_BEAT))  cipher_alg_q <= rd_data_i[vcrypto_abi::CTX_CIPHER_ALG_LSB +: 8];
          if (beat_q == 4'(vcrypto_abi::CTX_CIPHER_DIR_BEAT))  dec_q        <= rd_data_i[vcrypto_abi::CTX_CIPHER_DIR_LSB +: 8] != 8'd0;
          if (beat_q == 4'(vcrypto_abi::CTX_KEY_LEN_BEAT))     key_len_q    <= rd_data_i[vcrypto_abi::CTX_KEY_LEN_LSB +: 8];
          if (beat_q == 4'(vcrypto_abi::CTX_HASH_ALG_BEAT))    hash_alg_q   <= rd_data_i[vcrypto_abi::CTX_HASH_ALG_LSB +: 8];
          if (beat_q == 4'(vcrypto_abi::CTX_DIGEST_LEN_BEAT))  digest_len_q <= rd_data_i[vcrypto_abi::CTX_DIGEST_LEN_LSB +: 8];
          if (beat_q == 4'(vcrypto_abi::CTX_CHAIN_ORDER_BEAT)) chain_q      <= rd_data_i[vcrypto_abi::CTX_CHAIN_ORDER_LSB +: 8];
          if (beat_q == 4'(vcrypto_abi::CTX_BEATS - 1)) state_q <= F_CTX_CHECK;
        end
        F_CTX_CHECK: begin
          if (rd_err_i || chk_fail) begin
            status_q <= rd_err_i ? vcrypto_abi::STATUS_ERR : chk_status;
            detail_q <= rd_err_i ? vcrypto_abi::ERROR_DETAIL_AXI_ERROR : chk_detail;
            abort_q <= 1'b1;
            state_q <= F_FAIL;
          end else begin
            start_q <= 1'b1;
            state_q <= F_IDLE;
          end
        end
        F_FAIL: if (fail_ready_i) state_q <= F_IDLE;
        default: state_q <= F_IDLE;
      endcase
    end
  end

  logic unused;
  assign unused = rd_busy_i;

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_fetch_fv.sv); never synthesised or simulated
  logic [NQ*64-1:0] fv_sqe_addr;
  for (genvar q = 0; q < NQ; q++) begin : g_fv
    assign fv_sqe_addr[q*64 +: 64] = sqe_addr_q[q];
    assign fv_infl_o[q*4 +: 4]     = infl_q[q];
  end
  assign fv_state_o  = state_q;
  assign fv_fields_o = {aad_len_q, opcode_q, src_len_q, src_addr_q, dst_addr_q, dig_addr_q,
                        dec_q, cipher_alg_q, key_len_q, hash_alg_q, digest_len_q, chain_q};
  vcrypto_fetch_fv #(.NQ(NQ), .QW(QW)) u_fv (.*);
`endif

endmodule

`default_nettype wire
