// vcrypto_queue_engine: serves the NQ submission rings with LANES crypto lanes in parallel.
//
//   vcrypto_fetch       round robin over the rings; fetches and checks each submission entry
//                       and its context, streams them into a free lane and starts it (or hands
//                       a failure record to the completion unit)
//   vcrypto_dispatch    which lane takes the next entry; the SCRUB sequence over all lanes
//   vcrypto_lane x L    AES + SHA-2 engines, HMAC finish, chaining fork, own key cache: one
//                       request each, in parallel
//   vcrypto_completion  completion entries (cookie, status, bytes, phase), CQ_TAIL pushes,
//                       interrupts (through the register block), error counters
//
// Completions are posted in the order requests finish (firmware/ABI.md, "Ordering"). Each
// unit has its own DMA client: read client 0 is the fetch, write client 0 the completion unit,
// client 1 + l lane l on both (vcrypto_dma_arb shares the AXI engines between them).
`default_nettype none

module vcrypto_queue_engine
#(
  parameter int NQ    = 4,                 // ring pairs, 1..16
  parameter int LANES = 1                  // crypto lanes, 1..8
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  // ring state (vcrypto_csr)
  input  logic                   cfg_write_i,   // the host writes a register (AW or W valid): ring state may change
  input  logic                   enable_i,
  input  logic [63:0]            win_base_i,
  input  logic [63:0]            win_size_i,
  input  logic [NQ*64-1:0]       sq_base_i,
  input  logic [NQ*4-1:0]        sq_log2_i,
  input  logic [NQ*16-1:0]       sq_head_i,
  input  logic [NQ*16-1:0]       sq_tail_i,
  input  logic [NQ*64-1:0]       cq_base_i,
  input  logic [NQ*4-1:0]        cq_log2_i,
  input  logic [NQ*16-1:0]       cq_head_i,
  input  logic [NQ*16-1:0]       cq_tail_i,
  input  logic [NQ-1:0]          cq_phase_i,
  output logic [NQ-1:0]          sq_pop_o,
  output logic [NQ-1:0]          cq_push_o,
  output logic                   inc_err_axi_o,
  output logic                   inc_err_window_o,
  output logic                   inc_err_notsupp_o,
  output logic                   inc_err_length_o,
  output logic                   idle_o,
  output logic [NQ-1:0]          ring_fault_o,
  // key hygiene: scrub_req_i (level, from the SCRUB register): every lane clears its key cache
  // and has its AES engine wipe its round keys, each after its request in flight;
  // scrub_done_o pulses when all have
  input  logic                   scrub_req_i,
  output logic                   scrub_done_o,
  output logic                   keys_held_o,
  // DMA read clients (vcrypto_dma_arb): 0 the fetch, 1 + l lane l
  output logic [LANES:0]         rc_cmd_valid_o,
  input  logic [LANES:0]         rc_cmd_ready_i,
  output logic [(LANES+1)*64-1:0] rc_cmd_addr_o,
  output logic [(LANES+1)*32-1:0] rc_cmd_len_o,
  input  logic [LANES:0]         rc_busy_i,
  input  logic [LANES:0]         rc_err_i,
  input  logic [LANES:0]         rc_valid_i,
  output logic [LANES:0]         rc_ready_o,
  input  logic [(LANES+1)*128-1:0] rc_data_i,
  // DMA write clients: 0 the completion unit, 1 + l lane l
  output logic [LANES:0]         wc_cmd_valid_o,
  input  logic [LANES:0]         wc_cmd_ready_i,
  output logic [(LANES+1)*64-1:0] wc_cmd_addr_o,
  output logic [(LANES+1)*32-1:0] wc_cmd_len_o,
  input  logic [LANES:0]         wc_busy_i,
  input  logic [LANES:0]         wc_err_i,
  output logic [LANES:0]         wc_valid_o,
  input  logic [LANES:0]         wc_ready_i,
  output logic [(LANES+1)*128-1:0] wc_data_o
);
  localparam int QW = (NQ > 1) ? $clog2(NQ) : 1;
  localparam int LW = (LANES > 1) ? $clog2(LANES) : 1;

  if (NQ < 1 || NQ > 16) begin : g_bad_nq
    $error("vcrypto_queue_engine: NQ must be 1..16");
  end
  if (LANES < 1 || LANES > 8) begin : g_bad_lanes
    $error("vcrypto_queue_engine: LANES must be 1..8");
  end

`ifdef FORMAL
  // the units' state, for the queue-engine proof (rtl/formal/vcrypto_queue_engine_fv.sv)
  logic [2:0]             fv_f_state, fv_c_state;
  logic [NQ*4-1:0]        fv_f_infl;
  logic [296:0]           fv_f_fields;
  logic [LANES*4-1:0]     fv_l_state;
  logic [LANES*297-1:0]   fv_l_fields;
  logic [QW-1:0]          fv_c_q;
  logic                   fv_d_resv;
  logic [LW-1:0]          fv_d_idx;
