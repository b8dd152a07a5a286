// vcrypto_completion: posts completion entries. Sources: the fetch's failure records (source
// 0) and the lanes' results (sources 1..NS-1), each a valid/ready record (queue, cookie,
// status, error detail, bytes written). Round robin over the sources with a record, one entry
// at a time: take the record, write the 16-byte completion entry (fields from the generated
// ABI package: cookie, bytes written, status, queue, error detail, the ring's phase bit) into
// the slot at CQ_TAIL of the record's queue over its write client, then pulse cq_push_o[q]
// (the register block advances CQ_TAIL, flips the phase on a wrap and sets INT_STATUS[q]) and
// the error counter of the record's error detail. The fetch reserved the slot (it takes an
// entry only while its completion ring has room for every entry of the queue in flight), and
// it checked that the whole completion ring lies in the DMA window. An AXI error writing the
// entry loses it (CQ_TAIL still advances) and counts once in ERR_AXI.
`default_nettype none

module vcrypto_completion
#(
  parameter int NQ = 4,
  parameter int QW = 2,                   // width of a queue index
  parameter int NS = 2                    // record sources
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  // ring state (vcrypto_csr)
  input  logic [NQ*64-1:0] cq_base_i,
  input  logic [NQ*16-1:0] cq_tail_i,
  input  logic [NQ-1:0]    cq_phase_i,
  output logic [NQ-1:0]    cq_push_o,
  output logic            inc_err_axi_o,
  output logic            inc_err_window_o,
  output logic            inc_err_notsupp_o,
  output logic            inc_err_length_o,
  // records: source s at [s*W +: W]
  input  logic [NS-1:0]    src_valid_i,
  output logic [NS-1:0]    src_ready_o,
  input  logic [NS*QW-1:0] src_q_i,
  input  logic [NS*64-1:0] src_cookie_i,
  input  logic [NS*8-1:0]  src_status_i,
  input  logic [NS*8-1:0]  src_detail_i,
  input  logic [NS*32-1:0] src_bytes_i,
  // write client
  output logic            wr_cmd_valid_o,
  input  logic            wr_cmd_ready_i,
  output logic [63:0]     wr_cmd_addr_o,
  output logic [31:0]     wr_cmd_len_o,
  input  logic            wr_busy_i,
  input  logic            wr_err_i,
  output logic            wr_valid_o,
  input  logic            wr_ready_i,
  output logic [127:0]    wr_data_o,
  output logic            idle_o
`ifdef FORMAL
  ,                                       // the queue-engine proof's view (rtl/formal)
  output logic [2:0]      fv_state_o,
  output logic [QW-1:0]   fv_q_o
