// Unit-local invariants of vcrypto_lane for the queue-engine jobs (FV_QE): the lane's state
// is one of its states, and it is in the HMAC / digest states only for a request that hashes.
// Bound into the DUT by the `ifdef FORMAL` instance at the end of rtl/top/vcrypto_lane.sv
// (ports by name, .*). The system properties: vcrypto_queue_engine_fv.sv.
`default_nettype none

module vcrypto_lane_fv #(
  parameter int QW = 2
) (
  input logic       clk_i,
  input logic       rst_ni,
  input logic [3:0] state_q,
  input logic       need_hash,
  input logic       hmac
);
`ifdef FV_QE
  localparam logic [3:0] L_OUTER_CFG = 4'd4, L_OUTER_RUN = 4'd5, L_DIG_CMD = 4'd6, L_DIG_WAIT = 4'd8,
                         L_WIPE = 4'd10;
  always @(*) if (rst_ni) begin
    l_lstate: assert (state_q <= L_WIPE);
    if (state_q >= L_OUTER_CFG && state_q <= L_DIG_WAIT) l_lhash: assert (need_hash);
    if (state_q == L_OUTER_CFG || state_q == L_OUTER_RUN) l_lhmac: assert (hmac);
  end
`endif
endmodule

`default_nettype wire
