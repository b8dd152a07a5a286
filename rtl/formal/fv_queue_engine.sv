// Harness of the queue-engine proofs: the real register file (vcrypto_csr) in front of the
// real vcrypto_queue_engine with NQ = 4 rings and LANES = 2 lanes (fetch, dispatch, two
// vcrypto_lane with their vcrypto_sha_pad, completion), as in vcrypto_top; the crypto engines
// are the abstract ones of fv_engine_stubs.sv and the shared DMA (vcrypto_dma_arb) is left
// out: every client port is a free input constrained by the client contract (in
// vcrypto_queue_engine_fv.sv, proved on the arbiter by the dma_arb job). Every input of this
// module is chosen by the solver each clock: host register accesses, DMA timing, every word
// read from host memory (submission entries, contexts), engine timing.
//
// The host (driver) is assumed to follow the ABI:
//   H1  the DMA window and the rings' bases and sizes are programmed before the engine runs
//       and not changed afterwards (bridge/accel_client.py programs them once, before
//       CTRL.ENABLE); here they are whatever the arbitrary initial register state holds;
//   H2  it moves CQ_HEAD only forward over completions the device has posted
//       (new head in [head, tail] on the ring), i.e. it consumes, never un-consumes.
// SQ_TAIL doorbells, CTRL.ENABLE, INT_* and reads are unconstrained.
`default_nettype none

module fv_queue_engine (
  input  logic         clk_i,
  // AXI4-Lite (host)
  input  logic         s_axil_awvalid,
  input  logic [11:0]  s_axil_awaddr,
  input  logic         s_axil_wvalid,
  input  logic [31:0]  s_axil_wdata,
  input  logic [3:0]   s_axil_wstrb,
  input  logic         s_axil_bready,
  input  logic         s_axil_arvalid,
  input  logic [11:0]  s_axil_araddr,
  input  logic         s_axil_rready,
  // the DMA clients' side (vcrypto_dma_arb): read 0 the fetch, write 0 the completion unit,
  // 1 + l lane l
  input  logic [2:0]   rc_cmd_ready,
  input  logic [2:0]   rc_busy,
  input  logic [2:0]   rc_err,
  input  logic [2:0]   rc_valid,
  input  logic [383:0] rc_data,
  input  logic [2:0]   wc_cmd_ready,
  input  logic [2:0]   wc_busy,
  input  logic [2:0]   wc_err,
  input  logic [2:0]   wc_ready
);
  localparam int NQ = 4;
  localparam int LANES = 2;
  localparam int NC = LANES + 1;

  // reset once, at the start
  reg f_init = 1'b1;
  always @(posedge clk_i) f_init <= 1'b0;
  wire rst_ni = !f_init;

  logic            s_axil_awready, s_axil_wready, s_axil_bvalid, s_axil_arready, s_axil_rvalid;
  logic [1:0]      s_axil_bresp, s_axil_rresp;
  logic [31:0]     s_axil_rdata;
  logic            enable;
  logic [63:0]     win_base, win_size;
  logic [NQ*64-1:0] sq_base, cq_base;
  logic [NQ*4-1:0]  sq_log2, cq_log2;
  logic [NQ*16-1:0] sq_head, sq_tail, cq_head, cq_tail;
  logic [NQ-1:0]    cq_phase, sq_pop, cq_push, ring_fault;
  logic            inc_err_axi, inc_err_window, inc_err_notsupp, inc_err_length, engine_idle, irq;
  logic            scrub_req, scrub_done, keys_held;
  logic [NC-1:0]     rc_cmd_valid, rc_ready, wc_cmd_valid, wc_valid;
  logic [NC*64-1:0]  rc_cmd_addr, wc_cmd_addr;
  logic [NC*32-1:0]  rc_cmd_len, wc_cmd_len;
  logic [NC*128-1:0] wc_data;

  // The register file is not reset: it starts in any state whose ring indices are in range
  // (below). That includes the reset state and every configuration a host could have
  // programmed before the engine starts, so the engine meets its first request within a few
  // clocks instead of after a dozen AXI4-Lite writes (a sound over-approximation).
  vcrypto_csr #(.NQ(NQ)) u_csr (
    .clk_i, .rst_ni (1'b1),
    .s_axil_awvalid, .s_axil_awready, .s_axil_awaddr, .s_axil_wvalid, .s_axil_wready,
    .s_axil_wdata, .s_axil_wstrb, .s_axil_bvalid, .s_axil_bready, .s_axil_bresp,
    .s_axil_arvalid, .s_axil_arready, .s_axil_araddr, .s_axil_rvalid, .s_axil_rready,
    .s_axil_rdata, .s_axil_rresp,
    .enable_o (enable), .win_base_o (win_base), .win_size_o (win_size),
    .sq_base_o (sq_base), .sq_log2_o (sq_log2), .sq_head_o (sq_head), .sq_tail_o (sq_tail),
    .cq_base_o (cq_base), .cq_log2_o (cq_log2), .cq_head_o (cq_head), .cq_tail_o (cq_tail),
    .cq_phase_o (cq_phase), .sq_pop_i (sq_pop), .cq_push_i (cq_push),
    .inc_err_axi_i (inc_err_axi), .inc_err_window_i (inc_err_window),
    .inc_err_notsupp_i (inc_err_notsupp), .inc_err_length_i (inc_err_length),
    .engine_idle_i (engine_idle), .ring_fault_i (ring_fault), .irq_o (irq),
    .scrub_req_o (scrub_req), .scrub_done_i (scrub_done), .keys_held_i (keys_held)
  );

  vcrypto_queue_engine #(.NQ(NQ), .LANES(LANES)) u_engine (
    .clk_i, .rst_ni,
    .cfg_write_i (s_axil_awvalid | s_axil_wvalid),
    .enable_i (enable), .win_base_i (win_base), .win_size_i (win_size),
    .sq_base_i (sq_base), .sq_log2_i (sq_log2), .sq_head_i (sq_head), .sq_tail_i (sq_tail),
    .cq_base_i (cq_base), .cq_log2_i (cq_log2), .cq_head_i (cq_head), .cq_tail_i (cq_tail),
    .cq_phase_i (cq_phase), .sq_pop_o (sq_pop), .cq_push_o (cq_push),
    .inc_err_axi_o (inc_err_axi), .inc_err_window_o (inc_err_window),
    .inc_err_notsupp_o (inc_err_notsupp), .inc_err_length_o (inc_err_length),
    .idle_o (engine_idle), .ring_fault_o (ring_fault),
    .scrub_req_i (scrub_req), .scrub_done_o (scrub_done), .keys_held_o (keys_held),
    .rc_cmd_valid_o (rc_cmd_valid), .rc_cmd_ready_i (rc_cmd_ready), .rc_cmd_addr_o (rc_cmd_addr),
    .rc_cmd_len_o (rc_cmd_len), .rc_busy_i (rc_busy), .rc_err_i (rc_err),
    .rc_valid_i (rc_valid), .rc_ready_o (rc_ready), .rc_data_i (rc_data),
    .wc_cmd_valid_o (wc_cmd_valid), .wc_cmd_ready_i (wc_cmd_ready), .wc_cmd_addr_o (wc_cmd_addr),
    .wc_cmd_len_o (wc_cmd_len), .wc_busy_i (wc_busy), .wc_err_i (wc_err),
    .wc_valid_o (wc_valid), .wc_ready_i (wc_ready), .wc_data_o (wc_data)
  );

  // initial register state: ring sizes and indices in range (and so they stay: the CSR job
  // proves it for any host, here it is re-checked as a lemma for the induction)
  for (genvar q = 0; q < NQ; q++) begin : g_init
    wire [3:0]  sl = sq_log2[q*4 +: 4], cl = cq_log2[q*4 +: 4];
    wire [15:0] sm = 16'((17'd1 << sl) - 17'd1), cm = 16'((17'd1 << cl) - 17'd1);
    wire in_range = sl <= 4'd12 && cl <= 4'd12 && (sq_head[q*16 +: 16] & ~sm) == '0 && (sq_tail[q*16 +: 16] & ~sm) == '0
                    && (cq_head[q*16 +: 16] & ~cm) == '0 && (cq_tail[q*16 +: 16] & ~cm) == '0;
    always @(*) if (f_init) assume (in_range); else assert (in_range);
  end

  // ------------------------------------------------------------------ host assumptions
  wire        host_wr = s_axil_awvalid && s_axil_awready;
  wire [11:0] wa      = {s_axil_awaddr[11:2], 2'b00};
  wire        q_hit = wa >= vcrypto_abi::CSR_QUEUE_BASE
                      && wa < vcrypto_abi::CSR_QUEUE_BASE + 12'(NQ) * vcrypto_abi::CSR_QUEUE_STRIDE;
  wire [1:0]  wq    = 2'((wa - vcrypto_abi::CSR_QUEUE_BASE) >> 6);
  wire [5:0]  wreg  = wa[5:0];
  wire        cfg_wr = host_wr && (
                  wa == vcrypto_abi::CSR_WIN_BASE_LO || wa == vcrypto_abi::CSR_WIN_BASE_HI
               || wa == vcrypto_abi::CSR_WIN_SIZE_LO || wa == vcrypto_abi::CSR_WIN_SIZE_HI
               || (q_hit && (wreg == vcrypto_abi::QCSR_SQ_BASE_LO || wreg == vcrypto_abi::QCSR_SQ_BASE_HI
                          || wreg == vcrypto_abi::QCSR_SQ_SIZE_LOG2 || wreg == vcrypto_abi::QCSR_CQ_BASE_LO
                          || wreg == vcrypto_abi::QCSR_CQ_BASE_HI || wreg == vcrypto_abi::QCSR_CQ_SIZE_LOG2)));
  // H1: the DMA window and the rings' bases and sizes are those of the (arbitrary) initial
  // state and never rewritten, every ring FV_RING_LOG2 (default 2, 4 entries) deep: the ring
  // index arithmetic is then of constant width, which keeps the proofs within minutes.
`ifndef FV_RING_LOG2
`define FV_RING_LOG2 2
`endif
  always @(*) assume (!cfg_wr && sq_log2 == {NQ{4'(`FV_RING_LOG2)}} && cq_log2 == {NQ{4'(`FV_RING_LOG2)}});
  // ... and where the writes land: the generated AXI4-Lite slave may hold an address it took
  // before the window of an induction step, so H1 is also stated on the registers themselves.
  reg f_h1 = 1'b0;
  always @(posedge clk_i) f_h1 <= 1'b1;
  always @(posedge clk_i) if (f_h1) assume ($stable(win_base) && $stable(win_size) && $stable(sq_base) && $stable(cq_base));
  // H2 is assumed in vcrypto_csr_fv.sv (FV_QE), at the CQ_HEAD register write itself: the
  // generated AXI4-Lite slave takes AW and W in separate clocks, so the write data is known there.

  logic unused;
  assign unused = ^{s_axil_bresp, s_axil_rresp, s_axil_rdata, s_axil_wready, s_axil_bvalid, s_axil_arready,
                    s_axil_rvalid, cq_phase, ring_fault, inc_err_axi, inc_err_window, inc_err_notsupp,
                    inc_err_length, irq, rc_cmd_valid, rc_ready, rc_cmd_addr, rc_cmd_len, wc_cmd_valid,
                    wc_valid, wc_cmd_addr, wc_cmd_len, wc_data, engine_idle, keys_held, scrub_done};
endmodule

`default_nettype wire
