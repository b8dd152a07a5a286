// vcrypto_top: the accelerator as it would sit on a card behind a PCIe shell (XDMA/QDMA
// style): an AXI4-Lite slave for its registers, an AXI4 master (128-bit) for DMA into host
// memory, and an interrupt line. Rings, contexts and data live in host memory; see
// firmware/ABI.md for the register map and the entry formats. LANES crypto lanes serve
// requests in parallel (rtl/README.md).
`default_nettype none

module vcrypto_top
#(
  parameter int NQ    = 4,      // ring pairs: the register map's (firmware/abi.toml num_queues)
  parameter int LANES = 1       // crypto lanes, 1..8
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  // AXI4-Lite slave (registers)
  input  logic         s_axil_awvalid,
  output logic         s_axil_awready,
  input  logic [11:0]  s_axil_awaddr,
  input  logic         s_axil_wvalid,
  output logic         s_axil_wready,
  input  logic [31:0]  s_axil_wdata,
  input  logic [3:0]   s_axil_wstrb,
  output logic         s_axil_bvalid,
  input  logic         s_axil_bready,
  output logic [1:0]   s_axil_bresp,
  input  logic         s_axil_arvalid,
  output logic         s_axil_arready,
  input  logic [11:0]  s_axil_araddr,
  output logic         s_axil_rvalid,
  input  logic         s_axil_rready,
  output logic [31:0]  s_axil_rdata,
  output logic [1:0]   s_axil_rresp,
  // AXI4 master (DMA)
  output logic         m_axi_arid,       // single ID: every response returns in order
  output logic         m_axi_arvalid,
  input  logic         m_axi_arready,
  output logic [63:0]  m_axi_araddr,
  output logic [7:0]   m_axi_arlen,
  output logic [2:0]   m_axi_arsize,
  output logic [1:0]   m_axi_arburst,
  input  logic         m_axi_rid,
  input  logic         m_axi_rvalid,
  output logic         m_axi_rready,
  input  logic [127:0] m_axi_rdata,
  input  logic [1:0]   m_axi_rresp,
  input  logic         m_axi_rlast,
  output logic         m_axi_awid,
  output logic         m_axi_awvalid,
  input  logic         m_axi_awready,
  output logic [63:0]  m_axi_awaddr,
  output logic [7:0]   m_axi_awlen,
  output logic [2:0]   m_axi_awsize,
  output logic [1:0]   m_axi_awburst,
  output logic         m_axi_wvalid,
  input  logic         m_axi_wready,
  output logic [127:0] m_axi_wdata,
  output logic [15:0]  m_axi_wstrb,
  output logic         m_axi_wlast,
  input  logic         m_axi_bid,
  input  logic         m_axi_bvalid,
  output logic         m_axi_bready,
  input  logic [1:0]   m_axi_bresp,
  // interrupt: level, high while an unmasked INT_STATUS bit is set
  output logic         irq_o,
  // high while a request is in flight (what STATUS.IDLE reports, as a pin for the shell)
  output logic         busy_o
);


  logic            enable;
  logic [63:0]     win_base, win_size;
  logic [NQ*64-1:0] sq_base, cq_base;
  logic [NQ*4-1:0]  sq_log2, cq_log2;
  logic [NQ*16-1:0] sq_head, sq_tail, cq_head, cq_tail;
  logic [NQ-1:0]    cq_phase, sq_pop, cq_push, ring_fault;
  logic            inc_err_axi, inc_err_window, inc_err_notsupp, inc_err_length, engine_idle;
  logic            scrub_req, scrub_done, keys_held;

  if (32'(NQ) != vcrypto_abi::DEV_NUM_QUEUES) begin : g_bad_nq
    $error("vcrypto_top: NQ must equal the register map's queues (firmware/abi.toml num_queues)");
  end

  // DMA clients: read 0 the fetch, write 0 the completion unit, 1 + l lane l on both
  localparam int NC = LANES + 1;
  logic [NC-1:0]     rc_cmd_valid, rc_cmd_ready, rc_busy, rc_err, rc_valid, rc_ready;
  logic [NC*64-1:0]  rc_cmd_addr;
  logic [NC*32-1:0]  rc_cmd_len;
  logic [NC*128-1:0] rc_data;
  logic [NC-1:0]     wc_cmd_valid, wc_cmd_ready, wc_busy, wc_err, wc_valid, wc_ready;
  logic [NC*64-1:0]  wc_cmd_addr;
  logic [NC*32-1:0]  wc_cmd_len;
  logic [NC*128-1:0] wc_data;
  logic              dma_idle;

  vcrypto_csr #(.NQ(NQ)) u_csr (
    .clk_i, .rst_ni,
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
    .engine_idle_i (engine_idle), .ring_fault_i (ring_fault), .irq_o,
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

  // one AXI read and one AXI write engine, shared by the clients in chunks (round robin)
  vcrypto_dma_arb #(.NRC(NC), .NWC(NC)) u_dma (
    .clk_i, .rst_ni,
    .rc_cmd_valid_i (rc_cmd_valid), .rc_cmd_ready_o (rc_cmd_ready), .rc_cmd_addr_i (rc_cmd_addr),
    .rc_cmd_len_i (rc_cmd_len), .rc_busy_o (rc_busy), .rc_err_o (rc_err),
    .rc_valid_o (rc_valid), .rc_ready_i (rc_ready), .rc_data_o (rc_data),
    .wc_cmd_valid_i (wc_cmd_valid), .wc_cmd_ready_o (wc_cmd_ready), .wc_cmd_addr_i (wc_cmd_addr),
    .wc_cmd_len_i (wc_cmd_len), .wc_busy_o (wc_busy), .wc_err_o (wc_err),
    .wc_valid_i (wc_valid), .wc_ready_o (wc_ready), .wc_data_i (wc_data),
    .idle_o (dma_idle),
    .m_axi_arid, .m_axi_arvalid, .m_axi_arready, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize, .m_axi_arburst,
    .m_axi_rid, .m_axi_rvalid, .m_axi_rready, .m_axi_rdata, .m_axi_rresp, .m_axi_rlast,
    .m_axi_awid, .m_axi_awvalid, .m_axi_awready, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize, .m_axi_awburst,
    .m_axi_wvalid, .m_axi_wready, .m_axi_wdata, .m_axi_wstrb, .m_axi_wlast,
    .m_axi_bid, .m_axi_bvalid, .m_axi_bready, .m_axi_bresp
  );

  assign busy_o     = !(engine_idle && dma_idle);

endmodule

`default_nettype wire
