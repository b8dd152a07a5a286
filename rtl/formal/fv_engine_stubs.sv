// Abstract AES and SHA-2 engines for the queue-engine proof (fv_queue_engine.sby): same
// module names and ports as rtl/aes/aes_engine.sv and rtl/sha/sha{256,512}_engine.sv, every output
// a free input of the proof (anyseq), constrained only by the stream contract the queue
// engine relies on (documented in rtl/README.md and tested on the real engines by cocotb):
//   AES: one result per block taken, in order, at most two blocks inside (one computing, one
//        in the output register); a result is held until taken, with stable data;
//        wipe (key hygiene) timing arbitrary.
//   SHA: one state beat per message closed by an in_last beat (the queue engine never
//        abandons a message); in_ready does not fall while no beat is taken and no
//        configuration is offered.
// Timing, data and error flags are otherwise arbitrary, which covers every latency.
`default_nettype none

module aes_engine (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic         cfg_key_load_i,
  input  logic         cfg_key_sel_i,
  input  logic [1:0]   cfg_key_len_i,
  input  logic [255:0] cfg_key_i,
  input  logic [1:0]   cfg_mode_i,
  input  logic         cfg_xts_i,
  input  logic [6:0]   cfg_tail_i,
  input  logic         cfg_decrypt_i,
  input  logic [127:0] cfg_iv_i,
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  input  logic         in_last_i,
  output logic         out_valid_o,
  input  logic         out_ready_i,
  output logic [127:0] out_data_o,
  output logic         out_err_o,
  output logic         key_valid_o,
  output logic         cfg_err_o,
  output logic         idle_o,
  input  logic         wipe_i,
  output logic         wipe_busy_o,
  output logic         keys_held_o
);
  (* anyseq *) logic         a_cfg_ready, a_in_ready, a_out_valid, a_out_err, a_key_valid, a_cfg_err, a_idle;
  (* anyseq *) logic         a_wipe_busy, a_keys_held;
  assign wipe_busy_o = a_wipe_busy;
  assign keys_held_o = a_keys_held;
  (* anyseq *) logic [127:0] a_out_data;
  assign cfg_ready_o = a_cfg_ready;
  assign in_ready_o  = a_in_ready;
  assign out_valid_o = a_out_valid;
  assign out_data_o  = a_out_data;
  assign out_err_o   = a_out_err;
  assign key_valid_o = a_key_valid;
  assign cfg_err_o   = a_cfg_err;
  assign idle_o      = a_idle;

  reg f_past = 1'b0;
  always @(posedge clk_i) f_past <= 1'b1;
  reg [1:0] pend;                 // blocks taken whose result has not been delivered
  always @(posedge clk_i) begin
    if (!rst_ni) pend <= '0;
    else pend <= pend + {1'b0, in_valid_i && in_ready_o} - {1'b0, out_valid_o && out_ready_i};
  end
  always @(*) if (rst_ni) begin
    assume (pend <= 2'd2);
    if (out_valid_o) assume (pend != 2'd0);
    if (in_ready_o)  assume (pend != 2'd2);
  end
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(out_valid_o && !out_ready_i))
      assume (out_valid_o && $stable(out_data_o));

  logic unused;
  assign unused = ^{cfg_valid_i, cfg_key_load_i, cfg_key_sel_i, cfg_key_len_i, cfg_key_i, cfg_mode_i,
                    cfg_xts_i, cfg_tail_i, cfg_decrypt_i, cfg_iv_i, in_data_i, in_last_i, wipe_i};
endmodule

// The SHA stream contract, at either engine's widths (IW init bits, SW state bits).
module fv_sha_engine_stub #(
  parameter int IW = 2,
  parameter int SW = 256
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic          cfg_valid_i,
  output logic          cfg_ready_o,
  input  logic [IW-1:0] cfg_init_i,
  input  logic [SW-1:0] cfg_state_i,
  input  logic          in_valid_i,
  output logic          in_ready_o,
  input  logic [127:0]  in_data_i,
  input  logic          in_last_i,
  output logic          state_valid_o,
  input  logic          state_ready_i,
  output logic [SW-1:0] state_o,
  output logic          state_err_o,
  output logic          cfg_err_o,
  output logic          idle_o
);
  (* anyseq *) logic          a_cfg_ready, a_in_ready, a_state_valid, a_state_err, a_cfg_err, a_idle;
  (* anyseq *) logic [SW-1:0] a_state;
  assign cfg_ready_o   = a_cfg_ready;
  assign in_ready_o    = a_in_ready;
  assign state_valid_o = a_state_valid;
  assign state_o       = a_state;
  assign state_err_o   = a_state_err;
  assign cfg_err_o     = a_cfg_err;
  assign idle_o        = a_idle;

  reg f_past = 1'b0;
  always @(posedge clk_i) f_past <= 1'b1;
  reg [1:0] pend;                 // messages closed by in_last whose state has not been delivered
  wire last_fire  = in_valid_i && in_ready_o && in_last_i;
  wire state_fire = state_valid_o && state_ready_i;
  always @(posedge clk_i) begin
    if (!rst_ni) pend <= '0;
    else pend <= pend + {1'b0, last_fire} - {1'b0, state_fire};
  end
  always @(*) if (rst_ni) begin
    assume (pend <= 2'd1);
    if (state_valid_o) assume (pend != 2'd0);
    if (pend != 2'd0)  assume (!in_ready_o);    // the engine takes no beat before the state is out
  end
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(in_ready_o && !in_valid_i) && !cfg_valid_i && pend == 2'd0)
      assume (in_ready_o);

  logic unused;
  assign unused = ^{cfg_init_i, cfg_state_i, in_data_i};
endmodule

module sha256_engine (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic [1:0]   cfg_init_i,
  input  logic [255:0] cfg_state_i,
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  input  logic         in_last_i,
  output logic         state_valid_o,
  input  logic         state_ready_i,
  output logic [255:0] state_o,
  output logic         state_err_o,
  output logic         cfg_err_o,
  output logic         idle_o
);
  fv_sha_engine_stub #(.IW(2), .SW(256)) u_stub (.*);
endmodule

module sha512_engine (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic [2:0]   cfg_init_i,
  input  logic [511:0] cfg_state_i,
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  input  logic         in_last_i,
  output logic         state_valid_o,
  input  logic         state_ready_i,
  output logic [511:0] state_o,
  output logic         state_err_o,
  output logic         cfg_err_o,
  output logic         idle_o
);
  fv_sha_engine_stub #(.IW(3), .SW(512)) u_stub (.*);
endmodule

`default_nettype wire
