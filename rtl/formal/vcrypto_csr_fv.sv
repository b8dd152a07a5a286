// Formal properties of vcrypto_csr (AXI4-Lite slave of the generated register block + ring
// indices). Bound into the DUT by
// the `ifdef FORMAL` instance at the end of rtl/top/vcrypto_csr.sv (ports by name, .*).
// Active only in the job that proves this module (FV_CSR); elsewhere it is empty.
`default_nettype none

module vcrypto_csr_fv #(
  parameter int NQ = 4
) (
  input logic             clk_i,
  input logic             rst_ni,
  input logic             s_axil_awvalid,
  input logic             s_axil_awready,
  input logic [11:0]      s_axil_awaddr,
  input logic             s_axil_wvalid,
  input logic             s_axil_wready,
  input logic [31:0]      s_axil_wdata,
  input logic [3:0]       s_axil_wstrb,
  input logic             s_axil_bvalid,
  input logic             s_axil_bready,
  input logic [1:0]       s_axil_bresp,
  input logic             s_axil_arvalid,
  input logic             s_axil_arready,
  input logic [11:0]      s_axil_araddr,
  input logic             s_axil_rvalid,
  input logic             s_axil_rready,
  input logic [31:0]      s_axil_rdata,
  input logic [1:0]       s_axil_rresp,
  input logic [NQ*4-1:0]  sq_log2_o,
  input logic [NQ*16-1:0] sq_head_o,
  input logic [NQ*16-1:0] sq_tail_o,
  input logic [NQ*4-1:0]  cq_log2_o,
  input logic [NQ*16-1:0] cq_head_o,
  input logic [NQ*16-1:0] cq_tail_o,
  input logic [NQ-1:0]    sq_pop_i,
  input logic [NQ-1:0]    cq_push_i,
  // the wrapper's write strobes and data of the external ring registers
  input logic [NQ-1:0]    sq_l2_wr,
  input logic [NQ-1:0]    cq_l2_wr,
  input logic [NQ-1:0]    cq_hd_wr,
  input logic [NQ*32-1:0] cq_hd_wd
);
`ifdef FV_CSR
  reg f_init = 1'b1;
  reg f_past = 1'b0;
  always @(posedge clk_i) begin
    f_init <= 1'b0;
    f_past <= 1'b1;
  end
  always @(*) assume (rst_ni == !f_init);
  reg f_run = 1'b0;                                  // this cycle and the previous one out of reset
  always @(posedge clk_i) f_run <= !f_init;

  // ------------------------------------------------------------------ environment: AXI4-Lite master
  always @(posedge clk_i) if (f_past && rst_ni) begin
    if ($past(s_axil_awvalid && !s_axil_awready)) assume (s_axil_awvalid && $stable(s_axil_awaddr));
    if ($past(s_axil_wvalid && !s_axil_wready))   assume (s_axil_wvalid && $stable(s_axil_wdata) && $stable(s_axil_wstrb));
    if ($past(s_axil_arvalid && !s_axil_arready)) assume (s_axil_arvalid && $stable(s_axil_araddr));
  end

  // The AXI4-Lite slave's rules (no response without its request, B/R held with a stable
  // payload, OKAY responses) are checked inside the generated block, by vcrypto_csr_regs_fv
  // below: its induction invariants need the slave's internal state.

  // ------------------------------------------------------------------ ring indices
  // Indices stay inside their ring; the device's own indices (SQ_HEAD, CQ_TAIL) move only by
  // its pop/push pulses (+1 modulo the ring) or go to 0 when the host resizes the ring.
  function automatic [15:0] rmask(input [3:0] l2);
    rmask = 16'((17'd1 << l2) - 17'd1);
  endfunction
  // (no labels: yosys names assertions per module, not per generate instance)
  for (genvar q = 0; q < NQ; q++) begin : g_q
    wire [3:0]  sl = sq_log2_o[q*4 +: 4], cl = cq_log2_o[q*4 +: 4];
    wire [15:0] sh = sq_head_o[q*16 +: 16], st = sq_tail_o[q*16 +: 16];
    wire [15:0] ch = cq_head_o[q*16 +: 16], ct = cq_tail_o[q*16 +: 16];
    always @(*) if (rst_ni) begin
      assert (sl <= 4'd12 && cl <= 4'd12 && (sh & ~rmask(sl)) == '0 && (st & ~rmask(sl)) == '0
                         && (ch & ~rmask(cl)) == '0 && (ct & ~rmask(cl)) == '0);
    end
    always @(posedge clk_i) if (f_run) begin
      if ($past(sq_l2_wr[q])) assert (sh == '0 && st == '0);
      else if ($past(sq_pop_i[q])) assert (sh == (($past(sh) + 16'd1) & rmask(sl)));
      else assert ($stable(sh));
      if ($past(cq_l2_wr[q])) assert (ch == '0 && ct == '0);
      else if ($past(cq_push_i[q])) assert (ct == (($past(ct) + 16'd1) & rmask(cl)));
      else assert ($stable(ct));
    end
  end

`endif

`ifdef FV_QE
  // Host assumption H2 of the queue-engine jobs (fv_queue_engine.sv), where the write takes
  // effect: the host moves CQ_HEAD only forward over completions the device has posted.
  for (genvar q = 0; q < NQ; q++) begin : g_h2
    wire [3:0]  cl   = cq_log2_o[q*4 +: 4];
    wire [15:0] m    = 16'((17'd1 << cl) - 17'd1);
    wire [15:0] ch   = cq_head_o[q*16 +: 16], ct = cq_tail_o[q*16 +: 16];
    wire [15:0] nh   = cq_hd_wd[q*32 +: 16] & m;
    always @(*) if (rst_ni && cq_hd_wr[q]) assume (((nh - ch) & m) <= ((ct - ch) & m));
  end
  // H1 where the write lands: no ring is resized (a resize resets its indices even to the same
  // size; the generated slave may hold such a write taken before an induction step's window)
  always @(*) if (rst_ni) assume (sq_l2_wr == '0 && cq_l2_wr == '0);
`endif
endmodule

// ---------------------------------------------------------------------------------------------
// The AXI4-Lite slave of the generated block (peakrdl-regblock's axi4-lite cpuif), proved by
// k-induction. Its state, as firmware/gen_csr.py hands it over:
//   arvalid_q, awvalid_q, wvalid_q  one AR, AW and W request register each (taken, not yet dispatched)
//   n_in_flight                     dispatched transactions whose response has not left (<= MAXOUT)
//   pipe_rd[k], pipe_ext[k]         a read in read-retiming stage k (LAT stages: RETIME of gen_csr.py),
//                                   of an external register (the wrapper's ring registers)
//   stall_sr                        writes wait while bit 0 is set (LAT clocks after a read request)
//   external_pending                an external access awaits its ack (no new request meanwhile)
//   wptr, rptr                      response buffer pointers: {wrap bit, index < BUFSZ}
//   buf_is_wr, buf_err              the buffer's entries (BUFN >= BUFSZ slots, the padding unused)
// Ghost counters count the requests awaiting a response per channel; the invariants (i_*) tie
// them to that state, which is what makes the properties inductive.
module vcrypto_csr_regs_fv #(
  parameter int MAXOUT = 2,    // max outstanding transactions
  parameter int NW     = 2,    // width of n_in_flight
  parameter int BUFN   = 2,    // response buffer array size (BUFSZ rounded up to a power of 2)
  parameter int BUFSZ  = 2,    // response buffer entries used
  parameter int PW     = 2,    // pointer width (index + wrap bit)
  parameter int LAT    = 0     // read retiming stages
) (
  input logic              clk,
  input logic              arst_n,
  input logic              s_axil_awvalid,
  input logic              s_axil_awready,
  input logic [11:0]       s_axil_awaddr,
  input logic              s_axil_wvalid,
  input logic              s_axil_wready,
  input logic [31:0]       s_axil_wdata,
  input logic [3:0]        s_axil_wstrb,
  input logic              s_axil_bvalid,
  input logic              s_axil_bready,
  input logic [1:0]        s_axil_bresp,
  input logic              s_axil_arvalid,
  input logic              s_axil_arready,
  input logic [11:0]       s_axil_araddr,
  input logic              s_axil_rvalid,
  input logic              s_axil_rready,
  input logic [31:0]       s_axil_rdata,
  input logic [1:0]        s_axil_rresp,
  input logic [NW-1:0]     n_in_flight,
  input logic              arvalid_q,
  input logic              awvalid_q,
  input logic              wvalid_q,
  input logic [PW-1:0]     wptr,
  input logic [PW-1:0]     rptr,
  input logic [BUFN-1:0]   buf_is_wr,
  input logic [BUFN-1:0]   buf_err,
  input logic [LAT:0]      pipe_rd,      // bit LAT: padding, 0
  input logic [LAT:0]      pipe_ext,     // the read in stage k is of an external register
  input logic [LAT:0]      stall_sr,     // bit LAT: padding, 0
  input logic              external_pending
);
`ifdef FV_CSR
  reg f_run = 1'b0;                      // this cycle and the previous one out of reset
  always @(posedge clk) f_run <= arst_n;

  // ------------------------------------------------------------------ ghost: requests awaiting a response
  reg [3:0] f_aw, f_w, f_ar;
  wire aw_fire = s_axil_awvalid && s_axil_awready;
  wire w_fire  = s_axil_wvalid && s_axil_wready;
  wire b_fire  = s_axil_bvalid && s_axil_bready;
  wire ar_fire = s_axil_arvalid && s_axil_arready;
  wire r_fire  = s_axil_rvalid && s_axil_rready;
  always @(posedge clk) begin
    if (!arst_n) begin
      f_aw <= '0;
      f_w  <= '0;
      f_ar <= '0;
    end else begin
      f_aw <= f_aw + {3'b0, aw_fire} - {3'b0, b_fire};
      f_w  <= f_w + {3'b0, w_fire} - {3'b0, b_fire};
      f_ar <= f_ar + {3'b0, ar_fire} - {3'b0, r_fire};
    end
  end

  // ------------------------------------------------------------------ AXI4-Lite slave rules
  always @(*) if (arst_n) begin
    // never a response without a request: B only after both its AW and its W, R after its AR
    b_one:    assert (!s_axil_bvalid || (f_aw != 4'd0 && f_w != 4'd0));
    r_one:    assert (!s_axil_rvalid || f_ar != 4'd0);
    // requests awaiting a response: one in each request register, MAXOUT dispatched
    bounded:  assert (f_aw <= 4'(MAXOUT + 1) && f_w <= 4'(MAXOUT + 1) && f_ar <= 4'(MAXOUT + 1));
    b_okay:   assert (!s_axil_bvalid || s_axil_bresp == 2'b00);
    r_okay:   assert (!s_axil_rvalid || s_axil_rresp == 2'b00);
  end
  // BVALID / RVALID held until taken, with a stable payload
  always @(posedge clk) if (f_run) begin
    if ($past(s_axil_bvalid && !s_axil_bready)) b_hold: assert (s_axil_bvalid && $stable(s_axil_bresp));
    if ($past(s_axil_rvalid && !s_axil_rready)) r_hold: assert (s_axil_rvalid && $stable(s_axil_rdata) && $stable(s_axil_rresp));
  end

  // ------------------------------------------------------------------ invariants of the slave
  // (FV_CSR_NO_INV leaves them out: the mutation check mut_csr_bvalid runs without them, so the
  // AXI rules above are what catch its bug)
`ifndef FV_CSR_NO_INV
  localparam int IW = PW - 1;
  wire [IW-1:0] widx = wptr[IW-1:0], ridx = rptr[IW-1:0];
  wire [PW:0] n_buf = (wptr[PW-1] == rptr[PW-1]) ? (PW+1)'(widx) - (PW+1)'(ridx)
                                                  : (PW+1)'(BUFSZ) + (PW+1)'(widx) - (PW+1)'(ridx);
  reg  [PW:0] nb_w, nb_r;                // buffered write / read responses
  reg  [3:0]  n_pipe;                    // reads in the retiming stages
  reg         err_any;
  always @(*) begin
    nb_w = '0;
    nb_r = '0;
    err_any = 1'b0;
    for (int i = 0; i < BUFSZ; i++) begin
      // slot i holds a response when it lies in [ridx, ridx + n_buf) modulo BUFSZ
      if ((((i >= ridx) ? (PW+1)'(i - ridx) : (PW+1)'(i + BUFSZ - ridx))) < n_buf) begin
        if (buf_is_wr[i]) nb_w = nb_w + 1'b1;
        else              nb_r = nb_r + 1'b1;
      end
      err_any = err_any | buf_err[i];
    end
    n_pipe = '0;
    for (int k = 0; k < LAT; k++) n_pipe = n_pipe + {3'b0, pipe_rd[k]};
  end
  always @(*) if (arst_n) begin
    i_ptr:    assert (32'(widx) < BUFSZ && 32'(ridx) < BUFSZ && 32'(n_buf) <= BUFSZ);
    i_flight: assert (32'(n_in_flight) == 32'(n_buf) + 32'(n_pipe) && 32'(n_in_flight) <= MAXOUT);
    i_aw:     assert (32'(f_aw) == 32'(awvalid_q) + 32'(nb_w));
    i_w:      assert (32'(f_w) == 32'(wvalid_q) + 32'(nb_w));
    i_ar:     assert (32'(f_ar) == 32'(arvalid_q) + 32'(n_pipe) + 32'(nb_r));
    i_err:    assert (!err_any);
    i_pad:    assert (!pipe_rd[LAT] && !pipe_ext[LAT] && !stall_sr[LAT]);
    // the wrapper acks an external access in the clock of the request: the ack of a read is
    // only delayed by the retiming stages, and a request waits exactly while one is in them
    i_ext:    assert (external_pending == |pipe_ext && (pipe_ext & ~pipe_rd) == '0);
  end
  // read retiming: a read request sets all LAT bits of stall_sr, which then shift out, so the
  // read in stage k (k clocks older than stage 0) still finds bit LAT-1-k set; and no write can
  // be acked while a read's ack is due (both acks in one clock would lose the write's)
  for (genvar k = 0; k < LAT; k++) begin : g_stage
    always @(*) if (arst_n) begin
      if (pipe_rd[k]) assert (stall_sr[LAT-1-k]);
      if (k > 0) assert (!stall_sr[k] || stall_sr[k-1]);
    end
  end
`endif
`endif
endmodule

`default_nettype wire
