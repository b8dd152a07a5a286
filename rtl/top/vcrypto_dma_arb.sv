// vcrypto_dma_arb: the accelerator's DMA, shared by several clients (the submission fetch,
// the completion writer and every crypto lane): one AXI read engine (vcrypto_dma_rd) and one
// AXI write engine (vcrypto_dma_wr) behind per-client command ports, each with the interface
// of a DMA engine of its own (command taken when idle, busy while beats are owed, err held
// until the next command, the same packed 16-byte streams).
//
// Sharing is by chunks: a client's command [addr, addr+len) is cut into chunks of
// CHUNK_BEATS*16 bytes (the last one shorter), chunk k starting at addr + k*CHUNK_BEATS*16, so
// every chunk but the last is a whole number of 16-byte beats and the chunks' packed streams
// concatenate to the command's packed stream. A round-robin arbiter per direction hands the
// engine to one chunk at a time, and only to a chunk that can run at the engine's full rate:
//   read:  the client's FIFO has room for every beat of the chunk (credits: beats in the FIFO
//          plus beats granted and not yet arrived), so the read engine never waits for a
//          slow consumer;
//   write: the client's FIFO already holds every beat of the chunk, so the write engine never
//          waits for a slow producer.
// Timing: eligibility is registered (a client becomes eligible one clock after its credits or
// FIFO allow it; a grant clears it for one clock), and each client's next chunk size is kept
// in registers next to its byte count, so the arbiter's clock path is the round-robin pick
// and the command mux only (the lengths' arithmetic runs from registers to registers).
// A stale eligibility is never unsafe: between two clocks a client's credits only fall and
// its FIFO only fills (apart from its own grant, which clears it).
// So a grant occupies the engine for one chunk's AXI time (its beats plus the memory's
// latency, independent of the clients' crypto rates), and an eligible client is granted
// within NC-1 other chunks (round robin): bounded wait, no starvation by long requests.
// Clients consume/produce at their own pace through their FIFOs (depth FD, or FD0 for
// client 0); FD >= 2*CHUNK_BEATS lets a client's next chunk move while it works on the last.
// An AXI error response on any chunk sets that client's err (after the transfer ran to its
// end, as the engines do).
`default_nettype none

module vcrypto_dma_arb
#(
  parameter int NRC         = 2,    // read clients
  parameter int NWC         = 2,    // write clients
  parameter int FD          = 32,   // FIFO depth (beats) of clients 1..N-1
  parameter int FD0         = 16,   // FIFO depth of client 0 (both directions); >= CHUNK_BEATS
  parameter int CHUNK_BEATS = 16    // beats per chunk (power of two, 1..16)
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // read clients: client c at [c*W +: W]
  input  logic [NRC-1:0]     rc_cmd_valid_i,
  output logic [NRC-1:0]     rc_cmd_ready_o,
  input  logic [NRC*64-1:0]  rc_cmd_addr_i,
  input  logic [NRC*32-1:0]  rc_cmd_len_i,
  output logic [NRC-1:0]     rc_busy_o,
  output logic [NRC-1:0]     rc_err_o,
  output logic [NRC-1:0]     rc_valid_o,
  input  logic [NRC-1:0]     rc_ready_i,
  output logic [NRC*128-1:0] rc_data_o,
  // write clients
  input  logic [NWC-1:0]     wc_cmd_valid_i,
  output logic [NWC-1:0]     wc_cmd_ready_o,
  input  logic [NWC*64-1:0]  wc_cmd_addr_i,
  input  logic [NWC*32-1:0]  wc_cmd_len_i,
  output logic [NWC-1:0]     wc_busy_o,
  output logic [NWC-1:0]     wc_err_o,
  input  logic [NWC-1:0]     wc_valid_i,
  output logic [NWC-1:0]     wc_ready_o,
  input  logic [NWC*128-1:0] wc_data_i,
  output logic              idle_o,
  // AXI4 master (one ID: every response returns in order)
  output logic              m_axi_arid,
  output logic              m_axi_arvalid,
  input  logic              m_axi_arready,
  output logic [63:0]       m_axi_araddr,
  output logic [7:0]        m_axi_arlen,
  output logic [2:0]        m_axi_arsize,
  output logic [1:0]        m_axi_arburst,
  input  logic              m_axi_rid,
  input  logic              m_axi_rvalid,
  output logic              m_axi_rready,
  input  logic [127:0]      m_axi_rdata,
  input  logic [1:0]        m_axi_rresp,
  input  logic              m_axi_rlast,
  output logic              m_axi_awid,
  output logic              m_axi_awvalid,
  input  logic              m_axi_awready,
  output logic [63:0]       m_axi_awaddr,
  output logic [7:0]        m_axi_awlen,
  output logic [2:0]        m_axi_awsize,
  output logic [1:0]        m_axi_awburst,
  output logic              m_axi_wvalid,
  input  logic              m_axi_wready,
  output logic [127:0]      m_axi_wdata,
  output logic [15:0]       m_axi_wstrb,
  output logic              m_axi_wlast,
  input  logic              m_axi_bid,
  input  logic              m_axi_bvalid,
  output logic              m_axi_bready,
  input  logic [1:0]        m_axi_bresp
);
  localparam int CB   = CHUNK_BEATS * 16;          // chunk bytes
  localparam int CL   = $clog2(CB);                // log2(chunk bytes)
  localparam int RCW  = (NRC > 1) ? $clog2(NRC) : 1;
  localparam int WCW  = (NWC > 1) ? $clog2(NWC) : 1;
  localparam int DMAX = (FD > FD0) ? FD : FD0;
  localparam int DW   = $clog2(DMAX) + 1;          // width of a FIFO count / credit

  if (NRC < 1 || NRC > 16 || NWC < 1 || NWC > 16 || FD > 128 || CHUNK_BEATS < 1 || CHUNK_BEATS > 16 || (1 << $clog2(CHUNK_BEATS)) != CHUNK_BEATS
      || FD < CHUNK_BEATS || FD0 < CHUNK_BEATS) begin : g_bad_params
    $error("vcrypto_dma_arb: NRC, NWC 1..16; FD <= 128; CHUNK_BEATS a power of two 1..16; FD, FD0 >= CHUNK_BEATS");
  end

  // the next chunk of a command with `left` bytes still to go: its bytes and its beats
  function automatic logic [CL:0] chunk_bytes(input logic [31:0] left);
    chunk_bytes = (left >> CL) != '0 ? (CL + 1)'(CB) : {1'b0, left[CL-1:0]};
  endfunction
  function automatic logic [4:0] chunk_beats(input logic [31:0] left);
    logic [CL:0] b;
    b = chunk_bytes(left);
    chunk_beats = 5'((b + (CL + 1)'(15)) >> 4);
  endfunction

  // first set bit of `v` (n bits) at or after position `from`, wrapping (round robin)
  function automatic logic [3:0] rr_pick(input logic [15:0] v, input logic [3:0] from, input logic [4:0] n);
    rr_pick = from;
    for (int i = 15; i >= 0; i--) begin
      logic [4:0] k;
      k = {1'b0, from} + 5'(i);
      if (k >= n) k = k - n;
      if (5'(i) < n && v[k[3:0]]) rr_pick = k[3:0];
    end
  endfunction

  // ================================================================ read side
  logic         rd_cmd_valid, rd_cmd_ready, rd_busy, rd_err, rd_out_valid, rd_out_ready, rd_out_last;
  logic [63:0]  rd_cmd_addr;
  logic [31:0]  rd_cmd_len;
  logic [127:0] rd_out_data;
  logic [4:0]   rd_out_bytes;

  logic [63:0]  r_addr_q [NRC];      // next chunk's address
  logic [31:0]  r_left_q [NRC];      // bytes not yet granted
  logic [28:0]  r_owed_q [NRC];      // beats the client has still to take
  logic [DW-1:0] r_cred_q [NRC];     // FIFO beats in use or promised to a granted chunk
  logic [CL:0]  r_cbytes_q [NRC];    // chunk_bytes(r_left_q): the next chunk's bytes
  logic [4:0]   r_cbeats_q [NRC];    // chunk_beats(r_left_q): its beats
  logic [NRC-1:0] r_err_q;
  logic [NRC-1:0] r_elig, r_elig_d;  // r_elig: registered (r_elig_d one clock earlier)
  logic [RCW-1:0] r_rr_q, r_own_q, r_pick;
  logic         r_act_q;             // a chunk is with the read engine (owner r_own_q)
  logic [NRC-1:0] r_fifo_empty, r_fifo_full, r_push, r_pop;
  logic [NRC*128-1:0] r_fifo_data;

  for (genvar c = 0; c < NRC; c++) begin : g_rc
    localparam int D = (c == 0) ? FD0 : FD;
    logic [$clog2(D):0] cnt;
    vcrypto_fifo #(.W(128), .DEPTH(D)) u_fifo (
      .clk_i, .rst_ni,
      .push_i (r_push[c]), .data_i (rd_out_data),
      .pop_i (r_pop[c]), .data_o (r_fifo_data[c*128 +: 128]),
      .empty_o (r_fifo_empty[c]), .full_o (r_fifo_full[c]), .count_o (cnt)
    );
    assign r_elig_d[c]     = r_left_q[c] != '0 && 8'(r_cred_q[c]) + 8'(r_cbeats_q[c]) <= 8'(D);
    assign r_push[c]       = rd_out_valid && rd_out_ready && r_own_q == RCW'(c);
    assign r_pop[c]        = rc_valid_o[c] && rc_ready_i[c];
    assign rc_valid_o[c]   = !r_fifo_empty[c];
    assign rc_data_o[c*128 +: 128] = r_fifo_data[c*128 +: 128];
    assign rc_busy_o[c]    = r_owed_q[c] != '0;
    assign rc_cmd_ready_o[c] = r_owed_q[c] == '0;
    assign rc_err_o[c]     = r_err_q[c];
    logic unused_cnt;
    assign unused_cnt = ^cnt;
  end

  assign r_pick       = RCW'(rr_pick(16'(r_elig), 4'(r_rr_q), 5'(NRC)));
  assign rd_cmd_valid = r_elig != '0;
  assign rd_cmd_addr  = r_addr_q[r_pick];
  assign rd_cmd_len   = 32'(r_cbytes_q[r_pick]);
  assign rd_out_ready = !r_fifo_full[r_own_q];        // never low: credits reserve the room

  // The simulation view's clock gate of the read side's registers (rtl/README.md, "Views"; as
  // synthesised a wire). They move only with a chunk at the engine, an eligibility to register
  // (a grant follows), a command offered or a beat popped: a client whose FIFO is full waits
  // without a clock until it takes a beat.
  logic r_clk;
  vcrypto_clock_gate #(.HOLD(0)) u_rd_clock (
    .clk_i, .rst_ni,
    .busy_i  (r_act_q || r_elig != '0 || r_elig_d != '0),
    .event_i (rc_cmd_valid_i != '0 || r_pop != '0),
    .clk_o   (r_clk)
  );

  always_ff @(posedge r_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int c = 0; c < NRC; c++) begin
        r_addr_q[c] <= '0; r_left_q[c] <= '0; r_owed_q[c] <= '0; r_cred_q[c] <= '0;
        r_cbytes_q[c] <= '0; r_cbeats_q[c] <= '0;
      end
      r_err_q <= '0; r_rr_q <= '0; r_own_q <= '0; r_act_q <= 1'b0; r_elig <= '0;
    end else begin
      // the chunk with the engine has finished: its error belongs to its client
      if (r_act_q && !rd_busy) begin
        r_act_q <= 1'b0;
        if (rd_err) r_err_q[r_own_q] <= 1'b1;
      end
      for (int c = 0; c < NRC; c++) begin
        logic [DW-1:0] cred;
        logic [31:0]   after;          // bytes left after this client's next chunk
        logic          grant;
        cred  = r_cred_q[c];
        after = r_left_q[c] - 32'(r_cbytes_q[c]);
        grant = rd_cmd_valid && rd_cmd_ready && r_pick == RCW'(c);
        r_elig[c] <= r_elig_d[c] && !grant;
        if (rc_cmd_valid_i[c] && rc_cmd_ready_o[c]) begin
          r_addr_q[c]   <= rc_cmd_addr_i[c*64 +: 64];
          r_left_q[c]   <= rc_cmd_len_i[c*32 +: 32];
          r_cbytes_q[c] <= chunk_bytes(rc_cmd_len_i[c*32 +: 32]);
          r_cbeats_q[c] <= chunk_beats(rc_cmd_len_i[c*32 +: 32]);
          r_owed_q[c] <= 29'(({1'b0, rc_cmd_len_i[c*32 +: 32]} + 33'd15) >> 4);
          r_err_q[c]  <= 1'b0;
        end else if (r_pop[c]) begin
          r_owed_q[c] <= r_owed_q[c] - 29'd1;
        end
        if (grant) begin
          r_addr_q[c]   <= r_addr_q[c] + 64'(r_cbytes_q[c]);
          r_left_q[c]   <= after;
          r_cbytes_q[c] <= chunk_bytes(after);
          r_cbeats_q[c] <= chunk_beats(after);
          cred = cred + DW'(r_cbeats_q[c]);
        end
        if (r_pop[c]) cred = cred - DW'(1);
        r_cred_q[c] <= cred;
      end
      if (rd_cmd_valid && rd_cmd_ready) begin
        r_own_q <= r_pick;
        r_act_q <= 1'b1;
        r_rr_q  <= (r_pick == RCW'(NRC - 1)) ? '0 : r_pick + RCW'(1);
      end
    end
  end

  vcrypto_dma_rd u_rd (
    .clk_i, .rst_ni,
    .cmd_valid_i (rd_cmd_valid), .cmd_ready_o (rd_cmd_ready), .cmd_addr_i (rd_cmd_addr),
    .cmd_len_i (rd_cmd_len), .busy_o (rd_busy), .err_o (rd_err),
    .out_valid_o (rd_out_valid), .out_ready_i (rd_out_ready), .out_data_o (rd_out_data),
    .out_bytes_o (rd_out_bytes), .out_last_o (rd_out_last),
    .m_axi_arvalid, .m_axi_arready, .m_axi_araddr, .m_axi_arlen, .m_axi_arsize, .m_axi_arburst,
    .m_axi_rvalid, .m_axi_rready, .m_axi_rdata, .m_axi_rresp, .m_axi_rlast
  );

  // ================================================================ write side
  logic         wr_cmd_valid, wr_cmd_ready, wr_busy, wr_err, wr_in_valid, wr_in_ready;
  logic [63:0]  wr_cmd_addr;
  logic [31:0]  wr_cmd_len;
  logic [127:0] wr_in_data;

  logic [63:0]  w_addr_q [NWC];      // next chunk's address
  logic [31:0]  w_left_q [NWC];      // bytes not yet granted
  logic [28:0]  w_in_q   [NWC];      // beats still to take from the client
  logic [CL:0]  w_cbytes_q [NWC];    // chunk_bytes(w_left_q): the next chunk's bytes
  logic [4:0]   w_cbeats_q [NWC];    // chunk_beats(w_left_q): its beats
  logic [NWC-1:0] w_err_q;
  logic [NWC-1:0] w_elig, w_elig_d;  // w_elig: registered (w_elig_d one clock earlier)
  logic [WCW-1:0] w_rr_q, w_own_q, w_pick;
  logic         w_act_q;             // a chunk is with the write engine (owner w_own_q)
  logic [4:0]   w_nb_q;              // beats of that chunk the engine has still to take
  logic [NWC-1:0] w_fifo_empty, w_fifo_full, w_push, w_pop;
  logic [NWC*128-1:0] w_fifo_data;

  for (genvar c = 0; c < NWC; c++) begin : g_wc
    localparam int D = (c == 0) ? FD0 : FD;
    logic [$clog2(D):0] cnt;
    vcrypto_fifo #(.W(128), .DEPTH(D)) u_fifo (
      .clk_i, .rst_ni,
      .push_i (w_push[c]), .data_i (wc_data_i[c*128 +: 128]),
      .pop_i (w_pop[c]), .data_o (w_fifo_data[c*128 +: 128]),
      .empty_o (w_fifo_empty[c]), .full_o (w_fifo_full[c]), .count_o (cnt)
    );
    // (beats of its chunk still with the engine do not count for the next one)
    assign w_elig_d[c]     = w_left_q[c] != '0
                             && 8'(cnt) >= 8'(w_cbeats_q[c]) + ((w_act_q && w_own_q == WCW'(c)) ? 8'(w_nb_q) : 8'd0);
    assign wc_ready_o[c]   = w_in_q[c] != '0 && !w_fifo_full[c];
    assign w_push[c]       = wc_valid_i[c] && wc_ready_o[c];
    assign w_pop[c]        = wr_in_valid && wr_in_ready && w_own_q == WCW'(c);
    assign wc_busy_o[c]    = w_left_q[c] != '0 || w_in_q[c] != '0 || !w_fifo_empty[c] || (w_act_q && w_own_q == WCW'(c));
    assign wc_cmd_ready_o[c] = !wc_busy_o[c];
    assign wc_err_o[c]     = w_err_q[c];
  end

  assign w_pick       = WCW'(rr_pick(16'(w_elig), 4'(w_rr_q), 5'(NWC)));
  assign wr_cmd_valid = w_elig != '0;
  assign wr_cmd_addr  = w_addr_q[w_pick];
  assign wr_cmd_len   = 32'(w_cbytes_q[w_pick]);
  // valid only for the beats the engine still takes (then held until it takes them)
  assign wr_in_valid  = w_act_q && w_nb_q != '0 && !w_fifo_empty[w_own_q];
  assign wr_in_data   = w_fifo_data[w_own_q*128 +: 128];

  // The write side's gate, the same way: a chunk at the engine, an eligibility to register, a
  // command offered or a beat pushed.
  logic w_clk;
  vcrypto_clock_gate #(.HOLD(0)) u_wr_clock (
    .clk_i, .rst_ni,
    .busy_i  (w_act_q || w_elig != '0 || w_elig_d != '0),
    .event_i (wc_cmd_valid_i != '0 || w_push != '0),
    .clk_o   (w_clk)
  );

  always_ff @(posedge w_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int c = 0; c < NWC; c++) begin
        w_addr_q[c] <= '0; w_left_q[c] <= '0; w_in_q[c] <= '0;
        w_cbytes_q[c] <= '0; w_cbeats_q[c] <= '0;
      end
      w_err_q <= '0; w_rr_q <= '0; w_own_q <= '0; w_act_q <= 1'b0; w_nb_q <= '0; w_elig <= '0;
    end else begin
      if (w_act_q && !wr_busy) begin
        w_act_q <= 1'b0;
        if (wr_err) w_err_q[w_own_q] <= 1'b1;
      end
      for (int c = 0; c < NWC; c++) begin
        logic [31:0] after;            // bytes left after this client's next chunk
        logic        grant;
        after = w_left_q[c] - 32'(w_cbytes_q[c]);
        grant = wr_cmd_valid && wr_cmd_ready && w_pick == WCW'(c);
        w_elig[c] <= w_elig_d[c] && !grant;
        if (wc_cmd_valid_i[c] && wc_cmd_ready_o[c]) begin
          w_addr_q[c]   <= wc_cmd_addr_i[c*64 +: 64];
          w_left_q[c]   <= wc_cmd_len_i[c*32 +: 32];
          w_cbytes_q[c] <= chunk_bytes(wc_cmd_len_i[c*32 +: 32]);
          w_cbeats_q[c] <= chunk_beats(wc_cmd_len_i[c*32 +: 32]);
          w_in_q[c]   <= 29'(({1'b0, wc_cmd_len_i[c*32 +: 32]} + 33'd15) >> 4);
          w_err_q[c]  <= 1'b0;
        end else if (w_push[c]) begin
          w_in_q[c] <= w_in_q[c] - 29'd1;
        end
        if (grant) begin
          w_addr_q[c]   <= w_addr_q[c] + 64'(w_cbytes_q[c]);
          w_left_q[c]   <= after;
          w_cbytes_q[c] <= chunk_bytes(after);
          w_cbeats_q[c] <= chunk_beats(after);
        end
      end
      if (wr_in_valid && wr_in_ready) w_nb_q <= w_nb_q - 5'd1;
      if (wr_cmd_valid && wr_cmd_ready) begin
        w_own_q <= w_pick;
        w_act_q <= 1'b1;
        w_nb_q  <= w_cbeats_q[w_pick];
        w_rr_q  <= (w_pick == WCW'(NWC - 1)) ? '0 : w_pick + WCW'(1);
      end
    end
  end

  vcrypto_dma_wr u_wr (
    .clk_i, .rst_ni,
    .cmd_valid_i (wr_cmd_valid), .cmd_ready_o (wr_cmd_ready), .cmd_addr_i (wr_cmd_addr),
    .cmd_len_i (wr_cmd_len), .busy_o (wr_busy), .err_o (wr_err),
    .in_valid_i (wr_in_valid), .in_ready_o (wr_in_ready), .in_data_i (wr_in_data),
    .m_axi_awvalid, .m_axi_awready, .m_axi_awaddr, .m_axi_awlen, .m_axi_awsize, .m_axi_awburst,
    .m_axi_wvalid, .m_axi_wready, .m_axi_wdata, .m_axi_wstrb, .m_axi_wlast,
    .m_axi_bvalid, .m_axi_bready, .m_axi_bresp
  );

  assign idle_o = rc_busy_o == '0 && wc_busy_o == '0 && !r_act_q && !w_act_q && !rd_busy && !wr_busy;

  assign m_axi_arid = 1'b0;
  assign m_axi_awid = 1'b0;

  // Framing comes from the byte counts (the chunk lengths); one ID, in-order responses.
  logic unused_rd;
  assign unused_rd = ^{rd_out_bytes, rd_out_last, m_axi_rid, m_axi_bid};

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_dma_arb_fv.sv); never synthesised or simulated
  logic [NRC*64-1:0] fv_r_addr;
  logic [NRC*32-1:0] fv_r_left;
  logic [NRC*29-1:0] fv_r_owed;
  logic [NRC*8-1:0]  fv_r_cred, fv_r_cnt;
  logic [NWC*64-1:0] fv_w_addr;
  logic [NWC*32-1:0] fv_w_left;
  logic [NWC*29-1:0] fv_w_in;
  logic [NWC*8-1:0]  fv_w_cnt;
  logic [NRC*16-1:0] fv_r_chunk;
  logic [NWC*16-1:0] fv_w_chunk;
  for (genvar c = 0; c < NRC; c++) begin : g_fv_r
    assign fv_r_chunk[c*16 +: 16] = {r_cbeats_q[c], 2'b00, 9'(r_cbytes_q[c])};
    assign fv_r_addr[c*64 +: 64] = r_addr_q[c];
    assign fv_r_left[c*32 +: 32] = r_left_q[c];
    assign fv_r_owed[c*29 +: 29] = r_owed_q[c];
    assign fv_r_cred[c*8 +: 8]   = 8'(r_cred_q[c]);
    assign fv_r_cnt[c*8 +: 8]    = 8'(g_rc[c].cnt);
  end
  for (genvar c = 0; c < NWC; c++) begin : g_fv_w
    assign fv_w_chunk[c*16 +: 16] = {w_cbeats_q[c], 2'b00, 9'(w_cbytes_q[c])};
    assign fv_w_addr[c*64 +: 64] = w_addr_q[c];
    assign fv_w_left[c*32 +: 32] = w_left_q[c];
    assign fv_w_in[c*29 +: 29]   = w_in_q[c];
    assign fv_w_cnt[c*8 +: 8]    = 8'(g_wc[c].cnt);
  end
  vcrypto_dma_arb_fv #(.NRC(NRC), .NWC(NWC), .FD(FD), .FD0(FD0), .CHUNK_BEATS(CHUNK_BEATS)) u_fv (.*);
`endif

endmodule

`default_nettype wire
