// Formal properties of vcrypto_dma_wr (AXI4 write master). Bound into the DUT by the
// `ifdef FORMAL` instance at the end of rtl/top/vcrypto_dma_wr.sv (ports by name, .*).
// Active only in the job that proves this module (FV_DMA_WR); elsewhere it is empty.
`default_nettype none

module vcrypto_dma_wr_fv (
  input logic         clk_i,
  input logic         rst_ni,
  input logic         cmd_valid_i,
  input logic         cmd_ready_o,
  input logic [63:0]  cmd_addr_i,
  input logic [31:0]  cmd_len_i,
  input logic         busy_o,
  input logic         in_valid_i,
  input logic         in_ready_o,
  input logic [127:0] in_data_i,
  input logic         m_axi_awvalid,
  input logic         m_axi_awready,
  input logic [63:0]  m_axi_awaddr,
  input logic [7:0]   m_axi_awlen,
  input logic [2:0]   m_axi_awsize,
  input logic [1:0]   m_axi_awburst,
  input logic         m_axi_wvalid,
  input logic         m_axi_wready,
  input logic [127:0] m_axi_wdata,
  input logic [15:0]  m_axi_wstrb,
  input logic         m_axi_wlast,
  input logic         m_axi_bvalid,
  input logic         m_axi_bready,
  // internal state (strengthening invariants for k-induction)
  input logic         busy_q,
  input logic [63:0]  aw_addr_q,
  input logic [8:0]   aw_burst_q,
  input logic [8:0]   aw_burst_d,
  input logic         aw_ok_q,
  input logic [8:0]   lens0, lens1, lens2, lens3,
  input logic [2:0]   lens_n_q,
  input logic [28:0]  aw_beats_q,
  input logic [28:0]  w_beats_q,
  input logic [28:0]  in_beats_q,
  input logic [8:0]   w_burst_left_q,
  input logic [15:0]  bursts_out_q,
  input logic         first_q,
  input logic [3:0]   off_q,
  input logic [4:0]   end_bytes_q
);
`ifdef FV_DMA_WR
  // ------------------------------------------------------------------ reset: once, at start
  reg f_init = 1'b1;
  reg f_past = 1'b0;
  always @(posedge clk_i) begin
    f_init <= 1'b0;
    f_past <= 1'b1;
  end
  always @(*) assume (rst_ni == !f_init);

  wire cmd_fire = cmd_valid_i && cmd_ready_o;
  wire aw_fire  = m_axi_awvalid && m_axi_awready;
  wire w_fire   = m_axi_wvalid && m_axi_wready;
  wire b_fire   = m_axi_bvalid && m_axi_bready;
  wire in_fire  = in_valid_i && in_ready_o;

  // The transfer in beats: aligned beat k (0 <= k < f_total) is at f_lo + 16k, on 4 KiB
  // page slot (f_pg + k) mod 256. Length of the burst starting at beat k (the spec the RTL
  // must follow): as many beats as possible up to 16, to the next 4 KiB boundary, to the end.
  reg [63:0] f_lo;
  reg [7:0]  f_pg;
  reg [28:0] f_total, f_aw, f_w, f_in_left;
  reg [3:0]  f_off;          // start byte within the first beat
  reg [4:0]  f_tailb;        // bytes of the last beat (1..16)
  reg [8:0]  f_w_in;         // beats already sent in the current W burst
  reg [15:0] f_b_out, f_b_due;
  reg        f_extra;
  // W framing against what AW announced: the lengths of the bursts announced and not yet
  // started on W (g0 oldest, g_n of them) and the length of the W burst in progress (g_in)
  reg [8:0]  g0, g1, g2, g3, g_cur;
  reg [2:0]  g_n;
  reg        g_in;
  wire [8:0] w_len = g_in ? g_cur : g0;           // length of the burst this W beat belongs to
  wire       w_start = w_fire && !g_in;           // first beat of a burst: it leaves the queue

  function automatic [8:0] spec_len(input [28:0] k, input [7:0] pg, input [28:0] total);
    reg [8:0]  n;
    reg [28:0] left;
    begin
      left = total - k;
      n = 9'd256 - {1'b0, 8'(pg + k[7:0])};
      if (n > 9'd16) n = 9'd16;
      if ({20'd0, n} > left) n = left[8:0];
      spec_len = n;
    end
  endfunction

  wire [32:0] c_span  = {29'd0, cmd_addr_i[3:0]} + {1'b0, cmd_len_i};
  wire [28:0] c_wbeat = 29'((c_span + 33'd15) >> 4);
  wire [28:0] c_ibeat = 29'(({1'b0, cmd_len_i} + 33'd15) >> 4);
  wire [8:0]  aw_beats = {1'b0, m_axi_awlen} + 9'd1;

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      f_lo <= '0; f_pg <= '0; f_total <= '0; f_aw <= '0; f_w <= '0; f_in_left <= '0; f_off <= '0;
      f_tailb <= '0; f_w_in <= '0; f_b_out <= '0; f_b_due <= '0; f_extra <= 1'b0;
      g0 <= '0; g1 <= '0; g2 <= '0; g3 <= '0; g_cur <= '0; g_n <= '0; g_in <= 1'b0;
    end else if (cmd_fire) begin
      g_n <= '0; g_in <= 1'b0;
      f_lo      <= {cmd_addr_i[63:4], 4'h0};
      f_pg      <= cmd_addr_i[11:4];
      f_total   <= (cmd_len_i == '0) ? 29'd0 : c_wbeat;
      f_aw      <= '0;
      f_w       <= '0;
      f_in_left <= c_ibeat;
      f_off     <= cmd_addr_i[3:0];
      f_tailb   <= (c_span[3:0] == 4'd0) ? 5'd16 : {1'b0, c_span[3:0]};
      f_w_in    <= '0;
      f_b_out   <= '0;
      f_b_due   <= '0;
      f_extra   <= c_wbeat != c_ibeat;
    end else begin
      if (aw_fire) f_aw <= f_aw + {20'd0, aw_beats};
      if (w_fire) begin
        f_w    <= f_w + 29'd1;
        f_w_in <= m_axi_wlast ? 9'd0 : f_w_in + 9'd1;
        g_cur  <= w_len;
        g_in   <= !m_axi_wlast;
      end
      // the queue: pop at the first beat of a burst, push each AW
      begin : g_queue
        reg [8:0] q [4];
        reg [2:0] n;
        q[0] = g0; q[1] = g1; q[2] = g2; q[3] = g3; n = g_n;
        if (w_start) begin q[0] = q[1]; q[1] = q[2]; q[2] = q[3]; n = n - 3'd1; end
        if (aw_fire) begin
          case (n[1:0]) 2'd0: q[0] = aw_beats; 2'd1: q[1] = aw_beats; 2'd2: q[2] = aw_beats; default: q[3] = aw_beats; endcase
          n = n + 3'd1;
        end
        g0 <= q[0]; g1 <= q[1]; g2 <= q[2]; g3 <= q[3]; g_n <= n;
      end
      if (in_fire) f_in_left <= f_in_left - 29'd1;
      f_b_out <= f_b_out + {15'd0, aw_fire} - {15'd0, b_fire};
      f_b_due <= f_b_due + {15'd0, w_fire && m_axi_wlast} - {15'd0, b_fire};
    end
  end

  // ------------------------------------------------------------------ environment
  // no 64-bit wrap (guaranteed by the queue engine's window check)
  always @(*) if (cmd_fire) assume ({1'b0, cmd_addr_i} + {33'd0, cmd_len_i} <= {1'b1, 64'd0});
  // AXI slave: a B response only for a burst whose last W beat went out ...
  always @(*) if (m_axi_bvalid) assume (f_b_due != 16'd0);
  // ... and a finite write acceptance capability (256 bursts awaiting B): the RTL's counter of
  // outstanding bursts is 16 bits wide
  always @(*) if (f_b_out >= 16'd256) assume (!m_axi_awready);
  // the input stream (the queue engine, proved there): valid held until ready, stable data
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(in_valid_i && !in_ready_o))
      assume (in_valid_i && $stable(in_data_i));

  // ------------------------------------------------------------------ AXI AW channel
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(m_axi_awvalid && !m_axi_awready)) begin
      aw_hold:   assert (m_axi_awvalid);
      aw_stable: assert ($stable(m_axi_awaddr) && $stable(m_axi_awlen) && $stable(m_axi_awsize)
                         && $stable(m_axi_awburst));
    end
  always @(*) if (rst_ni && aw_fire) aw_room: assert (g_n < 3'd4 || w_start);   // ghost queue bound
  always @(*) if (rst_ni && m_axi_awvalid) begin
    aw_fixed:  assert (m_axi_awsize == 3'd4 && m_axi_awburst == 2'b01 && m_axi_awaddr[3:0] == 4'h0);
    aw_len16:  assert (m_axi_awlen <= 8'd15);
    aw_4k:     assert ({1'b0, m_axi_awaddr[11:4]} + {1'b0, m_axi_awlen} <= 9'd255);
    // the bursts tile [f_lo, f_lo + 16 f_total) in order: inside the command's range
    aw_in_seq: assert (m_axi_awaddr == f_lo + {31'd0, f_aw, 4'h0});
    aw_range:  assert ({1'b0, f_aw} + {21'd0, aw_beats} <= {1'b0, f_total});
    aw_spec:   assert (aw_beats == spec_len(f_aw, f_pg, f_total));
  end

  // ------------------------------------------------------------------ AXI W channel
  // byte strobes: exactly the bytes of [cmd_addr, cmd_addr + len) in this beat
  wire [28:0] w_next = f_w + 29'd1;
  wire [15:0] spec_strb = ((f_w == '0) ? (16'hFFFF << f_off) : 16'hFFFF)
                        & ((w_next == f_total) ? (16'hFFFF >> (5'd16 - f_tailb)) : 16'hFFFF);
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(m_axi_wvalid && !m_axi_wready)) begin
      w_hold:    assert (m_axi_wvalid);
      w_stable:  assert ($stable(m_axi_wdata) && $stable(m_axi_wstrb) && $stable(m_axi_wlast));
    end
  always @(*) if (rst_ni && m_axi_wvalid) begin
    w_after_aw: assert ((g_in || g_n != 3'd0) && f_w < f_aw);  // W only inside an announced burst
    w_range:    assert (f_w < f_total);
    w_last:     assert (m_axi_wlast == (f_w_in + 9'd1 == w_len));   // WLAST ends the burst AW announced
    w_strb:     assert (m_axi_wstrb == spec_strb);
  end
  // when the transfer ends: the whole range announced and written, every burst answered
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(busy_o) && !busy_o) begin
      all_aw: assert (f_aw == f_total);
      all_w:  assert (f_w == f_total);
      all_b:  assert (f_b_out == 16'd0);
    end

  // ------------------------------------------------------------------ stream contract
  always @(*) if (rst_ni) begin
    cmd_idle:  assert (cmd_ready_o == !busy_o);
    in_busy:   assert (!in_ready_o || (busy_o && f_in_left != 29'd0));
    in_left:   assert (f_in_left == 29'd0 || busy_o);
  end
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && !$past(busy_o) && busy_o) busy_cmd: assert ($past(cmd_fire));

  // ------------------------------------------------------------------ invariants (induction)
  wire [28:0] g_sum = (g_n > 3'd0 ? {20'd0, g0} : 29'd0) + (g_n > 3'd1 ? {20'd0, g1} : 29'd0)
                    + (g_n > 3'd2 ? {20'd0, g2} : 29'd0) + (g_n > 3'd3 ? {20'd0, g3} : 29'd0);
  always @(*) if (rst_ni) begin
    if (!busy_q) begin
      i_idle:  assert (f_aw == f_w && f_b_out == 16'd0 && f_b_due == 16'd0 && f_in_left == 29'd0);
    end else begin
      i_geom:  assert (f_total != '0 && f_total <= 29'h1000_0001 && f_w <= f_aw && f_aw <= f_total
                       && f_pg == f_lo[11:4] && f_lo[3:0] == 4'h0 && f_tailb != 5'd0 && f_tailb <= 5'd16
                       && (f_total != 29'd1 || {1'b0, f_off} < f_tailb));
      i_off:   assert (off_q == f_off && end_bytes_q == f_tailb);
      i_aw:    assert (f_aw + aw_beats_q == f_total);
      i_awq:   assert (aw_beats_q == '0 || aw_addr_q == f_lo + {31'd0, f_aw, 4'h0});
      i_awok:  assert (!aw_ok_q || aw_burst_q == aw_burst_d);
      i_w:     assert (f_w + w_beats_q == f_total);
      i_first: assert (first_q == (f_w == '0));
      i_fifo:  assert (lens_n_q == g_n && g_n <= 3'd4
                       && (g_n <= 3'd0 || (lens0 == g0 && g0 != 9'd0 && g0 <= 9'd16))
                       && (g_n <= 3'd1 || (lens1 == g1 && g1 != 9'd0 && g1 <= 9'd16))
                       && (g_n <= 3'd2 || (lens2 == g2 && g2 != 9'd0 && g2 <= 9'd16))
                       && (g_n <= 3'd3 || (lens3 == g3 && g3 != 9'd0 && g3 <= 9'd16)));
      i_wcur:  assert (g_in ? (f_w_in < g_cur && g_cur <= 9'd16 && w_burst_left_q == g_cur - f_w_in)
                            : (f_w_in == '0 && w_burst_left_q == '0));
      i_ann:   assert (f_aw - f_w == {20'd0, w_burst_left_q} + g_sum);
      i_bound: assert (f_w_in < 9'd16 && w_burst_left_q <= 9'd16);
      i_bout:  assert (bursts_out_q == f_b_out && f_b_due <= f_b_out && f_b_out <= 16'd256
                       && f_b_out == f_b_due + {13'd0, g_n} + {15'd0, g_in});
      i_in:    assert (in_beats_q == f_in_left
                       && (({1'b0, w_beats_q} == {1'b0, in_beats_q} + {29'd0, f_extra})
                           || (w_beats_q == '0 && in_beats_q == '0)));
    end
  end

  always @(*) begin
    c_two:  cover (rst_ni && m_axi_wvalid && m_axi_wlast && f_b_due == 16'd1 && g_n == 3'd2);
  end
`endif
endmodule

`default_nettype wire
