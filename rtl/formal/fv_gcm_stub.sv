// Abstract GCM sequencer for the queue-engine proofs (queue_engine*.sby): the module name and
// ports of rtl/gcm/aes_gcm_ctl.sv, every output a free input of the proof (anyseq), constrained
// only by what a lane relies on: an answer beat is held, with its data and flags, until taken.
// Its own stream contract (every beat of a request consumed, one last beat) is proved on the
// real sequencer by gcm.sby and tested by cocotb; here any timing and any data is allowed,
// which covers every latency and every answer, tag mismatch included.
`default_nettype none

module aes_gcm_ctl (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic         cfg_key_load_i,
  input  logic [1:0]   cfg_key_len_i,
  input  logic [255:0] cfg_key_i,
  input  logic         cfg_decrypt_i,
  input  logic [95:0]  cfg_iv_i,
  input  logic [31:0]  cfg_iv_len_i,
  input  logic [31:0]  cfg_aad_len_i,
  input  logic [31:0]  cfg_text_len_i,
  input  logic [4:0]   cfg_tag_len_i,
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  output logic         out_valid_o,
  input  logic         out_ready_i,
  output logic [127:0] out_data_o,
  output logic         out_last_o,
  output logic         out_tag_ok_o,
  output logic         out_err_o,
  input  logic         wipe_i,
  output logic         keys_held_o,
  output logic         idle_o,
  output logic         e_cfg_valid_o,
  input  logic         e_cfg_ready_i,
  output logic         e_key_load_o,
  output logic [1:0]   e_key_len_o,
  output logic [255:0] e_key_o,
  output logic         e_in_valid_o,
  input  logic         e_in_ready_i,
  output logic [127:0] e_in_data_o,
  input  logic         e_out_valid_i,
  output logic         e_out_ready_o,
  input  logic [127:0] e_out_data_i,
  input  logic         e_out_err_i,
  output logic         e_wipe_o,
  input  logic         e_wipe_busy_i,
  input  logic         e_idle_i
);
  (* anyseq *) logic         a_cfg_ready, a_in_ready, a_out_valid, a_out_last, a_out_ok, a_out_err;
  (* anyseq *) logic         a_keys_held, a_idle, a_e_cfg_valid, a_e_key_load, a_e_in_valid, a_e_out_ready, a_e_wipe;
  (* anyseq *) logic [1:0]   a_e_key_len;
  (* anyseq *) logic [255:0] a_e_key;
  (* anyseq *) logic [127:0] a_out_data, a_e_in_data;
  assign cfg_ready_o   = a_cfg_ready;
  assign in_ready_o    = a_in_ready;
  assign out_valid_o   = a_out_valid;
  assign out_data_o    = a_out_data;
  assign out_last_o    = a_out_last;
  assign out_tag_ok_o  = a_out_ok;
  assign out_err_o     = a_out_err;
  assign keys_held_o   = a_keys_held;
  assign idle_o        = a_idle;
  assign e_cfg_valid_o = a_e_cfg_valid;
  assign e_key_load_o  = a_e_key_load;
  assign e_key_len_o   = a_e_key_len;
  assign e_key_o       = a_e_key;
  assign e_in_valid_o  = a_e_in_valid;
  assign e_in_data_o   = a_e_in_data;
  assign e_out_ready_o = a_e_out_ready;
  assign e_wipe_o      = a_e_wipe;

  reg f_past = 1'b0;
  always @(posedge clk_i) f_past <= 1'b1;
  always @(posedge clk_i)
    if (f_past && rst_ni && $past(rst_ni) && $past(out_valid_o && !out_ready_i))
      assume (out_valid_o && $stable({out_data_o, out_last_o, out_tag_ok_o, out_err_o}));

  logic unused;
  assign unused = ^{cfg_valid_i, cfg_key_load_i, cfg_key_len_i, cfg_key_i, cfg_decrypt_i, cfg_iv_i, cfg_iv_len_i,
                    cfg_aad_len_i, cfg_text_len_i, cfg_tag_len_i, in_valid_i, in_data_i, wipe_i, e_cfg_ready_i,
                    e_in_ready_i, e_out_valid_i, e_out_data_i, e_out_err_i, e_wipe_busy_i, e_idle_i};
endmodule

`default_nettype wire
