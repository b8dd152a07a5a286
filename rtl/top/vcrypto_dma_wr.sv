// vcrypto_dma_wr: AXI4 write DMA. Writes `len` bytes of a packed input stream (byte i of the
// transfer in bits [8i+7:8i] of beat i/16, as vcrypto_dma_rd delivers it) to any byte
// address, with byte strobes at both ends.
//
// Bursts are INCR, 16-byte beats, at most 16 beats, never across a 4 KiB boundary. Aligned
// write beat k carries stream beat k shifted up by the start offset o and the top o bytes of
// stream beat k-1; when the data ends in a partial aligned beat one extra beat is written
// from the held input alone. Each burst's address goes out before its data: the AW side
// pushes every burst length it announces into a 4-entry FIFO that frames the W side (WLAST),
// and computes the next burst length one clock after its address moves (registered, to keep
// the 4 KiB / remaining-length arithmetic off the address path). done when every B response
// is in; a BRESP error sets err_o (held until the next command).
`default_nettype none

module vcrypto_dma_wr (
  input  logic         clk_i,
  input  logic         rst_ni,
  // command
  input  logic         cmd_valid_i,
  output logic         cmd_ready_o,
  input  logic [63:0]  cmd_addr_i,
  input  logic [31:0]  cmd_len_i,
  output logic         busy_o,
  output logic         err_o,
  // data in
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  // AXI4 write channels
  output logic         m_axi_awvalid,
  input  logic         m_axi_awready,
  output logic [63:0]  m_axi_awaddr,
  output logic [7:0]   m_axi_awlen,
  output logic [2:0]   m_axi_awsize,
  output logic [1:0]   m_axi_awburst,
  output logic         m_axi_wvalid,
  input  logic         m_axi_wready,
  output logic [127:0] m_axi_wdata,
  output logic [15:0]  m_axi_wstrb,
  output logic         m_axi_wlast,
  input  logic         m_axi_bvalid,
  output logic         m_axi_bready,
  input  logic [1:0]   m_axi_bresp
);

  logic        busy_q, err_q;
  logic [63:0] aw_addr_q;             // next burst address (16-byte aligned)
  logic [8:0]  aw_burst_q;            // length of the burst at aw_addr_q (valid when aw_ok_q)
  logic        aw_ok_q;
  logic [8:0]  lens_q [4];            // announced burst lengths, oldest first
  logic [2:0]  lens_n_q;
  logic [28:0] aw_beats_q;            // beats whose address is still to be sent
  logic [28:0] w_beats_q;             // write beats still to send
  logic [28:0] in_beats_q;            // input beats still to take
  logic [8:0]  w_burst_left_q;        // beats left in the current W burst (0: start a new one)
  logic [15:0] bursts_out_q;          // bursts whose address went out minus B responses seen
  logic        first_q;               // next W beat is the first of the transfer
  logic [3:0]  off_q;
  logic [4:0]  end_bytes_q;           // valid bytes in the final aligned beat (1..16)
  logic [127:0] prev_q;

  logic [32:0] span;
  assign cmd_ready_o = !busy_q;
  assign span        = {29'd0, cmd_addr_i[3:0]} + {1'b0, cmd_len_i};

  function automatic logic [8:0] burst_len(input logic [7:0] beat_in_4k, input logic [28:0] left);
    logic [8:0] n, to_4k;
    to_4k = 9'd256 - {1'b0, beat_in_4k};
    n = 9'd16;
    if (to_4k < n) n = to_4k;
    if ({20'd0, n} > left) n = left[8:0];
    burst_len = n;
  endfunction

  // ---------------------------------------------------------------- AW
  logic [8:0] aw_burst_d;
  assign aw_burst_d    = burst_len(aw_addr_q[11:4], aw_beats_q);
  assign m_axi_awvalid = busy_q && aw_beats_q != '0 && aw_ok_q && lens_n_q != 3'd4;
  assign m_axi_awaddr  = aw_addr_q;
  assign m_axi_awlen   = 8'(aw_burst_q - 9'd1);
  assign m_axi_awsize  = 3'd4;
  assign m_axi_awburst = 2'b01;

  // ---------------------------------------------------------------- W
  // The data of a burst follows its address: W runs only inside announced bursts.
  logic        need_in, w_ok, w_fire, aw_fire, b_fire, in_fire, w_pop;
  logic [7:0]  sh_lo;
  logic [8:0]  sh_hi;
  logic [127:0] cur;
  logic [15:0] strb;
  logic [8:0]  w_left;      // beats left in the current burst including this one

  assign need_in   = in_beats_q != '0;
  assign w_left    = (w_burst_left_q == '0) ? lens_q[0] : w_burst_left_q;
  assign w_ok      = busy_q && w_beats_q != '0 && (w_burst_left_q != '0 || lens_n_q != '0);
  assign cur       = need_in ? in_data_i : 128'd0;
  assign sh_lo     = {1'b0, off_q, 3'b000};
  assign sh_hi     = 9'd128 - {1'b0, sh_lo};
  always_comb begin
    m_axi_wdata = (off_q == 4'd0) ? cur : ((cur << sh_lo) | (prev_q >> sh_hi));
    strb = 16'hFFFF;
    if (first_q) strb = strb & (16'hFFFF << off_q);                        // bytes before the start
    if (w_beats_q == 29'd1) strb = strb & (16'hFFFF >> (5'd16 - end_bytes_q)); // bytes after the end
  end
  assign m_axi_wstrb  = strb;
  assign m_axi_wlast  = (w_left == 9'd1);
  assign w_pop        = w_fire && w_burst_left_q == '0;     // the first beat takes its burst's length
  // where an announced length lands (never 4 deep: AW waits while the FIFO is full)
  logic [1:0] push_idx;
  assign push_idx     = 2'(w_pop ? lens_n_q - 3'd1 : lens_n_q);
  assign m_axi_wvalid = w_ok && (!need_in || in_valid_i);
  assign in_ready_o   = w_ok && need_in && m_axi_wready;
  assign w_fire       = m_axi_wvalid && m_axi_wready;
  assign in_fire      = in_valid_i && in_ready_o;
  assign aw_fire      = m_axi_awvalid && m_axi_awready;
  assign m_axi_bready = busy_q;
  assign b_fire       = m_axi_bvalid && m_axi_bready;

  // The simulation view's clock gate (rtl/README.md, "Views"; as synthesised a wire): the
  // registers move only in a clock where a command is offered or a transfer runs.
  logic eng_clk;
  vcrypto_clock_gate #(.HOLD(0)) u_clock (
    .clk_i, .rst_ni, .busy_i (busy_q), .event_i (cmd_valid_i), .clk_o (eng_clk)
  );

  always_ff @(posedge eng_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q         <= 1'b0;
      err_q          <= 1'b0;
      aw_addr_q      <= '0;
      aw_burst_q     <= '0;
      aw_ok_q        <= 1'b0;
      lens_n_q       <= '0;
      for (int k = 0; k < 4; k++) lens_q[k] <= '0;
      aw_beats_q     <= '0;
      w_beats_q      <= '0;
      in_beats_q     <= '0;
      w_burst_left_q <= '0;
      bursts_out_q   <= '0;
      first_q        <= 1'b0;
      off_q          <= '0;
      end_bytes_q    <= '0;
      prev_q         <= '0;
    end else if (cmd_valid_i && cmd_ready_o) begin
      busy_q         <= cmd_len_i != '0;
      err_q          <= 1'b0;
      aw_addr_q      <= {cmd_addr_i[63:4], 4'h0};
      aw_ok_q        <= 1'b0;
      lens_n_q       <= '0;
      aw_beats_q     <= 29'((span + 33'd15) >> 4);
      w_beats_q      <= 29'((span + 33'd15) >> 4);
      in_beats_q     <= 29'(({1'b0, cmd_len_i} + 33'd15) >> 4);
      w_burst_left_q <= '0;
      bursts_out_q   <= '0;
      first_q        <= 1'b1;
      off_q          <= cmd_addr_i[3:0];
      end_bytes_q    <= (span[3:0] == 4'd0) ? 5'd16 : {1'b0, span[3:0]};
      prev_q         <= '0;
    end else if (busy_q) begin
      aw_burst_q <= aw_burst_d;
      aw_ok_q    <= 1'b1;
      if (aw_fire) begin
        aw_addr_q  <= aw_addr_q + {51'd0, aw_burst_q, 4'h0};
        aw_beats_q <= aw_beats_q - {20'd0, aw_burst_q};
        aw_ok_q    <= 1'b0;
      end
      // burst-length FIFO: pop on the first beat of a burst, push on each AW
      if (w_pop) begin
        for (int k = 0; k < 3; k++) lens_q[k] <= lens_q[k + 1];
      end
      if (aw_fire) lens_q[push_idx] <= aw_burst_q;
      lens_n_q <= lens_n_q + {2'b0, aw_fire} - {2'b0, w_pop};
      if (w_fire) begin
        w_beats_q <= w_beats_q - 29'd1;
        first_q   <= 1'b0;
        prev_q    <= cur;
        if (need_in) in_beats_q <= in_beats_q - 29'd1;
        if (w_left == 9'd1) begin
          w_burst_left_q <= '0;
        end else begin
          w_burst_left_q <= w_left - 9'd1;
        end
      end
      bursts_out_q <= bursts_out_q + {15'd0, aw_fire} - {15'd0, b_fire};
      if (b_fire && m_axi_bresp[1]) err_q <= 1'b1;
      // done: all data sent and every announced burst answered
      if (w_beats_q == '0 && aw_beats_q == '0 && bursts_out_q == 16'd0 && !aw_fire) busy_q <= 1'b0;
    end
  end

  assign busy_o = busy_q;
  assign err_o  = err_q;

  logic unused_b;
  assign unused_b = m_axi_bresp[0] ^ in_fire;

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_dma_wr_fv.sv); never synthesised or simulated
  vcrypto_dma_wr_fv u_fv (.*, .lens0(lens_q[0]), .lens1(lens_q[1]), .lens2(lens_q[2]), .lens3(lens_q[3]));
`endif

endmodule

`default_nettype wire