`endif

  // ---------------------------------------------------------------- fetch
  logic          lane_avail, reserve, ld_sqe, ld_ctx, start, abort;
  logic [3:0]    ld_beat;
  logic [127:0]  ld_data;
  logic [QW-1:0] ld_q;
  logic          fail_valid, fail_ready;
  logic [QW-1:0] fail_q;
  logic [63:0]   fail_cookie;
  logic [7:0]    fail_status, fail_detail;
  logic          fetch_idle, disp_idle, cpl_idle;

  vcrypto_fetch #(.NQ(NQ), .QW(QW)) u_fetch (
    .clk_i, .rst_ni,
    .cfg_write_i, .enable_i, .win_base_i, .win_size_i, .sq_base_i, .sq_log2_i, .sq_head_i, .sq_tail_i,
    .cq_base_i, .cq_log2_i, .cq_head_i, .cq_tail_i,
    .sq_pop_o, .cq_push_i (cq_push_o), .ring_fault_o,
    .lane_avail_i (lane_avail), .reserve_o (reserve),
    .ld_sqe_o (ld_sqe), .ld_ctx_o (ld_ctx), .ld_beat_o (ld_beat), .ld_data_o (ld_data), .ld_q_o (ld_q),
    .start_o (start), .abort_o (abort),
    .fail_valid_o (fail_valid), .fail_ready_i (fail_ready), .fail_q_o (fail_q),
    .fail_cookie_o (fail_cookie), .fail_status_o (fail_status), .fail_detail_o (fail_detail),
    .rd_cmd_valid_o (rc_cmd_valid_o[0]), .rd_cmd_ready_i (rc_cmd_ready_i[0]),
    .rd_cmd_addr_o (rc_cmd_addr_o[0 +: 64]), .rd_cmd_len_o (rc_cmd_len_o[0 +: 32]),
    .rd_busy_i (rc_busy_i[0]), .rd_err_i (rc_err_i[0]),
    .rd_valid_i (rc_valid_i[0]), .rd_ready_o (rc_ready_o[0]), .rd_data_i (rc_data_i[0 +: 128]),
    .idle_o (fetch_idle)
`ifdef FORMAL
    , .fv_state_o (fv_f_state), .fv_infl_o (fv_f_infl), .fv_fields_o (fv_f_fields)
`endif
  );

  // ---------------------------------------------------------------- dispatch
  logic [LANES-1:0] l_ld_sqe, l_ld_ctx, l_start, l_abort, l_wipe, l_idle, l_keys;

  vcrypto_dispatch #(.LANES(LANES), .LW(LW)) u_dispatch (
    .clk_i, .rst_ni,
    .reserve_i (reserve), .ld_sqe_i (ld_sqe), .ld_ctx_i (ld_ctx), .start_i (start), .abort_i (abort),
    .avail_o (lane_avail),
    .ld_sqe_o (l_ld_sqe), .ld_ctx_o (l_ld_ctx), .start_o (l_start), .abort_o (l_abort), .wipe_o (l_wipe),
    .lane_idle_i (l_idle),
    .scrub_req_i, .scrub_done_o, .idle_o (disp_idle)
`ifdef FORMAL
    , .fv_resv_o (fv_d_resv), .fv_idx_o (fv_d_idx)
