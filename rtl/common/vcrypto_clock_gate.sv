// vcrypto_clock_gate: the clock of a block that is idle most of the time.
//
// Two views (rtl/README.md, "Views"):
//   * as synthesised (synthesis, lint, coverage, formal, the cocotb regressions): a wire,
//     clk_o = clk_i; busy_i and event_i are not used;
//   * with +define+VCRYPTO_CLOCK_GATE (the accelerator process, sim/accel_process.py): a latch
//     clock gate, the way an ASIC gates an idle block. clk_o runs in every clock where busy_i
//     or event_i is high, for HOLD clocks after the last clock where busy_i was high, and
//     while rst_ni is low; else it stays low, and Verilator does not evaluate the block
//     behind it.
// Contract for the block's owner: busy_i or event_i must be high in every clock in which the
// block's state can change (its request is valid, it is working, its output is waiting), with
// HOLD covering what still moves after busy_i falls (e.g. a pipeline draining). Sampled while
// clk_i is low, so the gated clock has no glitch; the hold counter runs on clk_i.
`default_nettype none

module vcrypto_clock_gate #(
  parameter int HOLD = 8      // clocks the gate stays open after busy_i falls (0..255)
) (
  input  logic clk_i,
  input  logic rst_ni,
  input  logic busy_i,       // the block is working or has a request: its clock runs, and HOLD more
  input  logic event_i,      // the block takes an input this clock: its clock runs this clock
  output logic clk_o
);
`ifdef VCRYPTO_CLOCK_GATE
  logic [7:0] hold_q;
  logic       en, en_latch;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)               hold_q <= 8'(HOLD);
    else if (busy_i)           hold_q <= 8'(HOLD);
    else if (hold_q != 8'd0)   hold_q <= hold_q - 8'd1;
  end
  // while in reset too: a flop with an asynchronous reset takes its reset value only on a reset
  // edge, which a simulator may never see when the reset is low from time 0
  assign en = busy_i | event_i | (hold_q != 8'd0) | !rst_ni;
  always_latch if (!clk_i) en_latch = en;
  assign clk_o = clk_i & en_latch;
`else
  logic unused_gate_inputs;
  assign unused_gate_inputs = ^{rst_ni, busy_i, event_i, 8'(HOLD)};
  assign clk_o = clk_i;
`endif
endmodule

`default_nettype wire
