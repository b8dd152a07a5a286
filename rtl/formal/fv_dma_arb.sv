// Harness of the dma_arb proof: vcrypto_dma_arb with two read and two write clients, 2-beat
// chunks and FIFOs of 4 beats (client 0: 2), the AXI engines abstracted (fv_dma_stubs.sv,
// their contract assumed in vcrypto_dma_arb_fv.sv). Every client input is chosen by the
// solver each clock: commands (any address and length), stream readiness, write data.
// The parameters keep the counters small; nothing in the arbiter depends on their values
// beyond the FIFO depth >= chunk beats the module checks at elaboration.
`default_nettype none

module fv_dma_arb (
  input  logic         clk_i,
  input  logic [1:0]   rc_cmd_valid_i,
  input  logic [127:0] rc_cmd_addr_i,
  input  logic [63:0]  rc_cmd_len_i,
  input  logic [1:0]   rc_ready_i,
  input  logic [1:0]   wc_cmd_valid_i,
  input  logic [127:0] wc_cmd_addr_i,
  input  logic [63:0]  wc_cmd_len_i,
  input  logic [1:0]   wc_valid_i,
  input  logic [255:0] wc_data_i,
  input  logic         m_axi_arready,
  input  logic         m_axi_rid,
  input  logic         m_axi_rvalid,
  input  logic [127:0] m_axi_rdata,
  input  logic [1:0]   m_axi_rresp,
  input  logic         m_axi_rlast,
  input  logic         m_axi_awready,
  input  logic         m_axi_wready,
  input  logic         m_axi_bid,
  input  logic         m_axi_bvalid,
  input  logic [1:0]   m_axi_bresp
);
  reg f_init = 1'b1;
  always @(posedge clk_i) f_init <= 1'b0;
  wire rst_ni = !f_init;

  logic [1:0]   rc_cmd_ready_o, rc_busy_o, rc_err_o, rc_valid_o, wc_cmd_ready_o, wc_busy_o, wc_err_o, wc_ready_o;
  logic [255:0] rc_data_o;
  logic         idle_o, m_axi_arid, m_axi_arvalid, m_axi_rready, m_axi_awid, m_axi_awvalid, m_axi_wvalid,
                m_axi_wlast, m_axi_bready;
  logic [63:0]  m_axi_araddr, m_axi_awaddr;
  logic [7:0]   m_axi_arlen, m_axi_awlen;
  logic [2:0]   m_axi_arsize, m_axi_awsize;
  logic [1:0]   m_axi_arburst, m_axi_awburst;
  logic [127:0] m_axi_wdata;
  logic [15:0]  m_axi_wstrb;

  vcrypto_dma_arb #(.NRC(2), .NWC(2), .FD(4), .FD0(2), .CHUNK_BEATS(2)) u_arb (.*);

  logic unused;
  assign unused = ^{rc_cmd_ready_o, rc_busy_o, rc_err_o, rc_valid_o, wc_cmd_ready_o, wc_busy_o, wc_err_o,
                    wc_ready_o, rc_data_o, idle_o, m_axi_arid, m_axi_arvalid, m_axi_rready, m_axi_awid,
                    m_axi_awvalid, m_axi_wvalid, m_axi_wlast, m_axi_bready, m_axi_araddr, m_axi_awaddr,
                    m_axi_arlen, m_axi_awlen, m_axi_arsize, m_axi_awsize, m_axi_arburst, m_axi_awburst,
                    m_axi_wdata, m_axi_wstrb};
endmodule

`default_nettype wire
