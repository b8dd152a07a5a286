// vcrypto_fifo: a show-ahead FIFO (the head is on data_o whenever empty_o is low) of DEPTH
// words of W bits, DEPTH a power of two. Push and pop in the same clock are allowed (also
// when full: the pop frees the slot the push takes). A push while full without a pop, or a
// pop while empty, is a caller's bug: it is ignored (the counts stay consistent).
//
// The head word sits in a register (head_q), the words behind it in a DEPTH-entry memory
// with no reset (distributed RAM on an FPGA; at most DEPTH-1 of its entries are in use, so
// the FIFO holds DEPTH words in all). data_o therefore comes straight from flops: a client's
// logic after data_o does not add to the distributed RAM's read time and routing. Timing is
// that of a plain show-ahead FIFO: a word pushed into an empty FIFO is on data_o the next
// clock, and after a pop the next word is there the next clock.
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
  logic [W-1:0]  head_q;
  logic          head_v_q;          // head_q holds the oldest word
  logic [AW-1:0] wptr_q, rptr_q;
  logic [AW:0]   count_q;           // words held: head plus memory
  logic          do_push, do_pop, mem_empty, refill, to_mem;

  assign empty_o   = !head_v_q;
  assign full_o    = count_q == (AW + 1)'(DEPTH);
  assign count_o   = count_q;
  assign data_o    = head_q;
  assign do_pop    = pop_i && head_v_q;
  assign do_push   = push_i && (!full_o || do_pop);
  assign mem_empty = count_q <= (AW + 1)'(1);          // nothing behind the head
  // the head register takes a new word when it is empty or being popped: the memory's oldest,
  // or the pushed word if the memory is empty (a pushed word goes to the memory otherwise)
  assign refill    = !head_v_q || do_pop;
  assign to_mem    = do_push && !(refill && (mem_empty || !head_v_q));

  // The FIFO's clock: a wire as synthesised. In the accelerator process's view (+define+
  // VCRYPTO_CLOCK_GATE; rtl/README.md, "Views") it runs only in a clock where a push or a pop
  // is offered: nothing else changes what the FIFO holds (while it is empty the head register
  // also takes data_i every clock, a word nobody may read: data_o is the head only while
  // empty_o is low).
  logic fifo_clk;
  vcrypto_clock_gate #(.HOLD(0)) u_clock (
    .clk_i, .rst_ni,
    .busy_i  (1'b0),
    .event_i (push_i || pop_i),
    .clk_o   (fifo_clk)
  );

  always_ff @(posedge fifo_clk) begin
    if (to_mem) mem_q[wptr_q] <= data_i;
    if (refill) head_q <= (head_v_q && !mem_empty) ? mem_q[rptr_q] : data_i;
  end

  always_ff @(posedge fifo_clk or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q   <= '0;
      rptr_q   <= '0;
      count_q  <= '0;
      head_v_q <= 1'b0;
    end else begin
      if (to_mem) wptr_q <= wptr_q + AW'(1);
      if (refill && head_v_q && !mem_empty) rptr_q <= rptr_q + AW'(1);
      if (refill) head_v_q <= (head_v_q && !mem_empty) || do_push;
      count_q <= count_q + (AW + 1)'(do_push) - (AW + 1)'(do_pop);
    end
  end

`ifdef FORMAL
  // the count agrees with the head and the pointers (an invariant the proofs that contain a
  // FIFO build on)
  logic [AW-1:0] fv_in_mem, fv_ptr_gap;
  assign fv_in_mem  = AW'(count_q - (AW + 1)'(head_v_q));
  assign fv_ptr_gap = wptr_q - rptr_q;
  always @(*) if (rst_ni) assert (count_q <= (AW + 1)'(DEPTH) && head_v_q == (count_q != '0)
                                  && fv_ptr_gap == fv_in_mem);
`endif

endmodule

`default_nettype wire
