// vcrypto_dispatch: hands requests to lanes and runs the key-hygiene scrub over all of them.
//
// Lane choice: the lowest-numbered lane that is idle, not reserved and not due for a scrub
// (avail_o). The fetch reserves it (reserve_i) before reading the entry, the load beats, the
// start and the abort of that entry go to the reserved lane only (one-hot outputs), and the
// reservation ends with the start (the lane is then busy by itself) or the abort (the lane
// stays idle). One reservation at a time: the fetch serves one entry at a time.
//
// Scrub (SCRUB register, scrub_req_i a level until scrub_done_o): every lane is marked; a
// marked lane gets no new request and, as soon as it is idle and not reserved (its request in
// flight has completed), a wipe (its key cache cleared, its AES round keys wiped); when every
// lane has been wiped, scrub_done_o pulses. Lanes that finish early go back to work while
// others still finish their requests.
`default_nettype none

module vcrypto_dispatch
#(
  parameter int LANES = 1,
  parameter int LW    = 1                 // width of a lane index
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // from the fetch
  input  logic             reserve_i,
  input  logic             ld_sqe_i,
  input  logic             ld_ctx_i,
  input  logic             start_i,
  input  logic             abort_i,
  output logic             avail_o,
  // to / from the lanes
  output logic [LANES-1:0] ld_sqe_o,
  output logic [LANES-1:0] ld_ctx_o,
  output logic [LANES-1:0] start_o,
  output logic [LANES-1:0] abort_o,
  output logic [LANES-1:0] wipe_o,
  input  logic [LANES-1:0] lane_idle_i,
  // key hygiene
  input  logic             scrub_req_i,
  output logic             scrub_done_o,
  output logic             idle_o          // no reservation, no scrub in progress
`ifdef FORMAL
  ,                                        // the queue-engine proof's view (rtl/formal)
  output logic             fv_resv_o,
  output logic [LW-1:0]    fv_idx_o
`endif
);

  logic             resv_q;               // a lane is reserved for the entry being fetched
  logic [LW-1:0]    resv_idx_q;
  logic [LANES-1:0] resv_oh, free, wipe_pend_q, wiping_q;
  logic             scrub_act_q;
  logic [LW-1:0]    sel;

  always_comb begin
    resv_oh = '0;
    if (resv_q) resv_oh[resv_idx_q] = 1'b1;
  end
  assign free = lane_idle_i & ~resv_oh & ~wipe_pend_q & ~wiping_q;

  always_comb begin
    sel = '0;
    for (int l = LANES - 1; l >= 0; l--)
      if (free[l]) sel = LW'(l);
  end
  assign avail_o = free != '0;

  assign ld_sqe_o = ld_sqe_i ? resv_oh : '0;
  assign ld_ctx_o = ld_ctx_i ? resv_oh : '0;
  assign start_o  = start_i ? resv_oh : '0;
  assign abort_o  = abort_i ? resv_oh : '0;
  // a marked lane that is idle and not reserved is wiped now
  assign wipe_o   = wipe_pend_q & lane_idle_i & ~resv_oh;
  assign idle_o   = !resv_q && !scrub_act_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      resv_q <= 1'b0; resv_idx_q <= '0;
      wipe_pend_q <= '0; wiping_q <= '0; scrub_act_q <= 1'b0; scrub_done_o <= 1'b0;
    end else begin
      scrub_done_o <= 1'b0;
      if (start_i || abort_i) resv_q <= 1'b0;
      if (reserve_i) begin
        resv_q     <= 1'b1;
        resv_idx_q <= sel;
      end
      // scrub: mark every lane once per request (the request is still visible while
      // scrub_done_o is high), wipe the marked ones as they become idle, done when all are
      wiping_q    <= (wiping_q | wipe_o) & ~(lane_idle_i & ~wipe_o);
      wipe_pend_q <= wipe_pend_q & ~wipe_o;
      if (scrub_req_i && !scrub_act_q && !scrub_done_o) begin
        scrub_act_q <= 1'b1;
        wipe_pend_q <= '1;
      end else if (scrub_act_q && wipe_pend_q == '0 && wiping_q == '0) begin
        scrub_act_q  <= 1'b0;
        scrub_done_o <= 1'b1;
      end
    end
  end

`ifdef FORMAL
  assign fv_resv_o = resv_q;
  assign fv_idx_o  = resv_idx_q;
`endif

endmodule

`default_nettype wire
