// Unit-local invariants of vcrypto_completion for the queue-engine jobs (FV_QE): a completion
// entry is written to the slot at CQ_TAIL of its record's queue, and pushed once.
// Bound into the DUT by the `ifdef FORMAL` instance at the end of rtl/top/vcrypto_completion.sv
// (ports by name, .*). The system properties (the ring has room): vcrypto_queue_engine_fv.sv.
`default_nettype none

module vcrypto_completion_fv #(
  parameter int NQ = 4,
  parameter int QW = 2,
  parameter int NS = 2
) (
  input logic             clk_i,
  input logic             rst_ni,
  input logic [NQ*64-1:0] cq_base_i,
  input logic [NQ*16-1:0] cq_tail_i,
  input logic [NQ-1:0]    cq_push_o,
  input logic             wr_cmd_valid_o,
  input logic             wr_cmd_ready_i,
  input logic [63:0]      wr_cmd_addr_o,
  input logic [31:0]      wr_cmd_len_o,
  input logic [2:0]       state_q,
  input logic [QW-1:0]    q_q,
  input logic [63:0]      slot_q
);
`ifdef FV_QE
  localparam logic [2:0] C_IDLE = 3'd0, C_SLOT = 3'd1, C_CMD = 3'd2, C_DONE = 3'd5;
  wire [63:0] slot = cq_base_i[q_q*64 +: 64] + {44'd0, cq_tail_i[q_q*16 +: 16], 4'd0};
  always @(*) if (rst_ni) begin
    l_cstate: assert (state_q <= C_DONE);
    if (state_q >= C_CMD) l_slot: assert (slot_q == slot);
    if (cq_push_o != '0) l_cpush: assert (cq_push_o == (NQ'(1) << q_q) && state_q == C_IDLE);
    // the completion entry goes to CQ_TAIL's slot of its queue
    if (wr_cmd_valid_o && wr_cmd_ready_i) cqe_slot: assert (wr_cmd_addr_o == slot && wr_cmd_len_o == 32'd16);
  end
`endif
endmodule

`default_nettype wire