`endif
);
  localparam int SW = (NS > 1) ? $clog2(NS) : 1;

  typedef enum logic [2:0] {C_IDLE, C_SLOT, C_CMD, C_DATA, C_WAIT, C_DONE} state_e;

  state_e      state_q;
  logic [SW-1:0] rr_q, pick;
  logic        pick_valid;
  logic [QW-1:0] q_q;
  logic [63:0] cookie_q, slot_q;
  logic [7:0]  status_q, detail_q;
  logic [31:0] bytes_q;
  logic        phase_q;

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

  assign pick_valid = src_valid_i != '0;
  assign pick       = SW'(rr_pick(16'(src_valid_i), 4'(rr_q), 5'(NS)));

  logic take;
  assign take = state_q == C_IDLE && pick_valid;
  always_comb begin
    src_ready_o = '0;
    if (take) src_ready_o[pick] = 1'b1;
  end

  // the entry, laid out as firmware/abi.toml says
  always_comb begin
    wr_data_o = '0;
    wr_data_o[vcrypto_abi::CQE_COOKIE_LSB +: 64]        = cookie_q;
    wr_data_o[vcrypto_abi::CQE_BYTES_WRITTEN_LSB +: 32] = bytes_q;
    wr_data_o[vcrypto_abi::CQE_STATUS_LSB +: 8]         = status_q;
    wr_data_o[vcrypto_abi::CQE_QUEUE_LSB +: 8]          = 8'(q_q);
    wr_data_o[vcrypto_abi::CQE_ERROR_DETAIL_LSB +: 8]   = detail_q;
    wr_data_o[vcrypto_abi::CQE_PHASE_LSB +: 8]          = {7'd0, phase_q};
  end
  assign wr_cmd_valid_o = state_q == C_CMD;
  assign wr_cmd_addr_o  = slot_q;
  assign wr_cmd_len_o   = vcrypto_abi::CQE_BYTES;
  assign wr_valid_o     = state_q == C_DATA;
  assign idle_o         = state_q == C_IDLE && !pick_valid;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= C_IDLE;
      rr_q <= '0; q_q <= '0; cookie_q <= '0; slot_q <= '0;
      status_q <= '0; detail_q <= '0; bytes_q <= '0; phase_q <= 1'b0;
      cq_push_o <= '0;
      inc_err_axi_o <= 1'b0; inc_err_window_o <= 1'b0; inc_err_notsupp_o <= 1'b0; inc_err_length_o <= 1'b0;
    end else begin
      cq_push_o <= '0;
      inc_err_axi_o <= 1'b0; inc_err_window_o <= 1'b0; inc_err_notsupp_o <= 1'b0; inc_err_length_o <= 1'b0;
      case (state_q)
        C_IDLE: if (take) begin
          q_q      <= src_q_i[pick*QW +: QW];
          cookie_q <= src_cookie_i[pick*64 +: 64];
          status_q <= src_status_i[pick*8 +: 8];
          detail_q <= src_detail_i[pick*8 +: 8];
          bytes_q  <= src_bytes_i[pick*32 +: 32];
          rr_q     <= (pick == SW'(NS - 1)) ? '0 : pick + SW'(1);
          state_q  <= C_SLOT;
        end
        C_SLOT: begin                     // the slot at CQ_TAIL and the ring's current phase
          slot_q  <= cq_base_i[q_q*64 +: 64] + {44'd0, cq_tail_i[q_q*16 +: 16], 4'd0};
          phase_q <= cq_phase_i[q_q];
          state_q <= C_CMD;
        end
        C_CMD:  if (wr_cmd_ready_i) state_q <= C_DATA;
        C_DATA: if (wr_ready_i) state_q <= C_WAIT;
        C_WAIT: if (!wr_busy_i) begin
          if (wr_err_i) inc_err_axi_o <= 1'b1;     // the completion entry itself was not written
          state_q <= C_DONE;
        end
        C_DONE: begin
          cq_push_o[q_q] <= 1'b1;
          // (the register block moves CQ_TAIL and the phase in the next clock, before the
          // next record's C_SLOT reads them)
          // (a failed completion write was counted by its own pulse, one clock earlier)
          inc_err_axi_o     <= (detail_q == vcrypto_abi::ERROR_DETAIL_AXI_ERROR);
          inc_err_window_o  <= (detail_q == vcrypto_abi::ERROR_DETAIL_OUT_OF_WINDOW);
          inc_err_notsupp_o <= (detail_q == vcrypto_abi::ERROR_DETAIL_BAD_OPCODE)
                               || (detail_q == vcrypto_abi::ERROR_DETAIL_BAD_ALGORITHM);
          inc_err_length_o  <= (detail_q == vcrypto_abi::ERROR_DETAIL_BAD_LENGTH);
          state_q <= C_IDLE;
        end
        default: state_q <= C_IDLE;
      endcase
    end
  end

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_completion_fv.sv); never synthesised or simulated
  assign fv_state_o = state_q;
  assign fv_q_o     = q_q;
  vcrypto_completion_fv #(.NQ(NQ), .QW(QW), .NS(NS)) u_fv (.*);
`endif

endmodule

`default_nettype wire
