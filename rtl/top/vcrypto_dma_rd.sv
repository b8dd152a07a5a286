// vcrypto_dma_rd: AXI4 read DMA. Reads `len` bytes from any byte address and delivers them
// as a packed stream of 16-byte beats (byte i of the transfer in bits [8i+7:8i] of beat i/16,
// the AXI little-endian lane order), the last beat partial with the unused bytes zeroed.
//
// Bursts are INCR, 16-byte beats, at most 16 beats and never across a 4 KiB boundary. The
// address channel runs ahead of the data (several bursts outstanding, returned in order);
// R backpressure throttles it. Realignment: output beat j is bytes [o+16j, o+16j+16) of the
// aligned read, i.e. the top 16-o bytes of read beat j and the low o bytes of beat j+1, so
// each read beat is held one beat and the last output is flushed from the held beat alone.
// An RRESP error does not stop the transfer (every beat is still delivered, so the consumers'
// counts stay consistent); it sets err_o, which holds until the next command.
`default_nettype none

module vcrypto_dma_rd (
  input  logic         clk_i,
  input  logic         rst_ni,
  // command
  input  logic         cmd_valid_i,
  output logic         cmd_ready_o,
  input  logic [63:0]  cmd_addr_i,
  input  logic [31:0]  cmd_len_i,
  output logic         busy_o,
  output logic         err_o,
  // data out
  output logic         out_valid_o,
  input  logic         out_ready_i,
  output logic [127:0] out_data_o,
  output logic [4:0]   out_bytes_o,   // 1..16 valid bytes (16 except on the last beat)
  output logic         out_last_o,
  // AXI4 read address / data channels
  output logic         m_axi_arvalid,
  input  logic         m_axi_arready,
  output logic [63:0]  m_axi_araddr,
  output logic [7:0]   m_axi_arlen,
  output logic [2:0]   m_axi_arsize,
  output logic [1:0]   m_axi_arburst,
  input  logic         m_axi_rvalid,
  output logic         m_axi_rready,
  input  logic [127:0] m_axi_rdata,
  input  logic [1:0]   m_axi_rresp,
  input  logic         m_axi_rlast
);

  logic        busy_q, err_q;
  logic [8:0]  burst_q;
  logic [63:0] ar_addr_q;        // next burst address (16-byte aligned)
  logic [28:0] ar_beats_q;       // read beats still to request
  logic [28:0] r_beats_q;        // read beats still to receive
  logic [28:0] out_beats_q;      // output beats still to send
  logic [3:0]  off_q;            // start address mod 16
  logic [4:0]  last_bytes_q;     // valid bytes in the final output beat
  logic [127:0] held_q;         // the last read beat's bytes from off_q on, shifted down to byte 0
  logic        have_held_q;

  // ---------------------------------------------------------------- command
  logic [32:0] span;             // offset + length, in bytes
  assign cmd_ready_o = !busy_q;
  assign span        = {29'd0, cmd_addr_i[3:0]} + {1'b0, cmd_len_i};

  // ---------------------------------------------------------------- address channel
  // The next burst's length is computed one clock after the address moves and registered:
  // it keeps the 4 KiB / remaining-length arithmetic off the address-update path (one idle
  // clock per burst on AR, which runs far ahead of the data anyway).
  logic [8:0] to_4k;             // beats left before the next 4 KiB boundary (1..256)
  logic [8:0] burst_d, burst;
  logic       burst_ok_q;
  assign to_4k  = 9'd256 - {1'b0, ar_addr_q[11:4]};
  always_comb begin
    burst_d = 9'd16;
    if (to_4k < burst_d) burst_d = to_4k;
    if ({20'd0, burst_d} > ar_beats_q) burst_d = ar_beats_q[8:0];
  end
  assign m_axi_arvalid = busy_q && ar_beats_q != '0 && burst_ok_q;
  assign burst         = burst_q;
  assign m_axi_araddr  = ar_addr_q;
  assign m_axi_arlen   = 8'(burst - 9'd1);
  assign m_axi_arsize  = 3'd4;          // 16 bytes per beat
  assign m_axi_arburst = 2'b01;         // INCR

  // ---------------------------------------------------------------- data / realignment
  // A read beat is taken when it can be absorbed: either it only primes the holding register,
  // or the output slot is free for the beat it completes.
  logic         out_fire, r_fire, flush, emit_from_r;
  logic [127:0] joined, masked, keep_mask;
  logic [7:0]   sh_lo;
  logic [8:0]   sh_hi;

  assign sh_lo       = {1'b0, off_q, 3'b000};           // 8 * offset
  assign sh_hi       = 9'd128 - {1'b0, sh_lo};
  assign keep_mask   = {128{1'b1}} >> {(5'd16 - last_bytes_q), 3'b000};
  assign emit_from_r = have_held_q;                     // this R beat completes an output beat
  assign m_axi_rready = busy_q && r_beats_q != '0 && (!emit_from_r || out_ready_i);
  assign r_fire      = m_axi_rvalid && m_axi_rready;
  // all read beats in, one output beat left: it comes from the held beat alone
  assign flush       = busy_q && r_beats_q == '0 && out_beats_q != '0 && have_held_q;

  always_comb begin
    joined = held_q;
    if (!flush && off_q != 4'd0) joined = joined | (m_axi_rdata << sh_hi);
    // last beat: keep the low last_bytes_q bytes, zero the rest
    masked = (out_beats_q == 29'd1) ? (joined & keep_mask) : joined;
  end

  assign out_valid_o = busy_q && out_beats_q != '0 && ((have_held_q && m_axi_rvalid && r_beats_q != '0) || flush);
  assign out_data_o  = masked;
  assign out_bytes_o = (out_beats_q == 29'd1) ? last_bytes_q : 5'd16;
  assign out_last_o  = (out_beats_q == 29'd1);
  assign out_fire    = out_valid_o && out_ready_i;

  // The simulation view's clock gate (rtl/README.md, "Views"; as synthesised a wire): the
  // registers move only in a clock where a command is offered or a transfer runs, and while
  // the next burst's length has still to be registered (burst_ok_q low); HOLD 1 is the clock
  // in which it is, after the last beat.
  logic eng_clk;
  vcrypto_clock_gate #(.HOLD(1)) u_clock (
    .clk_i, .rst_ni,
    .busy_i (busy_q || !burst_ok_q), .event_i (cmd_valid_i), .clk_o (eng_clk)
  );

  always_ff @(posedge eng_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q       <= 1'b0;
      err_q        <= 1'b0;
      ar_addr_q    <= '0;
      ar_beats_q   <= '0;
      r_beats_q    <= '0;
      out_beats_q  <= '0;
      off_q        <= '0;
      last_bytes_q <= '0;
      held_q       <= '0;
      have_held_q  <= 1'b0;
      burst_q      <= '0;
      burst_ok_q   <= 1'b0;
    end else begin
      burst_q    <= burst_d;
      burst_ok_q <= 1'b1;
      if (cmd_valid_i && cmd_ready_o) begin
        burst_ok_q   <= 1'b0;
        busy_q       <= cmd_len_i != '0;
        err_q        <= 1'b0;
        ar_addr_q    <= {cmd_addr_i[63:4], 4'h0};
        ar_beats_q   <= 29'((span + 33'd15) >> 4);
        r_beats_q    <= 29'((span + 33'd15) >> 4);
        out_beats_q  <= 29'(({1'b0, cmd_len_i} + 33'd15) >> 4);
        off_q        <= cmd_addr_i[3:0];
        last_bytes_q <= (cmd_len_i[3:0] == 4'd0) ? 5'd16 : {1'b0, cmd_len_i[3:0]};
        have_held_q  <= 1'b0;
      end else if (busy_q) begin
        if (m_axi_arvalid && m_axi_arready) begin
          ar_addr_q  <= ar_addr_q + {51'd0, burst, 4'h0};
          ar_beats_q <= ar_beats_q - {20'd0, burst};
          burst_ok_q <= 1'b0;
        end
        if (r_fire) begin
          r_beats_q   <= r_beats_q - 29'd1;
          held_q      <= m_axi_rdata >> sh_lo;   // kept shifted: its bytes' place in the next output beat
          have_held_q <= 1'b1;
          if (m_axi_rresp[1]) err_q <= 1'b1;       // SLVERR / DECERR
        end
        if (out_fire) begin
          out_beats_q <= out_beats_q - 29'd1;
          if (out_beats_q == 29'd1) begin
            busy_q      <= 1'b0;
            have_held_q <= 1'b0;
          end
        end
      end
    end
  end

  assign busy_o = busy_q;
  assign err_o  = err_q;

  // rlast is implied by the beat count; RRESP bit 0 only tells OKAY from EXOKAY.
  logic unused_r;
  assign unused_r = m_axi_rlast ^ m_axi_rresp[0];

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_dma_rd_fv.sv); never synthesised or simulated
  vcrypto_dma_rd_fv u_fv (.*);
`endif

endmodule

`default_nettype wire
