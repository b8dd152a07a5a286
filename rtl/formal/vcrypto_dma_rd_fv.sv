// Formal properties of vcrypto_dma_rd (AXI4 read master). Bound into the DUT by the
// `ifdef FORMAL` instance at the end of rtl/top/vcrypto_dma_rd.sv (ports by name, .*).
// Active only in the job that proves this module (FV_DMA_RD); elsewhere it is empty.
`default_nettype none

module vcrypto_dma_rd_fv (
  input logic         clk_i,
  input logic         rst_ni,
  input logic         cmd_valid_i,
  input logic         cmd_ready_o,
  input logic [63:0]  cmd_addr_i,
  input logic [31:0]  cmd_len_i,
  input logic         busy_o,
  input logic         out_valid_o,
  input logic         out_ready_i,
  input logic         out_last_o,
  input logic [4:0]   out_bytes_o,
  input logic         m_axi_arvalid,
  input logic         m_axi_arready,
  input logic [63:0]  m_axi_araddr,
  input logic [7:0]   m_axi_arlen,
  input logic [2:0]   m_axi_arsize,
  input logic [1:0]   m_axi_arburst,
  input logic         m_axi_rvalid,
  input logic         m_axi_rready,
  input logic [127:0] m_axi_rdata,
  input logic [1:0]   m_axi_rresp,
  input logic         m_axi_rlast,
  // internal state (strengthening invariants for k-induction)
  input logic         busy_q,
  input logic [63:0]  ar_addr_q,
  input logic [28:0]  ar_beats_q,
  input logic [28:0]  r_beats_q,
  input logic [28:0]  out_beats_q,
  input logic         have_held_q,
  input logic [8:0]   burst_q,
  input logic [8:0]   burst_d,
  input logic         burst_ok_q
);
`ifdef FV_DMA_RD
  // ------------------------------------------------------------------ reset: once, at start
  reg f_init = 1'b1;
  reg f_past = 1'b0;                  // a previous cycle exists
  always @(posedge clk_i) begin
    f_init <= 1'b0;
    f_past <= 1'b1;
  end
  always @(*) assume (rst_ni == !f_init);

  wire cmd_fire = cmd_valid_i && cmd_ready_o;
  wire ar_fire  = m_axi_arvalid && m_axi_arready;
  wire r_fire   = m_axi_rvalid && m_axi_rready;
  wire out_fire = out_valid_o && out_ready_i;

  // ------------------------------------------------------------------ ghost state
  // The current command as beat-aligned byte range [f_lo, f_hi) (65-bit: no wrap), the
  // address the next AR burst must start at, read beats requested and not yet returned,
  // output beats still owed, and whether the read needs one beat more than the output.
  reg [64:0] f_lo, f_hi, f_next;
  reg [28:0] f_r_out, f_out_left;
  reg        f_extra;
  wire [64:0] c_end   = {1'b0, cmd_addr_i} + {33'd0, cmd_len_i};
  wire [64:0] c_hi    = (c_end + 65'd15) & ~65'd15;
  wire [28:0] c_rbeat = 29'(({29'd0, cmd_addr_i[3:0]} + {1'b0, cmd_len_i} + 33'd15) >> 4);
  wire [28:0] c_obeat = 29'(({1'b0, cmd_len_i} + 33'd15) >> 4);
  wire [8:0]  ar_beats = {1'b0, m_axi_arlen} + 9'd1;

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      f_lo <= '0; f_hi <= '0; f_next <= '0; f_r_out <= '0; f_out_left <= '0; f_extra <= 1'b0;
    end else begin
      if (cmd_fire) begin
        f_lo       <= {1'b0, cmd_addr_i[63:4], 4'h0};
        f_next     <= {1'b0, cmd_addr_i[63:4], 4'h0};
        f_hi       <= c_hi;
        f_out_left <= c_obeat;
        f_extra    <= c_rbeat != c_obeat;
      end else begin
        if (ar_fire) f_next <= f_next + {52'd0, ar_beats, 4'h0};
        if (out_fire) f_out_left <= f_out_left - 29'd1;
      end
      f_r_out <= f_r_out + (ar_fire ? {20'd0, ar_beats} : 29'd0) - (r_fire ? 29'd1 : 29'd0);
    end
  end

  // ------------------------------------------------------------------ environment
  // A command never wraps the 64-bit address space (the queue engine's window check
  // guarantees it: a window ends at or below 2^64).
  always @(*) if (cmd_fire) assume (c_end <= {1'b1, 64'd0});
  // AXI slave rules: R beats only for requested beats; RVALID held with a stable payload.
  always @(*) if (m_axi_rvalid) assume (f_r_out != 29'd0);
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(m_axi_rvalid && !m_axi_rready))
      assume (m_axi_rvalid && $stable(m_axi_rdata) && $stable(m_axi_rresp) && $stable(m_axi_rlast));

  // ------------------------------------------------------------------ AXI AR channel
  // ARVALID is held until ARREADY, with a stable payload.
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(m_axi_arvalid && !m_axi_arready)) begin
      ar_hold:   assert (m_axi_arvalid);
      ar_stable: assert ($stable(m_axi_araddr) && $stable(m_axi_arlen) && $stable(m_axi_arsize)
                        && $stable(m_axi_arburst));
    end
  always @(*) if (rst_ni && m_axi_arvalid) begin
    ar_fixed:  assert (m_axi_arsize == 3'd4 && m_axi_arburst == 2'b01 && m_axi_araddr[3:0] == 4'h0);
    ar_len16:  assert (m_axi_arlen <= 8'd15);                                        // <= 16 beats
    ar_4k:     assert ({1'b0, m_axi_araddr[11:4]} + {1'b0, m_axi_arlen} <= 9'd255);  // no 4 KiB crossing
    // inside the command's (beat-aligned) range, and the bursts tile it in order
    ar_range:  assert ({1'b0, m_axi_araddr} >= f_lo
                       && {1'b0, m_axi_araddr} + {52'd0, ar_beats, 4'h0} <= f_hi);
    ar_in_seq: assert ({1'b0, m_axi_araddr} == f_next);
    ar_busy:   assert (busy_o);
  end
  // when the transfer ends, exactly the whole range was requested and every beat returned
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(busy_o) && !busy_o) begin
      ar_all:  assert (f_next == f_hi);
      r_all:   assert (f_r_out == 29'd0);
    end

  // ------------------------------------------------------------------ stream contract
  // (what the queue engine relies on: see vcrypto_queue_engine_fv's DMA model)
  always @(*) if (rst_ni) begin
    cmd_idle:  assert (cmd_ready_o == !busy_o);
    busy_left: assert (busy_o == (f_out_left != 29'd0));
    if (out_valid_o) begin
      out_last: assert (out_last_o == (f_out_left == 29'd1));
      out_full: assert (out_last_o || out_bytes_o == 5'd16);
    end
  end

  // ------------------------------------------------------------------ invariants (induction)
  always @(*) if (rst_ni) begin
    if (!busy_q) begin
      i_idle_r: assert (f_r_out == 29'd0);
    end else begin
      i_out:    assert (out_beats_q == f_out_left);
      i_beats:  assert ({1'b0, r_beats_q} + {29'd0, have_held_q} == {1'b0, out_beats_q} + {29'd0, f_extra});
      i_rout:   assert (ar_beats_q <= r_beats_q && f_r_out == r_beats_q - ar_beats_q);
      i_next:   assert (f_next + {32'd0, ar_beats_q, 4'h0} == f_hi);
      i_addr:   assert (ar_beats_q == '0 || {1'b0, ar_addr_q} == f_next);
      i_lo:     assert (f_lo[3:0] == 4'h0 && f_next[3:0] == 4'h0 && f_hi[3:0] == 4'h0
                        && f_lo <= f_next && f_hi <= {1'b1, 64'd0});
      i_burst:  assert (!burst_ok_q || burst_q == burst_d);
      i_extra:  assert (!f_extra || out_beats_q != '0);
    end
  end

  // ------------------------------------------------------------------ reachability
  always @(*) begin
    c_cross: cover (rst_ni && m_axi_arvalid && m_axi_araddr[11:4] == 8'hff);
    c_done:  cover (rst_ni && out_fire && out_last_o && f_extra);
  end
`endif
endmodule

`default_nettype wire
