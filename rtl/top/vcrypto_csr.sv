// vcrypto_csr: AXI4-Lite register file of the accelerator (map in firmware/ABI.md) and the
// ring indices. The queue engine reads ring state from here and reports progress with
// one-clock pulses (sq_pop / cq_push / error-counter increments).
// Per-queue vectors are flattened: queue q occupies bits [q*W +: W].
`default_nettype none

module vcrypto_csr
#(
  parameter int NQ = 4
) (
  input  logic            clk_i,
  input  logic            rst_ni,
  // AXI4-Lite slave
  input  logic            s_axil_awvalid,
  output logic            s_axil_awready,
  input  logic [11:0]     s_axil_awaddr,
  input  logic            s_axil_wvalid,
  output logic            s_axil_wready,
  input  logic [31:0]     s_axil_wdata,
  input  logic [3:0]      s_axil_wstrb,
  output logic            s_axil_bvalid,
  input  logic            s_axil_bready,
  output logic [1:0]      s_axil_bresp,
  input  logic            s_axil_arvalid,
  output logic            s_axil_arready,
  input  logic [11:0]     s_axil_araddr,
  output logic            s_axil_rvalid,
  input  logic            s_axil_rready,
  output logic [31:0]     s_axil_rdata,
  output logic [1:0]      s_axil_rresp,
  // to the queue engine
  output logic            enable_o,
  output logic [63:0]     win_base_o,
  output logic [63:0]     win_size_o,
  output logic [NQ*64-1:0] sq_base_o,
  output logic [NQ*4-1:0]  sq_log2_o,
  output logic [NQ*16-1:0] sq_head_o,
  output logic [NQ*16-1:0] sq_tail_o,
  output logic [NQ*64-1:0] cq_base_o,
  output logic [NQ*4-1:0]  cq_log2_o,
  output logic [NQ*16-1:0] cq_head_o,
  output logic [NQ*16-1:0] cq_tail_o,
  output logic [NQ-1:0]    cq_phase_o,
  // from the queue engine
  input  logic [NQ-1:0]    sq_pop_i,
  input  logic [NQ-1:0]    cq_push_i,
  input  logic            inc_err_axi_i,
  input  logic            inc_err_window_i,
  input  logic            inc_err_notsupp_i,
  input  logic            inc_err_length_i,
  input  logic            engine_idle_i,
  input  logic [NQ-1:0]    ring_fault_i,
  output logic            irq_o,
  // key hygiene (SCRUB register, STATUS bits 1-2)
  output logic            scrub_req_o,
  input  logic            scrub_done_i,
  input  logic            keys_held_i
);


  localparam logic [31:0] CAPS_ALL = (32'd1 << vcrypto_abi::CAPS_AES_ECB) | (32'd1 << vcrypto_abi::CAPS_AES_CBC) | (32'd1 << vcrypto_abi::CAPS_AES_CTR)
                                   | (32'd1 << vcrypto_abi::CAPS_AES_128) | (32'd1 << vcrypto_abi::CAPS_AES_192) | (32'd1 << vcrypto_abi::CAPS_AES_256)
                                   | (32'd1 << vcrypto_abi::CAPS_SHA_224) | (32'd1 << vcrypto_abi::CAPS_SHA_256)
                                   | (32'd1 << vcrypto_abi::CAPS_HMAC_SHA_224) | (32'd1 << vcrypto_abi::CAPS_HMAC_SHA_256)
                                   | (32'd1 << vcrypto_abi::CAPS_CHAIN_CIPHER_THEN_HASH) | (32'd1 << vcrypto_abi::CAPS_CHAIN_HASH_THEN_CIPHER);
  localparam logic [31:0] GEOMETRY = {4'd0, 4'd7, 4'd4, 4'd6, vcrypto_abi::DEV_MAX_RING_LOG2[7:0], 8'(NQ)};

  logic        enable_q;
  logic [NQ-1:0] int_status_q, int_mask_q;
  logic [63:0] win_base_q, win_size_q;
  logic [31:0] err_axi_q, err_window_q, err_notsupp_q, err_length_q, req_done_q, scrub_count_q;
  logic        scrub_req_q;
  logic [63:0] cycles_q;
  logic [31:0] cycles_hi_latch_q;
  logic [63:0] sq_base_q [NQ];
  logic [63:0] cq_base_q [NQ];
  logic [3:0]  sq_log2_q [NQ];
  logic [3:0]  cq_log2_q [NQ];
  logic [15:0] sq_head_q [NQ];
  logic [15:0] sq_tail_q [NQ];
  logic [15:0] cq_head_q [NQ];
  logic [15:0] cq_tail_q [NQ];
  logic [NQ-1:0] cq_phase_q;

  function automatic logic [15:0] ring_mask(input logic [3:0] log2);
    ring_mask = 16'((17'd1 << log2) - 17'd1);
  endfunction

  // ---------------------------------------------------------------- AXI-Lite write
  // Address and data are taken together; one write in flight.
  logic        wr_fire;
  logic [11:0] wa;
  logic [31:0] wd;
  assign s_axil_awready = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
  assign s_axil_wready  = s_axil_awready;
  assign wr_fire        = s_axil_awvalid && s_axil_awready;
  assign wa             = {s_axil_awaddr[11:2], 2'b00};
  always_comb begin
    for (int b = 0; b < 4; b++) wd[8*b +: 8] = s_axil_wstrb[b] ? s_axil_wdata[8*b +: 8] : 8'h00;
  end
  assign s_axil_bresp = 2'b00;

  // queue register decode
  logic        wq_hit;
  logic [1:0]  wq;
  logic [5:0]  wq_reg;
  assign wq_hit = (wa >= vcrypto_abi::CSR_QUEUE_BASE) && (wa < vcrypto_abi::CSR_QUEUE_BASE + 12'(NQ) * vcrypto_abi::CSR_QUEUE_STRIDE);
  assign wq     = 2'((wa - vcrypto_abi::CSR_QUEUE_BASE) >> 6);
  assign wq_reg = wa[5:0];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s_axil_bvalid <= 1'b0;
      enable_q      <= 1'b0;
      int_status_q  <= '0;
      int_mask_q    <= '0;
      win_base_q    <= '0;
      win_size_q    <= '0;
      err_axi_q     <= '0;
      err_window_q  <= '0;
      err_notsupp_q <= '0;
      err_length_q  <= '0;
      req_done_q    <= '0;
      scrub_count_q <= '0;
      scrub_req_q   <= 1'b0;
      cycles_q      <= '0;
      cq_phase_q    <= '1;
      for (int q = 0; q < NQ; q++) begin
        sq_base_q[q] <= '0; cq_base_q[q] <= '0;
        sq_log2_q[q] <= '0; cq_log2_q[q] <= '0;
        sq_head_q[q] <= '0; sq_tail_q[q] <= '0;
        cq_head_q[q] <= '0; cq_tail_q[q] <= '0;
      end
    end else begin
      cycles_q <= cycles_q + 64'd1;
      if (s_axil_bvalid && s_axil_bready) s_axil_bvalid <= 1'b0;

      // progress from the queue engine
      for (int q = 0; q < NQ; q++) begin
        if (sq_pop_i[q]) sq_head_q[q] <= (sq_head_q[q] + 16'd1) & ring_mask(sq_log2_q[q]);
        if (cq_push_i[q]) begin
          cq_tail_q[q] <= (cq_tail_q[q] + 16'd1) & ring_mask(cq_log2_q[q]);
          if (((cq_tail_q[q] + 16'd1) & ring_mask(cq_log2_q[q])) == 16'd0) cq_phase_q[q] <= ~cq_phase_q[q];
          int_status_q[q] <= 1'b1;
        end
      end
      if (|cq_push_i)        req_done_q    <= req_done_q + 32'd1;
      if (inc_err_axi_i)     err_axi_q     <= err_axi_q + 32'd1;
      if (inc_err_window_i)  err_window_q  <= err_window_q + 32'd1;
      if (inc_err_notsupp_i) err_notsupp_q <= err_notsupp_q + 32'd1;
      if (inc_err_length_i)  err_length_q  <= err_length_q + 32'd1;
      if (scrub_done_i) begin
        scrub_req_q   <= 1'b0;
        scrub_count_q <= scrub_count_q + 32'd1;
      end

      if (wr_fire) begin
        s_axil_bvalid <= 1'b1;
        case (wa)
          vcrypto_abi::CSR_CTRL:        enable_q   <= wd[0];
          vcrypto_abi::CSR_INT_STATUS:  int_status_q <= int_status_q & ~wd[NQ-1:0] | (cq_push_i);
          vcrypto_abi::CSR_INT_MASK:    int_mask_q <= wd[NQ-1:0];
          vcrypto_abi::CSR_SCRUB:       if (wd[0]) scrub_req_q <= 1'b1;   // wins over a scrub ending now
          vcrypto_abi::CSR_WIN_BASE_LO: win_base_q[31:0]  <= wd;
          vcrypto_abi::CSR_WIN_BASE_HI: win_base_q[63:32] <= wd;
          vcrypto_abi::CSR_WIN_SIZE_LO: win_size_q[31:0]  <= wd;
          vcrypto_abi::CSR_WIN_SIZE_HI: win_size_q[63:32] <= wd;
          default: ;
        endcase
        if (wq_hit) begin
          case (wq_reg)
            vcrypto_abi::QCSR_SQ_BASE_LO: sq_base_q[wq][31:0]  <= wd;
            vcrypto_abi::QCSR_SQ_BASE_HI: sq_base_q[wq][63:32] <= wd;
            vcrypto_abi::QCSR_CQ_BASE_LO: cq_base_q[wq][31:0]  <= wd;
            vcrypto_abi::QCSR_CQ_BASE_HI: cq_base_q[wq][63:32] <= wd;
            vcrypto_abi::QCSR_SQ_SIZE_LOG2: begin
              sq_log2_q[wq] <= (wd > vcrypto_abi::DEV_MAX_RING_LOG2) ? 4'd0 : wd[3:0];
              sq_head_q[wq] <= '0;
              sq_tail_q[wq] <= '0;
            end
            vcrypto_abi::QCSR_CQ_SIZE_LOG2: begin
              cq_log2_q[wq]  <= (wd > vcrypto_abi::DEV_MAX_RING_LOG2) ? 4'd0 : wd[3:0];
              cq_head_q[wq]  <= '0;
              cq_tail_q[wq]  <= '0;
              cq_phase_q[wq] <= 1'b1;
            end
            vcrypto_abi::QCSR_SQ_TAIL: sq_tail_q[wq] <= wd[15:0] & ring_mask(sq_log2_q[wq]);
            vcrypto_abi::QCSR_CQ_HEAD: cq_head_q[wq] <= wd[15:0] & ring_mask(cq_log2_q[wq]);
            default: ;
          endcase
        end
      end
    end
  end

  // ---------------------------------------------------------------- AXI-Lite read
  logic [11:0] ra;
  logic [1:0]  rq;
  logic        rq_hit;
  logic [31:0] rdata;
  assign ra     = {s_axil_araddr[11:2], 2'b00};
  assign rq_hit = (ra >= vcrypto_abi::CSR_QUEUE_BASE) && (ra < vcrypto_abi::CSR_QUEUE_BASE + 12'(NQ) * vcrypto_abi::CSR_QUEUE_STRIDE);
  assign rq     = 2'((ra - vcrypto_abi::CSR_QUEUE_BASE) >> 6);
  assign s_axil_arready = !s_axil_rvalid;
  assign s_axil_rresp   = 2'b00;

  always_comb begin
    rdata = '0;
    case (ra)
      vcrypto_abi::CSR_ID:          rdata = vcrypto_abi::DEV_ID;
      vcrypto_abi::CSR_VERSION:     rdata = {vcrypto_abi::DEV_VERSION_MAJOR[15:0], vcrypto_abi::DEV_VERSION_MINOR[15:0]};
      vcrypto_abi::CSR_CAPS:        rdata = CAPS_ALL;
      vcrypto_abi::CSR_GEOMETRY:    rdata = GEOMETRY;
      vcrypto_abi::CSR_CTRL:        rdata = {31'd0, enable_q};
      vcrypto_abi::CSR_STATUS:      rdata = {16'd0, 4'd0, 4'(ring_fault_i), 5'd0, keys_held_i, scrub_req_q, engine_idle_i};
      vcrypto_abi::CSR_SCRUB:       rdata = scrub_count_q;
      vcrypto_abi::CSR_INT_STATUS:  rdata = 32'(int_status_q);
      vcrypto_abi::CSR_INT_MASK:    rdata = 32'(int_mask_q);
      vcrypto_abi::CSR_WIN_BASE_LO: rdata = win_base_q[31:0];
      vcrypto_abi::CSR_WIN_BASE_HI: rdata = win_base_q[63:32];
      vcrypto_abi::CSR_WIN_SIZE_LO: rdata = win_size_q[31:0];
      vcrypto_abi::CSR_WIN_SIZE_HI: rdata = win_size_q[63:32];
      vcrypto_abi::CSR_ERR_AXI:     rdata = err_axi_q;
      vcrypto_abi::CSR_ERR_WINDOW:  rdata = err_window_q;
      vcrypto_abi::CSR_ERR_NOTSUPP: rdata = err_notsupp_q;
      vcrypto_abi::CSR_ERR_LENGTH:  rdata = err_length_q;
      vcrypto_abi::CSR_REQ_DONE:    rdata = req_done_q;
      vcrypto_abi::CSR_CYCLES_LO:   rdata = cycles_q[31:0];
      vcrypto_abi::CSR_CYCLES_HI:   rdata = cycles_hi_latch_q;
      default: ;
    endcase
    if (rq_hit) begin
      case (ra[5:0])
        vcrypto_abi::QCSR_SQ_BASE_LO:   rdata = sq_base_q[rq][31:0];
        vcrypto_abi::QCSR_SQ_BASE_HI:   rdata = sq_base_q[rq][63:32];
        vcrypto_abi::QCSR_SQ_SIZE_LOG2: rdata = {28'd0, sq_log2_q[rq]};
        vcrypto_abi::QCSR_SQ_TAIL:      rdata = {16'd0, sq_tail_q[rq]};
        vcrypto_abi::QCSR_SQ_HEAD:      rdata = {16'd0, sq_head_q[rq]};
        vcrypto_abi::QCSR_CQ_BASE_LO:   rdata = cq_base_q[rq][31:0];
        vcrypto_abi::QCSR_CQ_BASE_HI:   rdata = cq_base_q[rq][63:32];
        vcrypto_abi::QCSR_CQ_SIZE_LOG2: rdata = {28'd0, cq_log2_q[rq]};
        vcrypto_abi::QCSR_CQ_HEAD:      rdata = {16'd0, cq_head_q[rq]};
        vcrypto_abi::QCSR_CQ_TAIL:      rdata = {16'd0, cq_tail_q[rq]};
        default: ;
      endcase
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s_axil_rvalid     <= 1'b0;
      s_axil_rdata      <= '0;
      cycles_hi_latch_q <= '0;
    end else begin
      if (s_axil_rvalid && s_axil_rready) s_axil_rvalid <= 1'b0;
      if (s_axil_arvalid && s_axil_arready) begin
        s_axil_rvalid <= 1'b1;
        s_axil_rdata  <= rdata;
        // reading CYCLES_LO latches the high half, so LO then HI is one consistent value
        if (ra == vcrypto_abi::CSR_CYCLES_LO) cycles_hi_latch_q <= cycles_q[63:32];
      end
    end
  end

  // ---------------------------------------------------------------- outputs
  for (genvar q = 0; q < NQ; q++) begin : g_q
    assign sq_base_o[q*64 +: 64] = sq_base_q[q];
    assign cq_base_o[q*64 +: 64] = cq_base_q[q];
    assign sq_log2_o[q*4 +: 4]   = sq_log2_q[q];
    assign cq_log2_o[q*4 +: 4]   = cq_log2_q[q];
    assign sq_head_o[q*16 +: 16] = sq_head_q[q];
    assign sq_tail_o[q*16 +: 16] = sq_tail_q[q];
    assign cq_head_o[q*16 +: 16] = cq_head_q[q];
    assign cq_tail_o[q*16 +: 16] = cq_tail_q[q];
  end
  assign cq_phase_o = cq_phase_q;
  assign enable_o   = enable_q;
  assign win_base_o = win_base_q;
  assign win_size_o = win_size_q;
  assign scrub_req_o = scrub_req_q;
  assign irq_o      = |(int_status_q & int_mask_q);

  // registers are 32-bit aligned: the byte-offset bits are ignored
  logic unused_addr;
  assign unused_addr = ^{s_axil_awaddr[1:0], s_axil_araddr[1:0]};

`ifdef FORMAL
  // formal properties (rtl/formal/vcrypto_csr_fv.sv); never synthesised or simulated
  vcrypto_csr_fv #(.NQ(NQ)) u_fv (.*);
`endif

endmodule

`default_nettype wire
