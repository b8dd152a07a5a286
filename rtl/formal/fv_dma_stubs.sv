// The AXI DMA engines for the dma_arb proof (dma_arb.sby): same module names and ports as
// rtl/top/vcrypto_dma_rd.sv / vcrypto_dma_wr.sv, every output a free input of the proof. The
// contract the dma_rd / dma_wr jobs prove on the real engines is assumed on these outputs by
// the arbiter's checker (vcrypto_dma_arb_fv.sv):
//   read:  a command is taken only when idle (cmd_ready_o == !busy_o); busy exactly while
//          output beats are owed, one per 16 bytes of the command; out_last on the last one;
//   write: a command is taken only when idle; it takes at most one input beat per 16 bytes
//          and only while it owes some, stays busy while it owes beats (and may stay busy
//          longer: write responses), becomes busy only by a command of a non-zero length.
// Data, error flags and timing are otherwise arbitrary; the AXI side is left unconnected.
`default_nettype none

module vcrypto_dma_rd (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         cmd_valid_i,
  output logic         cmd_ready_o,
  input  logic [63:0]  cmd_addr_i,
  input  logic [31:0]  cmd_len_i,
  output logic         busy_o,
  output logic         err_o,
  output logic         out_valid_o,
  input  logic         out_ready_i,
  output logic [127:0] out_data_o,
  output logic [4:0]   out_bytes_o,
  output logic         out_last_o,
  output logic         m_axi_arvalid,
  input  logic         m_axi_arready,
  output logic [63:0]  m_axi_araddr,
  output logic [7:0]   m_axi_arlen,
  output logic [2:0]   m_axi_arsize,
  output logic [1:0]   m_axi_arburst,
  input  logic         m_axi_rvalid,
  output logic         m_axi_rready,
  input  logic [127:0] m_axi_rdata,
  input  logic [1:0]   m_axi_rresp,
  input  logic         m_axi_rlast
);
  (* anyseq *) logic         a_ready, a_busy, a_err, a_valid, a_last;
  (* anyseq *) logic [127:0] a_data;
  (* anyseq *) logic [4:0]   a_bytes;
  assign cmd_ready_o = a_ready;
  assign busy_o      = a_busy;
  assign err_o       = a_err;
  assign out_valid_o = a_valid;
  assign out_data_o  = a_data;
  assign out_bytes_o = a_bytes;
  assign out_last_o  = a_last;
  assign m_axi_arvalid = 1'b0;
  assign m_axi_araddr  = '0;
  assign m_axi_arlen   = '0;
  assign m_axi_arsize  = '0;
  assign m_axi_arburst = '0;
  assign m_axi_rready  = 1'b0;
  logic unused;
  assign unused = ^{cmd_valid_i, cmd_addr_i, cmd_len_i, out_ready_i, m_axi_arready, m_axi_rvalid, m_axi_rdata,
                    m_axi_rresp, m_axi_rlast};
endmodule

module vcrypto_dma_wr (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         cmd_valid_i,
  output logic         cmd_ready_o,
  input  logic [63:0]  cmd_addr_i,
  input  logic [31:0]  cmd_len_i,
  output logic         busy_o,
  output logic         err_o,
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
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
  input  logic         m_axi_bvalid,
  output logic         m_axi_bready,
  input  logic [1:0]   m_axi_bresp
);
  (* anyseq *) logic a_ready, a_busy, a_err, a_in_ready;
  assign cmd_ready_o = a_ready;
  assign busy_o      = a_busy;
  assign err_o       = a_err;
  assign in_ready_o  = a_in_ready;
  assign m_axi_awvalid = 1'b0;
  assign m_axi_awaddr  = '0;
  assign m_axi_awlen   = '0;
  assign m_axi_awsize  = '0;
  assign m_axi_awburst = '0;
  assign m_axi_wvalid  = 1'b0;
  assign m_axi_wdata   = '0;
  assign m_axi_wstrb   = '0;
  assign m_axi_wlast   = 1'b0;
  assign m_axi_bready  = 1'b0;
  logic unused;
  assign unused = ^{cmd_valid_i, cmd_addr_i, cmd_len_i, in_valid_i, in_data_i, m_axi_awready, m_axi_wready,
                    m_axi_bvalid, m_axi_bresp};
endmodule

`default_nettype wire
