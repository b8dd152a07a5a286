// aes_gcm: AES-GCM (NIST SP 800-38D) encryption and decryption of one message per request:
// the GCM sequencer aes_gcm_ctl (counter with GCM's inc32, a ghash unit with DIGIT 16: 8 clocks
// a block, hidden behind the AES block's Nr+1) with an aes_engine of its own, used in ECB.
//
// A request (cfg_*): key (loaded when cfg_key_load_i, else the last one is kept with its H),
// direction, IV (96-bit in cfg_iv_i when cfg_iv_len_i = 12, else streamed), lengths in bytes
// of IV, AAD and text, and the tag length (1..16 bytes; which lengths a service allows is the
// device's rule). Then the data stream (in_*), each region starting on a new beat, byte 0 in
// [127:120], the bytes past a region's end in its last beat ignored:
//   IV blocks (only when cfg_iv_len_i != 12), AAD blocks, text blocks, and, decrypting, one
//   beat holding the expected tag in its first tag-length bytes.
// The answer (out_*): one beat per text block (the bytes past the text zero), then one beat
// with out_last_o = 1: encrypting, the full 16-byte tag (the consumer keeps the first
// tag-length bytes); decrypting, zero data and out_tag_ok_o = 1 if the expected tag matched
// (compared over all tag-length bytes at once: no early exit). Decrypted text leaves before
// the tag is checked, as from any streaming GCM engine: whoever writes it out must hold it
// back on a mismatch (the device answers VIRTIO_CRYPTO_BADMSG and releases nothing).
// Bad requests (a key length of 3 with a key load, no key held, IV length 0, tag length 0 or
// over 16): every input beat of the request is consumed and the answer is the last beat
// alone, with out_err_o = 1 and zero data.
// Key hygiene: wipe_i (a pulse, served between requests) wipes the engine's round keys and H;
// J0, E(K, J0), the counter and GHASH's Y are cleared at the end of every request.
`default_nettype none

module aes_gcm (
  input  logic         clk_i,
  input  logic         rst_ni,
  // request
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic         cfg_key_load_i,
  input  logic [1:0]   cfg_key_len_i,   // 0: AES-128, 1: AES-192, 2: AES-256, 3: invalid
  input  logic [255:0] cfg_key_i,       // key byte 0 in [255:248]
  input  logic         cfg_decrypt_i,
  input  logic [95:0]  cfg_iv_i,        // the IV when cfg_iv_len_i = 12, byte 0 in [95:88]
  input  logic [31:0]  cfg_iv_len_i,    // bytes
  input  logic [31:0]  cfg_aad_len_i,   // bytes
  input  logic [31:0]  cfg_text_len_i,  // bytes
  input  logic [4:0]   cfg_tag_len_i,   // bytes, 1..16
  // data in
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  // answer
  output logic         out_valid_o,
  input  logic         out_ready_i,
  output logic [127:0] out_data_o,
  output logic         out_last_o,
  output logic         out_tag_ok_o,
  output logic         out_err_o,
  // key hygiene and status
  input  logic         wipe_i,
  output logic         keys_held_o,
  output logic         idle_o
);

  logic         e_cfg_valid, e_cfg_ready, e_key_load, e_in_valid, e_in_ready, e_out_valid, e_out_ready;
  logic         e_out_err, e_wipe, e_wipe_busy, e_idle, e_keys_held, h_held, e_key_valid, e_cfg_err;
  logic [1:0]   e_key_len;
  logic [255:0] e_key;
  logic [127:0] e_in_data, e_out_data;

  aes_gcm_ctl u_ctl (
    .clk_i, .rst_ni,
    .cfg_valid_i, .cfg_ready_o, .cfg_key_load_i, .cfg_key_len_i, .cfg_key_i, .cfg_decrypt_i,
    .cfg_iv_i, .cfg_iv_len_i, .cfg_aad_len_i, .cfg_text_len_i, .cfg_tag_len_i,
    .in_valid_i, .in_ready_o, .in_data_i,
    .out_valid_o, .out_ready_i, .out_data_o, .out_last_o, .out_tag_ok_o, .out_err_o,
    .wipe_i,
    .keys_held_o   (h_held),
    .idle_o,
    .e_cfg_valid_o (e_cfg_valid),
    .e_cfg_ready_i (e_cfg_ready),
    .e_key_load_o  (e_key_load),
    .e_key_len_o   (e_key_len),
    .e_key_o       (e_key),
    .e_in_valid_o  (e_in_valid),
    .e_in_ready_i  (e_in_ready),
    .e_in_data_o   (e_in_data),
    .e_out_valid_i (e_out_valid),
    .e_out_ready_o (e_out_ready),
    .e_out_data_i  (e_out_data),
    .e_out_err_i   (e_out_err),
    .e_wipe_o      (e_wipe),
    .e_wipe_busy_i (e_wipe_busy),
    .e_idle_i      (e_idle)
  );

  aes_engine u_aes (
    .clk_i, .rst_ni,
    .cfg_valid_i    (e_cfg_valid),
    .cfg_ready_o    (e_cfg_ready),
    .cfg_key_load_i (e_key_load),
    .cfg_key_sel_i  (1'b0),
    .cfg_key_len_i  (e_key_len),
    .cfg_key_i      (e_key),
    .cfg_mode_i     (2'd0),
    .cfg_xts_i      (1'b0),
    .cfg_tail_i     (7'd0),
    .cfg_decrypt_i  (1'b0),
    .cfg_iv_i       (128'd0),
    .in_valid_i     (e_in_valid),
    .in_ready_o     (e_in_ready),
    .in_data_i      (e_in_data),
    .in_last_i      (1'b0),
    .out_valid_o    (e_out_valid),
    .out_ready_i    (e_out_ready),
    .out_data_o     (e_out_data),
    .out_err_o      (e_out_err),
    .key_valid_o    (e_key_valid),
    .cfg_err_o      (e_cfg_err),
    .idle_o         (e_idle),
    .wipe_i         (e_wipe),
    .wipe_busy_o    (e_wipe_busy),
    .keys_held_o    (e_keys_held)
  );

  assign keys_held_o = e_keys_held || h_held;

  // the sequencer checks every request (aes_gcm_ctl's cfg_ok), so the engine never rejects one
  logic unused_status;
  assign unused_status = ^{e_key_valid, e_cfg_err};

endmodule

`default_nettype wire
