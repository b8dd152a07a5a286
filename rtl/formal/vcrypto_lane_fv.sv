// Unit-local invariants of vcrypto_lane for the queue-engine jobs (FV_QE): the lane's state
// is one of its states, it is in the HMAC states only for an HMAC request and in the digest
// states only for a request that writes a digest (or GCM tag); an AEAD request's read length
// is its source stream's (firmware/ABI.md "AEAD").
// Bound into the DUT by the `ifdef FORMAL` instance at the end of rtl/top/vcrypto_lane.sv
// (ports by name, .*). The system properties: vcrypto_queue_engine_fv.sv.
`default_nettype none

module vcrypto_lane_fv #(
  parameter int QW = 2
) (
  input logic       clk_i,
  input logic       rst_ni,
  input logic [3:0]  state_q,
  input logic        digest_out,
  input logic        hmac,
  input logic        aead,
  input logic        dec,
  input logic [31:0] src_len_q,
  input logic [23:0] aad_len_q,
  input logic [31:0] aead_len_q
);
`ifdef FV_QE
  localparam logic [3:0] L_IDLE = 4'd0, L_OUTER_CFG = 4'd4, L_OUTER_RUN = 4'd5, L_DIG_CMD = 4'd6, L_DIG_WAIT = 4'd8,
                         L_WIPE = 4'd10;
  always @(*) if (rst_ni) begin
    l_lstate: assert (state_q <= L_WIPE);
    if (state_q >= L_OUTER_CFG && state_q <= L_DIG_WAIT) l_lhash: assert (digest_out);
    if (state_q != L_IDLE && state_q != L_WIPE && aead)
      l_lstream: assert (aead_len_q == {src_len_q[31:4] + {27'd0, src_len_q[3:0] != 4'd0} + {8'd0, aad_len_q[23:4]}
                                         + {27'd0, aad_len_q[3:0] != 4'd0} + {27'd0, dec}, 4'd0});
    if (state_q == L_OUTER_CFG || state_q == L_OUTER_RUN) l_lhmac: assert (hmac);
  end
`endif
endmodule

`default_nettype wire
