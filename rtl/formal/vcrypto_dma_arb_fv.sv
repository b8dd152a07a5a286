// Formal properties of vcrypto_dma_arb (the DMA shared by the fetch, the completion unit and
// the lanes), checked in the harness fv_dma_arb.sv with the AXI engines abstracted to the
// contract the dma_rd / dma_wr jobs prove (fv_dma_stubs.sv; assumed here). Bound into the DUT
// by the `ifdef FORMAL` instance at the end of rtl/top/vcrypto_dma_arb.sv (ports by name, .*).
// Active only in the dma_arb job (FV_ARB).
//
//   ranges   every engine command (a chunk) lies inside its client's command, so a client's
//            window guarantee carries over to the AXI engines;
//   clients  each client port keeps the contract of a DMA engine of its own (what the
//            queue-engine jobs assume): command taken only when idle, busy exactly while it owes
//            read beats (one per 16 bytes), takes at most one write beat per 16 bytes, busy
//            only by a command of a non-zero length;
//   full rate  the read engine never waits for a client (its FIFO always has room for the
//            chunk's beats) and the write engine never waits for data (the chunk's beats are in
//            the FIFO before it is granted);
//   stream   the write engine's input is valid until ready with stable data (the dma_wr job's
//            input assumption);
//   fairness a client that can take a chunk is passed over by at most NC-1 grants to others.
`default_nettype none

module vcrypto_dma_arb_fv #(
  parameter int NRC         = 2,
  parameter int NWC         = 2,
  parameter int FD          = 32,
  parameter int FD0         = 16,
  parameter int CHUNK_BEATS = 16
) (
  input logic               clk_i,
  input logic               rst_ni,
  input logic [NRC-1:0]     rc_cmd_valid_i,
  input logic [NRC-1:0]     rc_cmd_ready_o,
  input logic [NRC*64-1:0]  rc_cmd_addr_i,
  input logic [NRC*32-1:0]  rc_cmd_len_i,
  input logic [NRC-1:0]     rc_busy_o,
  input logic [NRC-1:0]     rc_valid_o,
  input logic [NRC-1:0]     rc_ready_i,
  input logic [NWC-1:0]     wc_cmd_valid_i,
  input logic [NWC-1:0]     wc_cmd_ready_o,
  input logic [NWC*64-1:0]  wc_cmd_addr_i,
  input logic [NWC*32-1:0]  wc_cmd_len_i,
  input logic [NWC-1:0]     wc_busy_o,
  input logic [NWC-1:0]     wc_valid_i,
  input logic [NWC-1:0]     wc_ready_o,
  // the engines' ports
  input logic               rd_cmd_valid,
  input logic               rd_cmd_ready,
  input logic [63:0]        rd_cmd_addr,
  input logic [31:0]        rd_cmd_len,
  input logic               rd_busy,
  input logic               rd_out_valid,
  input logic               rd_out_ready,
  input logic               wr_cmd_valid,
  input logic               wr_cmd_ready,
  input logic [63:0]        wr_cmd_addr,
  input logic [31:0]        wr_cmd_len,
  input logic               wr_busy,
  input logic               wr_in_valid,
  input logic               wr_in_ready,
  input logic [127:0]       wr_in_data,
  // internal state
  input logic               r_act_q,
  input logic               w_act_q,
  input logic [$clog2(NRC > 1 ? NRC : 2)-1:0] r_own_q, r_rr_q, r_pick,
  input logic [$clog2(NWC > 1 ? NWC : 2)-1:0] w_own_q, w_rr_q, w_pick,
  input logic [NRC-1:0]     r_elig, r_elig_d,
  input logic [NWC-1:0]     w_elig, w_elig_d,
  input logic [4:0]         w_nb_q,
  input logic [NRC*64-1:0]  fv_r_addr,
  input logic [NRC*32-1:0]  fv_r_left,
  input logic [NRC*29-1:0]  fv_r_owed,
  input logic [NRC*8-1:0]   fv_r_cred,
  input logic [NRC*8-1:0]   fv_r_cnt,
  input logic [NWC*64-1:0]  fv_w_addr,
  input logic [NWC*32-1:0]  fv_w_left,
  input logic [NWC*29-1:0]  fv_w_in,
  input logic [NWC*8-1:0]   fv_w_cnt,
  input logic [NRC*16-1:0]  fv_r_chunk,
  input logic [NWC*16-1:0]  fv_w_chunk
);
`ifdef FV_ARB
  localparam int RCW = $clog2(NRC > 1 ? NRC : 2);
  localparam int WCW = $clog2(NWC > 1 ? NWC : 2);

  reg f_past = 1'b0;
  always @(posedge clk_i) f_past <= rst_ni;

  function automatic [28:0] beats(input [32:0] bytes);
    beats = 29'((bytes + 33'd15) >> 4);
  endfunction
  // the next chunk of a command with `left` bytes to go, as {beats[4:0], 2'b0, bytes[8:0]}
  // (what the DUT keeps in registers next to its byte count)
  localparam int CB = CHUNK_BEATS * 16;
  function automatic [15:0] chunk(input [31:0] left);
    logic [8:0] b;
    b = (left >= 32'(CB)) ? 9'(CB) : left[8:0];
    chunk = {5'(beats({24'd0, b})), 2'b00, b};
  endfunction

  wire rd_grant = rd_cmd_valid && rd_cmd_ready;
  wire wr_grant = wr_cmd_valid && wr_cmd_ready;
  wire rd_beat  = rd_out_valid && rd_out_ready;
  wire wr_beat  = wr_in_valid && wr_in_ready;

  // ------------------------------------------------------------------ the engines' contract
  reg [28:0] e_rd, e_wr;              // beats the read engine owes / the write engine still takes
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      e_rd <= '0;
      e_wr <= '0;
    end else begin
      if (rd_grant) e_rd <= beats({1'b0, rd_cmd_len});
      else if (rd_beat) e_rd <= e_rd - 29'd1;
      if (wr_grant) e_wr <= beats({1'b0, wr_cmd_len});
      else if (wr_beat) e_wr <= e_wr - 29'd1;
    end
  end
  always @(*) begin
    assume (rd_cmd_ready == !rd_busy);
    assume (rd_busy == (e_rd != 29'd0));
    if (rd_out_valid) assume (e_rd != 29'd0);
    assume (wr_cmd_ready == !wr_busy);
    if (e_wr != 29'd0) assume (wr_busy);
    if (wr_in_ready) assume (e_wr != 29'd0);
    if (!rst_ni) assume (!wr_busy);
  end
  always @(posedge clk_i)
    if (f_past && !$past(wr_busy) && wr_busy) assume ($past(wr_grant) && $past(wr_cmd_len) != 32'd0);

  // ------------------------------------------------------------------ read clients
  reg [64:0] r_end [NRC];             // end of the client's command (ghost)
  reg [63:0] r_base [NRC];
  reg [3:0]  r_pass [NRC];            // grants to others while this client was eligible
  for (genvar c = 0; c < NRC; c++) begin : g_r
    localparam int D = (c == 0) ? FD0 : FD;
    wire        acc   = rc_cmd_valid_i[c] && rc_cmd_ready_o[c];
    wire [63:0] addr  = fv_r_addr[c*64 +: 64];
    wire [31:0] left  = fv_r_left[c*32 +: 32];
    wire [28:0] owed  = fv_r_owed[c*29 +: 29];
    wire [7:0]  cred  = fv_r_cred[c*8 +: 8];
    wire [7:0]  cnt   = fv_r_cnt[c*8 +: 8];
    wire        own   = r_act_q && r_own_q == RCW'(c);
    wire [28:0] eng   = own ? e_rd : 29'd0;
    always @(posedge clk_i) begin
      if (!rst_ni) begin
        r_end[c] <= '0; r_base[c] <= '0; r_pass[c] <= '0;
      end else begin
        if (acc) begin
          r_base[c] <= rc_cmd_addr_i[c*64 +: 64];
          r_end[c]  <= {1'b0, rc_cmd_addr_i[c*64 +: 64]} + {33'd0, rc_cmd_len_i[c*32 +: 32]};
        end
        if (rd_grant && r_pick == RCW'(c)) r_pass[c] <= '0;
        else if (rd_grant && r_elig[c]) r_pass[c] <= r_pass[c] + 4'd1;
      end
    end
    // a command does not wrap the address space (the window check upstream guarantees it)
    always @(*) if (rst_ni && acc) assume ({1'b0, rc_cmd_addr_i[c*64 +: 64]} + {33'd0, rc_cmd_len_i[c*32 +: 32]} <= {1'b1, 64'd0});
    always @(*) if (rst_ni && f_past) begin
      // bookkeeping: beats owed = in the FIFO + still to come from the engine + not yet granted
      assert ({3'd0, owed} == {24'd0, cnt} + {3'd0, eng} + {3'd0, beats({1'b0, left})});   // r_owed_sum
      assert ({21'd0, cred} == {21'd0, cnt} + eng);   // r_cred_sum
      assert (cred <= 8'(D));   // r_cred_max
      // (at the command's end the address may wrap to 0 at 2^64: nothing is left then)
      if (left != '0) assert ({1'b0, addr} >= {1'b0, r_base[c]} && {1'b0, addr} + {33'd0, left} == r_end[c]
                              && r_end[c] <= {1'b1, 64'd0});   // r_range
      // the client contract
      assert (rc_cmd_ready_o[c] == !rc_busy_o[c] && rc_busy_o[c] == (owed != 29'd0));   // r_cmd_idle
      if (rc_valid_o[c]) assert (owed != 29'd0);   // r_valid_owed
      // fairness (and the round-robin distance that bounds it)
      assert (fv_r_chunk[c*16 +: 16] == chunk(left));   // r_chunk_regs
      if (r_elig[c]) assert (r_elig_d[c]);   // r_elig_safe: a registered eligibility still holds
      if (r_elig[c]) assert ({1'b0, r_pass[c]} + 5'((c + NRC - r_rr_q) % NRC) <= 5'(NRC - 1));   // r_wait
      if (!r_elig[c]) assert (r_pass[c] == 4'd0);
    end
  end
  always @(*) if (rst_ni && f_past) begin
    if (rd_grant) begin
      // the chunk lies in the client's command and its beats fit the client's FIFO
      r_chunk: assert (rd_cmd_len != 32'd0 && {1'b0, rd_cmd_addr} >= {1'b0, r_base[r_pick]}
                       && {1'b0, rd_cmd_addr} + {33'd0, rd_cmd_len} <= r_end[r_pick]);
    end
    if (!r_act_q) r_idle_eng: assert (e_rd == 29'd0);
    // the read engine never waits for a client
    if (rd_out_valid) r_full_rate: assert (rd_out_ready && r_act_q);
  end

  // ------------------------------------------------------------------ write clients
  reg [64:0] w_end [NWC];
  reg [63:0] w_base [NWC];
  reg [3:0]  w_pass [NWC];
  for (genvar c = 0; c < NWC; c++) begin : g_w
    wire        acc   = wc_cmd_valid_i[c] && wc_cmd_ready_o[c];
    wire [63:0] addr  = fv_w_addr[c*64 +: 64];
    wire [31:0] left  = fv_w_left[c*32 +: 32];
    wire [28:0] inq   = fv_w_in[c*29 +: 29];
    wire [7:0]  cnt   = fv_w_cnt[c*8 +: 8];
    wire        own   = w_act_q && w_own_q == WCW'(c);
    wire [28:0] eng   = own ? e_wr : 29'd0;
    always @(posedge clk_i) begin
      if (!rst_ni) begin
        w_end[c] <= '0; w_base[c] <= '0; w_pass[c] <= '0;
      end else begin
        if (acc) begin
          w_base[c] <= wc_cmd_addr_i[c*64 +: 64];
          w_end[c]  <= {1'b0, wc_cmd_addr_i[c*64 +: 64]} + {33'd0, wc_cmd_len_i[c*32 +: 32]};
        end
        if (wr_grant && w_pick == WCW'(c)) w_pass[c] <= '0;
        else if (wr_grant && w_elig[c]) w_pass[c] <= w_pass[c] + 4'd1;
      end
    end
    always @(*) if (rst_ni && acc) assume ({1'b0, wc_cmd_addr_i[c*64 +: 64]} + {33'd0, wc_cmd_len_i[c*32 +: 32]} <= {1'b1, 64'd0});
    always @(*) if (rst_ni && f_past) begin
      // beats not yet written = in the FIFO + still to take = not yet granted + the engine's share
      assert ({3'd0, inq} + {24'd0, cnt} == {3'd0, beats({1'b0, left})} + {3'd0, eng});   // w_sum
      // the data of the chunk with the engine is all in the FIFO
      if (own) assert ({21'd0, cnt} >= e_wr && e_wr == {24'd0, w_nb_q});   // w_data
      if (left != '0) assert ({1'b0, addr} >= {1'b0, w_base[c]} && {1'b0, addr} + {33'd0, left} == w_end[c]
                              && w_end[c] <= {1'b1, 64'd0});   // w_range
      assert (wc_cmd_ready_o[c] == !wc_busy_o[c]);   // w_cmd_idle
      if (wc_ready_o[c]) assert (inq != 29'd0);   // w_ready_owed
      assert (fv_w_chunk[c*16 +: 16] == chunk(left));   // w_chunk_regs
      if (w_elig[c]) assert (w_elig_d[c]);   // w_elig_safe
      if (w_elig[c]) assert ({1'b0, w_pass[c]} + 5'((c + NWC - w_rr_q) % NWC) <= 5'(NWC - 1));   // w_wait
      if (!w_elig[c]) assert (w_pass[c] == 4'd0);
    end
    // busy only by a command of a non-zero length
    always @(posedge clk_i)
      if (f_past && rst_ni && $past(rst_ni) && !$past(wc_busy_o[c]) && wc_busy_o[c])
        assert ($past(acc) && $past(wc_cmd_len_i[c*32 +: 32]) != 32'd0);   // w_busy_cmd
  end
  always @(*) if (rst_ni && f_past) begin
    if (wr_grant)
      w_chunk: assert (wr_cmd_len != 32'd0 && {1'b0, wr_cmd_addr} >= {1'b0, w_base[w_pick]}
                       && {1'b0, wr_cmd_addr} + {33'd0, wr_cmd_len} <= w_end[w_pick]);
    if (!w_act_q) w_idle_eng: assert (e_wr == 29'd0);
    // the write engine never waits for data
    if (e_wr != 29'd0) w_full_rate: assert (wr_in_valid);
  end
  // the write engine's input stream: valid until ready, stable data
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(wr_in_valid && !wr_in_ready)) begin
      w_hold:   assert (wr_in_valid);
      w_stable: assert ($stable(wr_in_data));
    end

  always @(*) begin
    c_rd_two: cover (rst_ni && rd_grant && r_pass[0] != 4'd0);
    c_wr_two: cover (rst_ni && wr_grant && w_pass[0] != 4'd0);
  end
`endif
endmodule

`default_nettype wire
