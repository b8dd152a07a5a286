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

  // ------------------------------------------------------------------ ghost: requests awaiting a response
  // The generated AXI4-Lite slave (peakrdl-regblock) takes AW, W and AR independently, holds
  // one of each and has up to two transactions in its response buffer: at most 3 of each
  // kind await a response.
  reg [2:0] f_aw, f_w, f_ar;
  wire aw_fire = s_axil_awvalid && s_axil_awready;
  wire w_fire  = s_axil_wvalid && s_axil_wready;
  wire b_fire  = s_axil_bvalid && s_axil_bready;
  wire ar_fire = s_axil_arvalid && s_axil_arready;
  wire r_fire  = s_axil_rvalid && s_axil_rready;
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      f_aw <= '0;
      f_w  <= '0;
      f_ar <= '0;
    end else begin
      f_aw <= f_aw + {2'b0, aw_fire} - {2'b0, b_fire};
      f_w  <= f_w + {2'b0, w_fire} - {2'b0, b_fire};
      f_ar <= f_ar + {2'b0, ar_fire} - {2'b0, r_fire};
    end
  end

  // ------------------------------------------------------------------ AXI4-Lite slave rules
  always @(*) if (rst_ni) begin
    // never a response without a request: B only after both its AW and its W, R after its AR
    b_one:    assert (!s_axil_bvalid || (f_aw != 3'd0 && f_w != 3'd0));
    r_one:    assert (!s_axil_rvalid || f_ar != 3'd0);
    bounded:  assert (f_aw <= 3'd3 && f_w <= 3'd3 && f_ar <= 3'd3);
    b_okay:   assert (!s_axil_bvalid || s_axil_bresp == 2'b00);
    r_okay:   assert (!s_axil_rvalid || s_axil_rresp == 2'b00);
  end
  // BVALID / RVALID held until taken, with a stable payload
  always @(posedge clk_i) if (f_run) begin
    if ($past(s_axil_bvalid && !s_axil_bready)) b_hold: assert (s_axil_bvalid && $stable(s_axil_bresp));
    if ($past(s_axil_rvalid && !s_axil_rready)) r_hold: assert (s_axil_rvalid && $stable(s_axil_rdata) && $stable(s_axil_rresp));
  end

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

`default_nettype wire
