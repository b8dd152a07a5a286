// vcrypto_fifo: a show-ahead FIFO (the head is on data_o whenever empty_o is low) of DEPTH
// words of W bits, DEPTH a power of two. Push and pop in the same clock are allowed (also
// when full: the pop frees the slot the push takes). A push while full without a pop, or a
// pop while empty, is a caller's bug: it is ignored (the counts stay consistent). The storage
// has no reset (distributed RAM on an FPGA); only the pointers do.
`default_nettype none

module vcrypto_fifo
#(
  parameter int W     = 128,
  parameter int DEPTH = 16
) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         push_i,
  input  logic [W-1:0] data_i,
  input  logic         pop_i,
  output logic [W-1:0] data_o,
  output logic         empty_o,
  output logic         full_o,
  output logic [$clog2(DEPTH):0] count_o
);
  localparam int AW = $clog2(DEPTH);
  if (DEPTH < 2 || (1 << AW) != DEPTH) begin : g_bad_depth
    $error("vcrypto_fifo: DEPTH must be a power of two >= 2");
  end

  logic [W-1:0]  mem_q [DEPTH];
  logic [AW-1:0] wptr_q, rptr_q;
  logic [AW:0]   count_q;
  logic          do_push, do_pop;

  assign empty_o = count_q == '0;
  assign full_o  = count_q == (AW + 1)'(DEPTH);
  assign count_o = count_q;
  assign data_o  = mem_q[rptr_q];
  assign do_pop  = pop_i && !empty_o;
  assign do_push = push_i && (!full_o || do_pop);

  always_ff @(posedge clk_i) begin
    if (do_push) mem_q[wptr_q] <= data_i;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_q <= '0;
    end else begin
      if (do_push) wptr_q <= wptr_q + AW'(1);
      if (do_pop)  rptr_q <= rptr_q + AW'(1);
      count_q <= count_q + (AW + 1)'(do_push) - (AW + 1)'(do_pop);
    end
  end

`ifdef FORMAL
  // the count agrees with the pointers (an invariant the proofs that contain a FIFO build on)
  always @(*) if (rst_ni) assert (count_q <= (AW + 1)'(DEPTH) && wptr_q - rptr_q == count_q[AW-1:0]);
`endif

endmodule

`default_nettype wire