`endif
  );

  // ---------------------------------------------------------------- lanes
  // completion record sources: 0 the fetch's failures, 1 + l lane l
  logic [LANES:0]          src_valid, src_ready;
  logic [(LANES+1)*QW-1:0] src_q;
  logic [(LANES+1)*64-1:0] src_cookie;
  logic [(LANES+1)*8-1:0]  src_status, src_detail;
  logic [(LANES+1)*32-1:0] src_bytes;

  assign src_valid[0]          = fail_valid;
  assign fail_ready            = src_ready[0];
  assign src_q[0 +: QW]        = fail_q;
  assign src_cookie[0 +: 64]   = fail_cookie;
  assign src_status[0 +: 8]    = fail_status;
  assign src_detail[0 +: 8]    = fail_detail;
  assign src_bytes[0 +: 32]    = '0;

  for (genvar l = 0; l < LANES; l++) begin : g_lane
    localparam int C = l + 1;              // its DMA clients and completion source
    vcrypto_lane #(.QW(QW)) u_lane (
      .clk_i, .rst_ni,
      .ld_sqe_i (l_ld_sqe[l]), .ld_ctx_i (l_ld_ctx[l]), .ld_beat_i (ld_beat), .ld_data_i (ld_data),
      .ld_q_i (ld_q), .start_i (l_start[l]), .abort_i (l_abort[l]), .wipe_i (l_wipe[l]),
      .idle_o (l_idle[l]), .keys_held_o (l_keys[l]),
      .rd_cmd_valid_o (rc_cmd_valid_o[C]), .rd_cmd_ready_i (rc_cmd_ready_i[C]),
      .rd_cmd_addr_o (rc_cmd_addr_o[C*64 +: 64]), .rd_cmd_len_o (rc_cmd_len_o[C*32 +: 32]),
      .rd_busy_i (rc_busy_i[C]), .rd_err_i (rc_err_i[C]),
      .rd_valid_i (rc_valid_i[C]), .rd_ready_o (rc_ready_o[C]), .rd_data_i (rc_data_i[C*128 +: 128]),
      .wr_cmd_valid_o (wc_cmd_valid_o[C]), .wr_cmd_ready_i (wc_cmd_ready_i[C]),
      .wr_cmd_addr_o (wc_cmd_addr_o[C*64 +: 64]), .wr_cmd_len_o (wc_cmd_len_o[C*32 +: 32]),
      .wr_busy_i (wc_busy_i[C]), .wr_err_i (wc_err_i[C]),
      .wr_valid_o (wc_valid_o[C]), .wr_ready_i (wc_ready_i[C]), .wr_data_o (wc_data_o[C*128 +: 128]),
      .res_valid_o (src_valid[C]), .res_ready_i (src_ready[C]), .res_q_o (src_q[C*QW +: QW]),
      .res_cookie_o (src_cookie[C*64 +: 64]), .res_status_o (src_status[C*8 +: 8]),
      .res_detail_o (src_detail[C*8 +: 8]), .res_bytes_o (src_bytes[C*32 +: 32])
`ifdef FORMAL
      , .fv_state_o (fv_l_state[l*4 +: 4]), .fv_fields_o (fv_l_fields[l*297 +: 297])
`endif
    );
  end

  // ---------------------------------------------------------------- completion
  vcrypto_completion #(.NQ(NQ), .QW(QW), .NS(LANES + 1)) u_completion (
    .clk_i, .rst_ni,
    .cq_base_i, .cq_tail_i, .cq_phase_i, .cq_push_o,
    .inc_err_axi_o, .inc_err_window_o, .inc_err_notsupp_o, .inc_err_length_o,
    .src_valid_i (src_valid), .src_ready_o (src_ready), .src_q_i (src_q), .src_cookie_i (src_cookie),
    .src_status_i (src_status), .src_detail_i (src_detail), .src_bytes_i (src_bytes),
    .wr_cmd_valid_o (wc_cmd_valid_o[0]), .wr_cmd_ready_i (wc_cmd_ready_i[0]),
    .wr_cmd_addr_o (wc_cmd_addr_o[0 +: 64]), .wr_cmd_len_o (wc_cmd_len_o[0 +: 32]),
    .wr_busy_i (wc_busy_i[0]), .wr_err_i (wc_err_i[0]),
    .wr_valid_o (wc_valid_o[0]), .wr_ready_i (wc_ready_i[0]), .wr_data_o (wc_data_o[0 +: 128]),
    .idle_o (cpl_idle)
`ifdef FORMAL
    , .fv_state_o (fv_c_state), .fv_q_o (fv_c_q)
`endif
  );

  assign idle_o      = fetch_idle && disp_idle && cpl_idle && l_idle == '1 && rc_busy_i == '0 && wc_busy_i == '0;
  assign keys_held_o = l_keys != '0;

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_queue_engine_fv.sv); never synthesised or simulated
  vcrypto_queue_engine_fv #(.NQ(NQ), .LANES(LANES)) u_fv (.*);
`endif

endmodule

`default_nettype wire
