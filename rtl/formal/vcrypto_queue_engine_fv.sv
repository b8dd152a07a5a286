// Formal properties of vcrypto_queue_engine as a whole (fetch, dispatch, LANES lanes,
// completion), checked in the harness fv_queue_engine.sv (the real vcrypto_csr in front, the
// crypto engines abstracted by fv_engine_stubs.sv, every DMA client port driven by the
// solver within the client contract that vcrypto_dma_arb gives and the dma_arb job proves).
// Bound into the DUT by the `ifdef FORMAL` instance at the end of
// rtl/top/vcrypto_queue_engine.sv (ports by name, .*); the units' own state comes in through
// their FORMAL-only fv_* outputs. Unit-local invariants live in vcrypto_fetch_fv.sv,
// vcrypto_lane_fv.sv and vcrypto_completion_fv.sv. Active only in the queue-engine jobs (FV_QE).
`default_nettype none

module vcrypto_queue_engine_fv #(
  parameter int NQ    = 4,
  parameter int LANES = 1
) (
  input logic                    clk_i,
  input logic                    rst_ni,
  input logic [63:0]             win_base_i,
  input logic [63:0]             win_size_i,
  input logic [NQ*4-1:0]         cq_log2_i,
  input logic [NQ*64-1:0]        cq_base_i,
  input logic [NQ*16-1:0]        cq_head_i,
  input logic [NQ*16-1:0]        cq_tail_i,
  input logic [NQ-1:0]           sq_pop_o,
  input logic [NQ-1:0]           cq_push_o,
  input logic [LANES:0]          rc_cmd_valid_o,
  input logic [LANES:0]          rc_cmd_ready_i,
  input logic [(LANES+1)*64-1:0] rc_cmd_addr_o,
  input logic [(LANES+1)*32-1:0] rc_cmd_len_o,
  input logic [LANES:0]          rc_busy_i,
  input logic [LANES:0]          rc_valid_i,
  input logic [LANES:0]          rc_ready_o,
  input logic [LANES:0]          wc_cmd_valid_o,
  input logic [LANES:0]          wc_cmd_ready_i,
  input logic [(LANES+1)*64-1:0] wc_cmd_addr_o,
  input logic [(LANES+1)*32-1:0] wc_cmd_len_o,
  input logic [LANES:0]          wc_busy_i,
  input logic [LANES:0]          wc_valid_o,
  input logic [LANES:0]          wc_ready_i,
  // the units, as the queue engine connects them
  input logic                    reserve,
  input logic                    start,
  input logic                    abort,
  input logic [$clog2(NQ > 1 ? NQ : 2)-1:0] ld_q,
  input logic [3:0]              ld_beat,
  input logic [LANES-1:0]        l_start,
  input logic [LANES-1:0]        l_idle,
  input logic [LANES:0]          src_valid,
  input logic [LANES:0]          src_ready,
  input logic [(LANES+1)*$clog2(NQ > 1 ? NQ : 2)-1:0] src_q,
  // FORMAL-only views of the units' state (vcrypto_fetch/lane/completion/dispatch fv_* outputs)
  input logic [2:0]              fv_f_state,
  input logic [NQ*4-1:0]         fv_f_infl,
  input logic [296:0]            fv_f_fields,
  input logic [LANES*4-1:0]      fv_l_state,
  input logic [LANES*297-1:0]    fv_l_fields,
  input logic [2:0]              fv_c_state,
  input logic [$clog2(NQ > 1 ? NQ : 2)-1:0] fv_c_q,
  input logic                    fv_d_resv,
  input logic [$clog2(LANES > 1 ? LANES : 2)-1:0] fv_d_idx
);
`ifdef FV_QE
  localparam int QW = $clog2(NQ > 1 ? NQ : 2);
  localparam int NC = LANES + 1;
  // state encodings of the units (their state_e, in declaration order)
  localparam logic [2:0] F_IDLE = 3'd0, F_SQE_CMD = 3'd1, F_SQE_DATA = 3'd2, F_SQE_CHECK = 3'd3,
                         F_CTX_CMD = 3'd4, F_CTX_DATA = 3'd5, F_CTX_CHECK = 3'd6, F_FAIL = 3'd7;
  localparam logic [3:0] L_IDLE = 4'd0, L_RESULT = 4'd9, L_WIPE = 4'd10;
  localparam logic [2:0] C_IDLE = 3'd0;

  reg f_past = 1'b0, f_past2 = 1'b0;       // one / two clocks after the reset clock
  always @(posedge clk_i) begin
    f_past  <= rst_ni;
    f_past2 <= f_past;
  end

  function automatic [15:0] rmask(input [3:0] l2);
    rmask = 16'((17'd1 << l2) - 17'd1);
  endfunction
  // the 297-bit field view (vcrypto_fetch / vcrypto_lane fv_fields_o): the submission entry's
  // fields in [296:41], the context's in [40:0]
  function automatic [23:0] fl_aad(input [296:0] f);     fl_aad     = f[296:273]; endfunction
  function automatic [7:0]  fl_opcode(input [296:0] f);  fl_opcode  = f[272:265]; endfunction
  function automatic [31:0] fl_src_len(input [296:0] f); fl_src_len = f[264:233]; endfunction
  function automatic [63:0] fl_src(input [296:0] f);     fl_src     = f[232:169]; endfunction
  function automatic [63:0] fl_dst(input [296:0] f);     fl_dst     = f[168:105]; endfunction
  function automatic [63:0] fl_dig(input [296:0] f);     fl_dig     = f[104:41];  endfunction
  function automatic        fl_dec(input [296:0] f);     fl_dec     = f[40];      endfunction
  function automatic [7:0]  fl_dlen(input [296:0] f);    fl_dlen    = f[15:8];    endfunction
  function automatic need_c(input [296:0] f);
    need_c = fl_opcode(f) == vcrypto_abi::OPCODE_CIPHER || fl_opcode(f) == vcrypto_abi::OPCODE_CHAIN;
  endfunction
  function automatic need_h(input [296:0] f);
    need_h = fl_opcode(f) == vcrypto_abi::OPCODE_HASH || fl_opcode(f) == vcrypto_abi::OPCODE_MAC
             || fl_opcode(f) == vcrypto_abi::OPCODE_CHAIN;
  endfunction
  function automatic aead(input [296:0] f);
    aead = fl_opcode(f) == vcrypto_abi::OPCODE_AEAD;
  endfunction
  // AEAD: the source stream's bytes (firmware/ABI.md "AEAD")
  function automatic [32:0] fl_stream(input [296:0] f);
    logic [31:0] n;
    logic [23:0] a;
    n = fl_src_len(f);
    a = fl_aad(f);
    fl_stream = {1'b0, n[31:4] + {27'd0, n[3:0] != 4'd0} + {8'd0, a[23:4]} + {27'd0, a[3:0] != 4'd0}
                       + {27'd0, fl_dec(f)}, 4'd0};
  endfunction

  // ------------------------------------------------------------------ DMA clients: their contract
  // (what vcrypto_dma_arb gives every client, proved by the dma_arb job): a command is taken
  // only while the client is idle; a read client is busy exactly while it owes beats (one per
  // 16 bytes); a write client takes at most one beat per 16 bytes, stays busy while it wants
  // some, becomes busy only by a command and may stay busy any time longer.
  reg [28:0] g_rd_left [NC];
  reg [28:0] g_wr_left [NC];
  for (genvar c = 0; c < NC; c++) begin : g_client
    wire rcmd = rc_cmd_valid_o[c] && rc_cmd_ready_i[c];
    wire wcmd = wc_cmd_valid_o[c] && wc_cmd_ready_i[c];
    always @(posedge clk_i) begin
      if (!rst_ni) begin
        g_rd_left[c] <= '0;
        g_wr_left[c] <= '0;
      end else begin
        if (rcmd) g_rd_left[c] <= 29'(({1'b0, rc_cmd_len_o[c*32 +: 32]} + 33'd15) >> 4);
        else if (rc_valid_i[c] && rc_ready_o[c]) g_rd_left[c] <= g_rd_left[c] - 29'd1;
        if (wcmd) g_wr_left[c] <= 29'(({1'b0, wc_cmd_len_o[c*32 +: 32]} + 33'd15) >> 4);
        else if (wc_valid_o[c] && wc_ready_i[c]) g_wr_left[c] <= g_wr_left[c] - 29'd1;
      end
    end
    always @(*) begin
      assume (rc_cmd_ready_i[c] == !rc_busy_i[c]);
      assume (rc_busy_i[c] == (g_rd_left[c] != 29'd0));
      if (rc_valid_i[c]) assume (g_rd_left[c] != 29'd0);
      assume (wc_cmd_ready_i[c] == !wc_busy_i[c]);
      if (g_wr_left[c] != 29'd0) assume (wc_busy_i[c]);
      if (wc_ready_i[c]) assume (g_wr_left[c] != 29'd0);
      if (!rst_ni) assume (!wc_busy_i[c]);
    end
    always @(posedge clk_i)
      if (f_past && !$past(wc_busy_i[c]) && wc_busy_i[c])
        assume ($past(wcmd) && $past(wc_cmd_len_o[c*32 +: 32]) != 32'd0);
  end

  // ------------------------------------------------------------------ every entry in exactly one place
  // Entries the fetch took from queue q and whose completion has not been posted (its counter
  // fv_f_infl, which reserves their completion slots) are each in exactly one place: with the
  // fetch (being fetched or checked, or handed to a lane this clock, or a failure record), in a
  // lane (from its start until the completion unit takes its result), in the completion unit,
  // or being pushed (cq_push_o, the clock before the counter drops).
  reg [4:0] held [NQ];
  always @(*) begin
    for (int q = 0; q < NQ; q++) begin
      held[q] = 5'd0;
      if ((fv_f_state != F_IDLE || start) && ld_q == QW'(q)) held[q] = held[q] + 5'd1;
      for (int l = 0; l < LANES; l++)
        if (fv_l_state[l*4 +: 4] != L_IDLE && fv_l_state[l*4 +: 4] != L_WIPE && src_q[(l+1)*QW +: QW] == QW'(q))
          held[q] = held[q] + 5'd1;
      if (fv_c_state != C_IDLE && fv_c_q == QW'(q)) held[q] = held[q] + 5'd1;
      if (cq_push_o[q]) held[q] = held[q] + 5'd1;
    end
  end

  for (genvar q = 0; q < NQ; q++) begin : g_q
    wire [15:0] m    = rmask(cq_log2_i[q*4 +: 4]);
    wire [15:0] used = (cq_tail_i[q*16 +: 16] - cq_head_i[q*16 +: 16]) & m;
    wire [3:0]  infl = fv_f_infl[q*4 +: 4];
    always @(*) if (rst_ni && f_past) begin
      assert ({1'b0, infl} == held[q]);   // conserve
      // never into a full ring: the slots of every entry in flight are free
      assert ({1'b0, used} + {13'd0, infl} <= {1'b0, m});   // reserve_room
      if (cq_push_o[q]) assert (((cq_tail_i[q*16 +: 16] + 16'd1) & m) != cq_head_i[q*16 +: 16]);   // push_room
    end
  end
  always @(*) if (rst_ni && f_past) begin
    // the completion entry goes to a ring that is not full (its slot: vcrypto_completion_fv)
    if (wc_cmd_valid_o[0] && wc_cmd_ready_i[0])
      cqe_room: assert (((cq_tail_i[fv_c_q*16 +: 16] + 16'd1) & rmask(cq_log2_i[fv_c_q*4 +: 4]))
                        != cq_head_i[fv_c_q*16 +: 16]);
    // pops only by the fetch, for the entry it holds
    if (sq_pop_o != '0) one_pop: assert (sq_pop_o == (NQ'(1) << ld_q) && fv_f_state != F_IDLE);
  end

  // the clock right after reset holds the reset state (the ghost clock counter is consistent)
  always @(*) if (rst_ni)
    l_qstart: assert ((!f_past2 || f_past) && (f_past || (fv_f_state == F_IDLE && fv_f_infl == '0 && fv_l_state == '0
                      && fv_c_state == C_IDLE && !fv_d_resv && cq_push_o == '0 && sq_pop_o == '0 && !start && !abort)));

  // ------------------------------------------------------------------ lanes and the dispatch
  always @(*) if (rst_ni && f_past) begin
    // a reservation exactly while the fetch holds an entry that is not a failure record
    l_resv: assert (fv_d_resv == ((fv_f_state != F_IDLE && fv_f_state != F_FAIL) || start || abort));
    if (fv_d_resv) l_resv_idle: assert (l_idle[fv_d_idx] && fv_l_state[fv_d_idx*4 +: 4] == L_IDLE);
    // a result only in L_RESULT (it carries the lane's queue)
    for (int l = 0; l < LANES; l++)
      if (src_valid[l + 1]) assert (fv_l_state[l*4 +: 4] == L_RESULT);   // l_res
  end

  // ------------------------------------------------------------------ DMA window
`ifdef FV_QE_WINDOW
  wire [64:0] w_lo = {1'b0, win_base_i};
  wire [64:0] w_sum = {1'b0, win_base_i} + {1'b0, win_size_i};
  wire [64:0] w_hi = w_sum[64] ? {1'b1, 64'd0} : w_sum;    // the window, cut at the top of the address space
  function automatic in_w(input [63:0] a, input [32:0] n, input [64:0] lo, input [64:0] hi);
    in_w = ({1'b0, a} >= lo) && ({1'b0, a} + {32'd0, n} <= hi);
  endfunction
  // the ranges a request may touch, from the fields the fetch checked
  function automatic checked(input [296:0] f, input [64:0] lo, input [64:0] hi);
    checked = (aead(f) ? (fl_stream(f) == '0 || in_w(fl_src(f), fl_stream(f), lo, hi))
                       : (fl_src_len(f) == '0 || in_w(fl_src(f), {1'b0, fl_src_len(f)}, lo, hi)))
              && (!(need_c(f) || aead(f)) || fl_src_len(f) == '0 || in_w(fl_dst(f), {1'b0, fl_src_len(f)}, lo, hi))
              && (!(need_h(f) || (aead(f) && !fl_dec(f))) || in_w(fl_dig(f), {25'd0, fl_dlen(f)}, lo, hi));
  endfunction

  // Two jobs share the window properties (one large induction was too slow): FV_QE_WIN_A the
  // fetch's and the lanes' commands, FV_QE_WIN_B the completion entries.
`ifdef FV_QE_WIN_A
  always @(*) if (rst_ni && rc_cmd_valid_o[0] && rc_cmd_ready_i[0] && rc_cmd_len_o[31:0] != '0)
    fetch_window: assert (in_w(rc_cmd_addr_o[63:0], {1'b0, rc_cmd_len_o[31:0]}, w_lo, w_hi));
`endif
`ifdef FV_QE_WIN_L
  for (genvar c = 1; c < NC; c++) begin : g_win
    always @(*) if (rst_ni) begin
      if (rc_cmd_valid_o[c] && rc_cmd_ready_i[c] && rc_cmd_len_o[c*32 +: 32] != '0)
        assert (in_w(rc_cmd_addr_o[c*64 +: 64], {1'b0, rc_cmd_len_o[c*32 +: 32]}, w_lo, w_hi));   // rd_window
      if (wc_cmd_valid_o[c] && wc_cmd_ready_i[c] && wc_cmd_len_o[c*32 +: 32] != '0)
        assert (in_w(wc_cmd_addr_o[c*64 +: 64], {1'b0, wc_cmd_len_o[c*32 +: 32]}, w_lo, w_hi));   // wr_window
    end
  end
  for (genvar l = 0; l < LANES; l++) begin : g_lane_win
    wire [3:0]   st = fv_l_state[l*4 +: 4];
    wire [296:0] lf = fv_l_fields[l*297 +: 297];
    always @(*) if (rst_ni && f_past) begin
      // a lane runs only a request whose ranges the fetch checked
      if (st != L_IDLE && st != L_WIPE) assert (checked(lf, w_lo, w_hi));   // l_checked
      // what the reserved lane has loaded is what the fetch checks
      if (fv_d_resv && fv_d_idx == l && (fv_f_state >= F_SQE_CHECK || start || abort))
        assert (lf[296:41] == fv_f_fields[296:41]);   // l_same_sqe
      if (fv_d_resv && fv_d_idx == l && (fv_f_state == F_CTX_CHECK || start))
        assert (lf[40:0] == fv_f_fields[40:0]);   // l_same_ctx
      // ... beat by beat while they stream in (positions from the generated ABI package)
      if (fv_d_resv && fv_d_idx == l && fv_f_state == F_SQE_DATA) begin
        if (32'(ld_beat) > vcrypto_abi::SQE_OPCODE_BEAT)  assert (fl_opcode(lf) == fl_opcode(fv_f_fields));
        if (32'(ld_beat) > vcrypto_abi::SQE_AAD_LEN_BEAT) assert (fl_aad(lf) == fl_aad(fv_f_fields));
        if (32'(ld_beat) > vcrypto_abi::SQE_SRC_LEN_BEAT) assert (fl_src_len(lf) == fl_src_len(fv_f_fields));
        if (32'(ld_beat) > vcrypto_abi::SQE_SRC_ADDR_BEAT) assert (fl_src(lf) == fl_src(fv_f_fields));
        if (32'(ld_beat) > vcrypto_abi::SQE_DST_ADDR_BEAT) assert (fl_dst(lf) == fl_dst(fv_f_fields));
        if (32'(ld_beat) > vcrypto_abi::SQE_DIGEST_ADDR_BEAT) assert (fl_dig(lf) == fl_dig(fv_f_fields));
      end
      if (fv_d_resv && fv_d_idx == l && fv_f_state == F_CTX_DATA && 32'(ld_beat) > vcrypto_abi::CTX_CIPHER_ALG_BEAT)
        assert (lf[40:0] == fv_f_fields[40:0]);   // the context header: one beat
    end
  end
  always @(*) if (rst_ni && f_past)
    if (start) l_start_checked: assert (checked(fv_f_fields, w_lo, w_hi));
`endif

`ifdef FV_QE_WIN_B
  always @(*) if (rst_ni && wc_cmd_valid_o[0] && wc_cmd_ready_i[0] && wc_cmd_len_o[31:0] != '0)
    cqe_window: assert (in_w(wc_cmd_addr_o[63:0], {1'b0, wc_cmd_len_o[31:0]}, w_lo, w_hi));
  // a queue with entries in flight has its whole completion ring inside the window (the fetch
  // takes entries only from such queues), so every completion slot is
  for (genvar q = 0; q < NQ; q++) begin : g_cq_win
    always @(*) if (rst_ni && f_past && fv_f_infl[q*4 +: 4] != 4'd0)
      assert (in_w(cq_base_i[q*64 +: 64], 33'(17'd16 << cq_log2_i[q*4 +: 4]), w_lo, w_hi));   // l_cq_win
  end
  // ... and the slot the completion unit writes
  always @(*) if (rst_ni && f_past && fv_c_state != C_IDLE)
    l_cqe_win: assert (in_w(cq_base_i[fv_c_q*64 +: 64] + {44'd0, cq_tail_i[fv_c_q*16 +: 16], 4'd0}, 33'd16, w_lo, w_hi));
`endif
`endif

  // ------------------------------------------------------------------ reachability
  always @(*) begin
    c_push: cover (rst_ni && cq_push_o != '0);
    c_two:  cover (rst_ni && fv_l_state[3:0] != L_IDLE && fv_l_state[(LANES-1)*4 +: 4] != L_IDLE && LANES > 1);
  end
`endif
endmodule

`default_nettype wire
