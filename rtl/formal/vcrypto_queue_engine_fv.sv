// Formal properties of vcrypto_queue_engine, checked in the harness fv_queue_engine.sv (the
// real vcrypto_csr in front, the crypto engines abstracted by fv_engine_stubs.sv, the DMA
// engines replaced by their proved stream contract). Bound into the DUT by the `ifdef FORMAL`
// instance at the end of rtl/top/vcrypto_queue_engine.sv (ports by name, .*).
// Active only in that job (FV_QE); elsewhere it is empty.
`default_nettype none

module vcrypto_queue_engine_fv #(
  parameter int NQ = 4
) (
  input logic             clk_i,
  input logic             rst_ni,
  input logic             enable_i,
  input logic [63:0]      win_base_i,
  input logic [63:0]      win_size_i,
  input logic [NQ*64-1:0] sq_base_i,
  input logic [NQ*4-1:0]  sq_log2_i,
  input logic [NQ*16-1:0] sq_head_i,
  input logic [NQ*16-1:0] sq_tail_i,
  input logic [NQ*64-1:0] cq_base_i,
  input logic [NQ*4-1:0]  cq_log2_i,
  input logic [NQ*16-1:0] cq_head_i,
  input logic [NQ*16-1:0] cq_tail_i,
  input logic [NQ-1:0]    sq_pop_o,
  input logic [NQ-1:0]    cq_push_o,
  input logic             rd_cmd_valid_o,
  input logic             rd_cmd_ready_i,
  input logic [63:0]      rd_cmd_addr_o,
  input logic [31:0]      rd_cmd_len_o,
  input logic             rd_busy_i,
  input logic             rd_valid_i,
  input logic             rd_ready_o,
  input logic             wr_cmd_valid_o,
  input logic             wr_cmd_ready_i,
  input logic [63:0]      wr_cmd_addr_o,
  input logic [31:0]      wr_cmd_len_o,
  input logic             wr_busy_i,
  input logic             wr_valid_o,
  input logic             wr_ready_i,
  input logic [127:0]     wr_data_o,
  // internal state
  input logic [4:0]       state_q,
  input logic [1:0]       q_q,
  input logic [64:0]      win_end_q,
  input logic             idle_o,
  input logic [63:0]      cqe_addr_r,
  input logic [1:0]       settle_q,
  input logic [NQ-1:0]    pending_q,
  input logic [NQ-1:0]    eligible_q,
  input logic [63:0]      sqe_addr0, sqe_addr1, sqe_addr2, sqe_addr3,   // sqe_addr_q[0..3]
  input logic [63:0]      cqe_addr0, cqe_addr1, cqe_addr2, cqe_addr3,   // cqe_addr_q[0..3]
  input logic [63:0]      ctx_addr_q,
  input logic [63:0]      src_addr_q,
  input logic [63:0]      dst_addr_q,
  input logic [63:0]      dig_addr_q,
  input logic [31:0]      src_len_q,
  input logic [7:0]       digest_len_q,
  input logic             need_cipher,
  input logic             need_hash
);
`ifdef FV_QE
  // state_e of vcrypto_queue_engine, in declaration order
  localparam logic [4:0] S_IDLE = 5'd0, S_SQE_CMD = 5'd1, S_SQE_DATA = 5'd2, S_SQE_CHECK = 5'd3,
                         S_CTX_CMD = 5'd4, S_CFG = 5'd7, S_DIG_WAIT = 5'd14,
                         S_CQE_CMD = 5'd15, S_CQE_DATA = 5'd16, S_DONE = 5'd18, S_SCRUB = 5'd19;

  reg f_past = 1'b0, f_past2 = 1'b0;       // one / two clocks after the reset clock
  always @(posedge clk_i) begin
    f_past  <= rst_ni;
    f_past2 <= f_past;
  end

  function automatic [15:0] rmask(input [3:0] l2);
    rmask = 16'((17'd1 << l2) - 17'd1);
  endfunction

  wire rd_cmd_fire = rd_cmd_valid_o && rd_cmd_ready_i;
  wire wr_cmd_fire = wr_cmd_valid_o && wr_cmd_ready_i;
  wire rd_fire     = rd_valid_i && rd_ready_o;
  wire wr_fire     = wr_valid_o && wr_ready_i;

  // ------------------------------------------------------------------ DMA engines: their contract
  // (asserted on vcrypto_dma_rd / vcrypto_dma_wr by the dma_rd / dma_wr jobs): a command is taken
  // only while idle; the read engine is busy exactly while it owes output beats (one per 16
  // bytes); the write engine takes at most one beat per 16 bytes and stays busy while it still
  // wants some, becomes busy only by a command, and may stay busy any time longer (B responses).
  reg [28:0] g_rd_left, g_wr_left;
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      g_rd_left <= '0;
      g_wr_left <= '0;
    end else begin
      if (rd_cmd_fire) g_rd_left <= 29'(({1'b0, rd_cmd_len_o} + 33'd15) >> 4);
      else if (rd_fire) g_rd_left <= g_rd_left - 29'd1;
      if (wr_cmd_fire) g_wr_left <= 29'(({1'b0, wr_cmd_len_o} + 33'd15) >> 4);
      else if (wr_fire) g_wr_left <= g_wr_left - 29'd1;
    end
  end
  always @(*) begin
    assume (rd_cmd_ready_i == !rd_busy_i);
    assume (rd_busy_i == (g_rd_left != 29'd0));
    if (rd_valid_i) assume (g_rd_left != 29'd0);
    assume (wr_cmd_ready_i == !wr_busy_i);
    if (g_wr_left != 29'd0) assume (wr_busy_i);
    if (wr_ready_i) assume (g_wr_left != 29'd0);
  end
  always @(*) if (!rst_ni) assume (!wr_busy_i);
  always @(posedge clk_i)
    if (f_past && !$past(wr_busy_i) && wr_busy_i)
      assume ($past(wr_cmd_fire) && $past(wr_cmd_len_o) != 32'd0);

  // ------------------------------------------------------------------ ghost: the entry in flight
  // f_open: a submission entry was fetched (its 64-byte read command went out) and has no
  // completion yet; f_q: its queue; f_popped: its SQ_HEAD advance happened; f_cqe: its
  // completion entry's write command went out.
  reg       f_open, f_popped, f_cqe;
  reg [1:0] f_q;
  wire fetch   = rd_cmd_fire && state_q == S_SQE_CMD;
  wire cqe_cmd = wr_cmd_fire && state_q == S_CQE_CMD;
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      f_open <= 1'b0; f_popped <= 1'b0; f_cqe <= 1'b0; f_q <= '0;
    end else begin
      if (fetch) begin
        f_open <= 1'b1; f_popped <= 1'b0; f_cqe <= 1'b0; f_q <= q_q;
      end
      if (sq_pop_o != '0) f_popped <= 1'b1;
      if (cqe_cmd) f_cqe <= 1'b1;
      if (cq_push_o != '0) f_open <= 1'b0;
    end
  end

  // the queue's ring state, as the CSRs show it now
  wire [63:0] sqb = sq_base_i[f_q*64 +: 64], cqb = cq_base_i[f_q*64 +: 64];
  wire [3:0]  sl  = sq_log2_i[f_q*4 +: 4],   cl  = cq_log2_i[f_q*4 +: 4];
  wire [15:0] sh  = sq_head_i[f_q*16 +: 16], ch  = cq_head_i[f_q*16 +: 16], ct = cq_tail_i[f_q*16 +: 16];
  wire [63:0] qq_sqb = sq_base_i[q_q*64 +: 64];
  wire [15:0] qq_sh  = sq_head_i[q_q*16 +: 16];
  wire        cq_room = cl != 4'd0 && ((ct + 16'd1) & rmask(cl)) != ch;   // the ring is not full

  // ------------------------------------------------------------------ exactly one completion per fetched entry
  always @(*) if (rst_ni) begin
    if (fetch) begin
      one_fetch:   assert (!f_open);                         // no new entry before the last one completed
`ifndef FV_QE_STREAM
      fetch_slot:  assert (rd_cmd_addr_o == qq_sqb + {42'd0, qq_sh, 6'd0} && rd_cmd_len_o == 32'd64);
`endif
    end
    if (sq_pop_o != '0) begin
      one_pop:     assert (f_open && !f_popped && sq_pop_o == (4'd1 << f_q));
    end
    if (cqe_cmd) begin
      one_cqe:     assert (f_open && !f_cqe);
      // the completion goes to the slot at CQ_TAIL of the entry's queue, which is not full
`ifndef FV_QE_STREAM
      cqe_slot:    assert (wr_cmd_addr_o == cqb + {44'd0, ct, 4'd0} && wr_cmd_len_o == 32'd16);
`endif
`ifndef FV_QE_STREAM
      cqe_room:    assert (cq_room);
`endif
    end
    if (cq_push_o != '0) begin
      one_push:    assert (f_open && f_popped && f_cqe && cq_push_o == (4'd1 << f_q));
`ifndef FV_QE_STREAM
      push_room:   assert (cq_room);
`endif
    end
    // back in IDLE only with the entry completed (its push pulse is this clock's output)
    if (state_q == S_IDLE && f_open) done_push: assert (cq_push_o == (4'd1 << f_q));
  end

  // ------------------------------------------------------------------ lemmas
  // Invariants that tie the ghost state to the engine's (they also make the bounded check
  // cheaper: smtbmc assumes each proved step in the later ones).
  wire in_req = state_q >= S_SQE_DATA && state_q <= S_DONE;
  always @(*) if (rst_ni) begin
    l_start: assert ((!f_past2 || f_past) && (f_past2 || ((state_q == S_IDLE || state_q == S_SCRUB) && eligible_q == '0 && !f_open
                     && sq_pop_o == '0 && cq_push_o == '0 && settle_q == '0)));
    l_state: assert (state_q <= S_SCRUB);
    l_open:  assert (f_open == (in_req || (state_q == S_IDLE && cq_push_o != '0)));
    l_q:     assert (!f_open || f_q == q_q);
    l_pulse: assert ((sq_pop_o == '0 || sq_pop_o == (4'd1 << q_q)) && (cq_push_o == '0 || cq_push_o == (4'd1 << q_q))
                     && (cq_push_o == '0 || state_q == S_IDLE));
    if (!f_open) l_idle: assert (sq_pop_o == '0);
    else if (state_q == S_SQE_DATA || state_q == S_SQE_CHECK) l_prepop: assert (!f_popped && sq_pop_o == '0);
    else l_popped: assert (f_popped != (sq_pop_o != '0));
    if (f_open) l_cqe: assert (f_cqe == (state_q >= S_CQE_DATA || state_q == S_IDLE));
  end

`ifndef FV_QE_STREAM   // (the value properties: the k-induction job)
  // ------------------------------------------------------------------ DMA window
  // Every DMA command (submission, context, source, destination, digest, completion) lies in
  // [WIN_BASE, WIN_BASE + WIN_SIZE).
  wire [64:0] w_lo = {1'b0, win_base_i};
  wire [64:0] w_hi = {1'b0, win_base_i} + {1'b0, win_size_i};
  function automatic in_w(input [63:0] a, input [32:0] n, input [64:0] lo, input [64:0] hi);
    in_w = ({1'b0, a} >= lo) && ({1'b0, a} + {32'd0, n} <= hi);
  endfunction
`ifdef FV_QE_WINDOW
  always @(*) if (rst_ni) begin
    if (rd_cmd_fire && rd_cmd_len_o != '0) rd_window: assert (in_w(rd_cmd_addr_o, {1'b0, rd_cmd_len_o}, w_lo, w_hi));
    if (wr_cmd_fire && wr_cmd_len_o != '0) wr_window: assert (in_w(wr_cmd_addr_o, {1'b0, wr_cmd_len_o}, w_lo, w_hi));
  end
`endif

  // ------------------------------------------------------------------ lemmas on the arbiter and the checks
  // (strengthening invariants for k-induction; the configuration is constant in this job)
  function automatic room(input [15:0] t, input [15:0] h, input [3:0] l2);
    room = l2 != 4'd0 && ((t + 16'd1) & rmask(l2)) != h;
  endfunction
  wire [63:0] sqe_a [NQ];
  wire [63:0] cqe_a [NQ];
  assign sqe_a[0] = sqe_addr0; assign sqe_a[1] = sqe_addr1; assign sqe_a[2] = sqe_addr2; assign sqe_a[3] = sqe_addr3;
  assign cqe_a[0] = cqe_addr0; assign cqe_a[1] = cqe_addr1; assign cqe_a[2] = cqe_addr2; assign cqe_a[3] = cqe_addr3;
  for (genvar q = 0; q < NQ; q++) begin : g_arb
    wire [63:0] sq_slot = sq_base_i[q*64 +: 64] + {42'd0, sq_head_i[q*16 +: 16], 6'd0};
    wire [63:0] cq_slot = cq_base_i[q*64 +: 64] + {44'd0, cq_tail_i[q*16 +: 16], 4'd0};
    wire        q_room  = room(cq_tail_i[q*16 +: 16], cq_head_i[q*16 +: 16], cq_log2_i[q*4 +: 4]);
    always @(*) if (rst_ni && f_past2) begin
      // stage 1 is current except just after this queue's completion (settle_q covers it),
      // SQ_HEAD moves only inside a request of this queue
      if (settle_q <= 2'd1) assert (cqe_a[q] == cq_slot);
      if (settle_q <= 2'd1 && !(in_req && q_q == 2'(q))) assert (sqe_a[q] == sq_slot);
      if (settle_q <= 2'd1 && pending_q[q]) assert (q_room);
      if (settle_q == 2'd0 && eligible_q[q] && !(in_req && q_q == 2'(q)))
        assert (q_room);
`ifdef FV_QE_WINDOW
      if (settle_q == 2'd0 && eligible_q[q] && !(in_req && q_q == 2'(q)))
        assert (in_w(sqe_a[q], 33'd64, w_lo, w_hi) && in_w(cqe_a[q], 33'd16, w_lo, w_hi));
`endif
    end
  end
  always @(*) if (rst_ni && f_past2) begin
    l_win_end: assert (win_end_q == w_hi);
    if (f_open || state_q == S_SQE_CMD) begin
      l_slot: assert (cqe_addr_r == cq_base_i[q_q*64 +: 64] + {44'd0, cq_tail_i[q_q*16 +: 16], 4'd0});
`ifdef FV_QE_WINDOW
      l_cqe_win: assert (in_w(cqe_addr_r, 33'd16, w_lo, w_hi));
`endif
      l_room: assert (room(cq_tail_i[q_q*16 +: 16], cq_head_i[q_q*16 +: 16], cq_log2_i[q_q*4 +: 4]));
    end
    if (state_q == S_SQE_CMD)
      l_sqe: assert (sqe_a[q_q] == sq_base_i[q_q*64 +: 64] + {42'd0, sq_head_i[q_q*16 +: 16], 6'd0});
`ifdef FV_QE_WINDOW
    if (state_q == S_SQE_CMD) l_sqe_win: assert (in_w(sqe_a[q_q], 33'd64, w_lo, w_hi));
    if (state_q == S_CTX_CMD) l_ctx: assert (in_w(ctx_addr_q, 33'd128, w_lo, w_hi));
    // from the configuration to the digest write, the request passed every check
    if (state_q >= 5'd10 && state_q <= S_DIG_WAIT) l_hash: assert (need_hash);   // S_OUTER_CFG .. S_DIG_WAIT
    if (state_q >= S_CFG && state_q <= S_DIG_WAIT)
      l_checked: assert ((src_len_q == '0 || in_w(src_addr_q, {1'b0, src_len_q}, w_lo, w_hi))
                         && (!need_cipher || src_len_q == '0 || in_w(dst_addr_q, {1'b0, src_len_q}, w_lo, w_hi))
                         && (!need_hash || in_w(dig_addr_q, {25'd0, digest_len_q}, w_lo, w_hi)));
`endif
  end

`endif

`ifdef FV_QE_STREAM
  // ------------------------------------------------------------------ write stream to vcrypto_dma_wr
  // (the input assumption of the dma_wr proof): valid held until ready, stable data
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(wr_valid_o && !wr_ready_i)) begin
      wr_hold:   assert (wr_valid_o);
      wr_stable: assert ($stable(wr_data_o));
    end
`endif

  // ------------------------------------------------------------------ reachability
  always @(*) begin
    c_push: cover (rst_ni && cq_push_o != '0);
  end
`endif
endmodule

`default_nettype wire
