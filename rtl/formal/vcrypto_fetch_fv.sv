// Unit-local invariants of vcrypto_fetch for the queue-engine jobs (FV_QE): the registered ring
// arbitration (slot addresses, "has work and room", the window checks) against the register
// block's current values, the completion-slot reservation, the fetch's own DMA commands.
// Bound into the DUT by the `ifdef FORMAL` instance at the end of rtl/top/vcrypto_fetch.sv
// (ports by name, .*). The system properties: vcrypto_queue_engine_fv.sv.
`default_nettype none

module vcrypto_fetch_fv #(
  parameter int NQ = 4,
  parameter int QW = 2
) (
  input logic             clk_i,
  input logic             rst_ni,
  input logic [63:0]      win_base_i,
  input logic [63:0]      win_size_i,
  input logic [NQ*64-1:0] sq_base_i,
  input logic [NQ*4-1:0]  sq_log2_i,
  input logic [NQ*16-1:0] sq_head_i,
  input logic [NQ*64-1:0] cq_base_i,
  input logic [NQ*4-1:0]  cq_log2_i,
  input logic [NQ*16-1:0] cq_head_i,
  input logic [NQ*16-1:0] cq_tail_i,
  input logic [NQ-1:0]    sq_pop_o,
  input logic             rd_cmd_valid_o,
  input logic             rd_cmd_ready_i,
  input logic [63:0]      rd_cmd_addr_o,
  input logic [31:0]      rd_cmd_len_o,
  // internal state
  input logic [2:0]       state_q,
  input logic [QW-1:0]    q_q,
  input logic [QW-1:0]    pick,
  input logic             take,
  input logic [1:0]       settle_q,
  input logic [NQ-1:0]    pending_q,
  input logic [NQ-1:0]    eligible_q,
  input logic [NQ-1:0]    cq_ok_q,
  input logic [64:0]      win_end_q,
  input logic [63:0]      ctx_addr_q,
  input logic [NQ*64-1:0] fv_sqe_addr,
  input logic [NQ*4-1:0]  fv_infl_o
);
`ifdef FV_QE
  localparam logic [2:0] F_IDLE = 3'd0, F_SQE_CMD = 3'd1, F_SQE_DATA = 3'd2, F_SQE_CHECK = 3'd3,
                         F_CTX_CMD = 3'd4, F_FAIL = 3'd7;

  reg f_past = 1'b0, f_past2 = 1'b0, f_past3 = 1'b0;   // one / two / three clocks after reset
  always @(posedge clk_i) begin
    f_past  <= rst_ni;
    f_past2 <= f_past;
    f_past3 <= f_past2;
  end
  // a take of queue q one / two clocks ago (the arbiter's registered stages lag behind it)
  reg [NQ-1:0] took1, took2;
  always @(posedge clk_i) begin
    took1 <= '0;
    if (rst_ni && take) took1[pick] <= 1'b1;
    took2 <= rst_ni ? took1 : '0;
  end

  function automatic [15:0] rmask(input [3:0] l2);
    rmask = 16'((17'd1 << l2) - 17'd1);
  endfunction
  wire [64:0] w_lo = {1'b0, win_base_i};
  wire [64:0] w_sum = {1'b0, win_base_i} + {1'b0, win_size_i};
  wire [64:0] w_hi = w_sum[64] ? {1'b1, 64'd0} : w_sum;    // the window, cut at the top of the address space
  function automatic in_w(input [63:0] a, input [32:0] n, input [64:0] lo, input [64:0] hi);
    in_w = ({1'b0, a} >= lo) && ({1'b0, a} + {32'd0, n} <= hi);
  endfunction

  // the clocks right after reset hold the reset state (the ghost clock counters are consistent)
  always @(*) if (rst_ni)
    l_fstart: assert ((!f_past3 || f_past2) && (!f_past2 || f_past) && (f_past || (pending_q == '0 && win_end_q == '0))
                      && (f_past2 || cq_ok_q == '0)
                      && (f_past3 || (state_q == F_IDLE && eligible_q == '0 && fv_infl_o == '0 && settle_q == '0
                                      && sq_pop_o == '0 && took1 == '0 && took2 == '0)));

  always @(*) if (rst_ni && f_past) begin
    l_fstate: assert (state_q <= F_FAIL);
    if (took1 != '0) l_took1: assert (state_q == F_SQE_CMD && took1 == (NQ'(1) << q_q));
    if (took2 != '0) l_took2: assert ((state_q == F_SQE_CMD || state_q == F_SQE_DATA) && took2 == (NQ'(1) << q_q));
    if (state_q == F_SQE_CMD || state_q == F_SQE_DATA) l_settled: assert (settle_q == 2'd0);
    if (sq_pop_o != '0) l_popped: assert (sq_pop_o == (NQ'(1) << q_q) && state_q != F_IDLE && state_q != F_SQE_CMD
                                          && state_q != F_SQE_DATA && state_q != F_SQE_CHECK);
    l_win_end: assert (win_end_q == w_hi);
  end

  for (genvar q = 0; q < NQ; q++) begin : g_arb
    wire [15:0] m      = rmask(cq_log2_i[q*4 +: 4]);
    wire [15:0] cfree  = (cq_head_i[q*16 +: 16] - cq_tail_i[q*16 +: 16] - 16'd1) & m;
    wire [3:0]  infl   = fv_infl_o[q*4 +: 4];
    wire [63:0] sq_slot = sq_base_i[q*64 +: 64] + {42'd0, sq_head_i[q*16 +: 16], 6'd0};
    wire [63:0] sqa    = fv_sqe_addr[q*64 +: 64];
    always @(*) if (rst_ni && f_past2) begin
      // stage 1 is current except for two clocks after this queue's pop (settle_q covers them)
      if (settle_q <= 2'd1) assert (sqa == sq_slot);   // l_sqe_addr
      // "room" is current except right after a take of this queue
      if (pending_q[q] && !took1[q]) assert (cfree > {12'd0, infl});   // l_pend_room
      if (eligible_q[q] && !took1[q] && !took2[q]) assert (cfree > {12'd0, infl});   // l_elig_room
      if (eligible_q[q]) assert (cq_ok_q[q]);   // l_elig_ok
      if (f_past3) assert (cq_ok_q[q] == in_w(cq_base_i[q*64 +: 64], 33'(17'd16 << cq_log2_i[q*4 +: 4]), w_lo, w_hi));   // l_cq_ok
`ifdef FV_QE_WIN_A
      if (eligible_q[q] && settle_q == 2'd0) assert (in_w(sqa, 33'd64, w_lo, w_hi));   // l_elig_win
`endif
    end
  end

  always @(*) if (rst_ni && f_past2) begin
    if (state_q == F_SQE_CMD)
      l_sqe: assert (fv_sqe_addr[q_q*64 +: 64] == sq_base_i[q_q*64 +: 64] + {42'd0, sq_head_i[q_q*16 +: 16], 6'd0});
    // the submission entry is read from SQ_HEAD's slot of the queue taken
    if (rd_cmd_valid_o && rd_cmd_ready_i && state_q == F_SQE_CMD)
      fetch_slot: assert (rd_cmd_addr_o == sq_base_i[q_q*64 +: 64] + {42'd0, sq_head_i[q_q*16 +: 16], 6'd0}
                          && rd_cmd_len_o == 32'd64);
`ifdef FV_QE_WIN_A
    if (state_q == F_SQE_CMD) l_sqe_win: assert (in_w(fv_sqe_addr[q_q*64 +: 64], 33'd64, w_lo, w_hi));
    if (state_q == F_CTX_CMD) l_ctx_win: assert (in_w(ctx_addr_q, 33'd128, w_lo, w_hi));
`endif
  end
`endif
endmodule

`default_nettype wire
