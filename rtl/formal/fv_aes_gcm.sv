// Formal harness of rtl/gcm/aes_gcm.sv (job gcm.sby): the unit's stream contract, with its AES
// engine and GHASH unit replaced by their stream contracts (fv_engine_stubs.sv's aes_engine;
// fv_ghash_stub below as `ghash`): whatever the engine and GHASH answer and however long they
// take, every request consumes exactly its data beats and gets exactly one last beat, after
// one beat per text block (none when refused), and the answer beat is held until taken.
// Lengths are bounded (<= 32 bytes: up to 2 beats a region) and the check is bounded (18
// clocks: a whole request with regions of one or two blocks, or two short requests back to
// back); the state machine's paths are the same for longer regions, only repeated.
`default_nettype none

module ghash #(parameter int DIGIT = 16) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic         h_load_i,
  input  logic [127:0] h_i,
  input  logic         clear_i,
  input  logic         start_i,
  input  logic [127:0] blk_i,
  input  logic         wipe_i,
  output logic         busy_o,
  output logic         done_o,
  output logic [127:0] y_o
);
  // a product takes any number (>= 1) of clocks; done_o pulses in the clock busy_o falls
  (* anyseq *) logic a_finish;
  (* anyseq *) logic [127:0] a_y;
  logic busy_q;
  always_ff @(posedge clk_i or negedge rst_ni)
    if (!rst_ni) busy_q <= 1'b0;
    else if (wipe_i || h_load_i || clear_i) busy_q <= 1'b0;
    else if (start_i && !busy_q) busy_q <= 1'b1;
    else if (busy_q && a_finish) busy_q <= 1'b0;
  assign busy_o = busy_q;
  logic done_q;
  always_ff @(posedge clk_i or negedge rst_ni)
    if (!rst_ni) done_q <= 1'b0;
    else done_q <= busy_q && a_finish && !(wipe_i || h_load_i || clear_i);
  assign done_o = done_q;
  assign y_o = a_y;
  logic unused;
  assign unused = ^{h_i, blk_i};
endmodule

module fv_aes_gcm (
  input logic clk_i
);
  logic rst_ni;
  logic f_past = 1'b0;
  always_ff @(posedge clk_i) f_past <= 1'b1;

  (* anyseq *) logic         cfg_valid, cfg_key_load, cfg_decrypt, in_valid, out_ready, wipe, a_rst;
  (* anyseq *) logic [1:0]   cfg_key_len;
  (* anyseq *) logic [255:0] cfg_key;
  (* anyseq *) logic [95:0]  cfg_iv;
  (* anyseq *) logic [31:0]  cfg_iv_len, cfg_aad_len, cfg_text_len;
  (* anyseq *) logic [4:0]   cfg_tag_len;
  (* anyseq *) logic [127:0] in_data;
  assign rst_ni = f_past ? a_rst : 1'b0;
  always_comb if (f_past) assume (rst_ni);          // one reset at the start

  logic         cfg_ready, in_ready, out_valid, out_last, out_ok, out_err, keys_held, idle;
  logic [127:0] out_data;

  aes_gcm dut (
    .clk_i, .rst_ni,
    .cfg_valid_i (cfg_valid), .cfg_ready_o (cfg_ready), .cfg_key_load_i (cfg_key_load),
    .cfg_key_len_i (cfg_key_len), .cfg_key_i (cfg_key), .cfg_decrypt_i (cfg_decrypt), .cfg_iv_i (cfg_iv),
    .cfg_iv_len_i (cfg_iv_len), .cfg_aad_len_i (cfg_aad_len), .cfg_text_len_i (cfg_text_len),
    .cfg_tag_len_i (cfg_tag_len),
    .in_valid_i (in_valid), .in_ready_o (in_ready), .in_data_i (in_data),
    .out_valid_o (out_valid), .out_ready_i (out_ready), .out_data_o (out_data), .out_last_o (out_last),
    .out_tag_ok_o (out_ok), .out_err_o (out_err),
    .wipe_i (wipe), .keys_held_o (keys_held), .idle_o (idle)
  );

  // ---------------------------------------------------------------- the environment
  always_comb if (rst_ni) begin
    assume (cfg_iv_len <= 32'd32 && cfg_aad_len <= 32'd32 && cfg_text_len <= 32'd32);
  end
  always_ff @(posedge clk_i) if (f_past && rst_ni && $past(rst_ni)) begin
    if ($past(cfg_valid && !cfg_ready))
      assume (cfg_valid && $stable({cfg_key_load, cfg_key_len, cfg_key, cfg_decrypt, cfg_iv, cfg_iv_len,
                                    cfg_aad_len, cfg_text_len, cfg_tag_len}));
    if ($past(in_valid && !in_ready)) assume (in_valid && $stable(in_data));
  end

  // ---------------------------------------------------------------- the bookkeeping
  function automatic logic [7:0] blocks(input logic [31:0] n);
    blocks = 8'(n[31:4]) + {7'd0, n[3:0] != 4'd0};
  endfunction

  wire cfg_fire  = cfg_valid && cfg_ready;
  wire in_fire   = in_valid && in_ready;
  wire out_fire  = out_valid && out_ready;
  wire last_fire = out_fire && out_last;

  logic       open_q;        // a request taken whose state machine has not returned to idle
  logic [7:0] exp_in_q, got_in_q, exp_txt_q, got_txt_q;
  logic       old_q;         // a request was taken while the previous one's last beat waited:
  logic [7:0] old_txt_q;     // that one's text blocks, for the check when its last beat goes
  logic [1:0] pending_q;     // requests taken whose last beat has not been delivered
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      open_q <= 1'b0; exp_in_q <= '0; got_in_q <= '0; exp_txt_q <= '0; got_txt_q <= '0; pending_q <= '0;
      old_q <= 1'b0; old_txt_q <= '0;
    end else begin
      pending_q <= pending_q + {1'b0, cfg_fire} - {1'b0, last_fire};
      if (in_fire) got_in_q <= got_in_q + 8'd1;
      if (out_fire && !out_last) got_txt_q <= got_txt_q + 8'd1;
      if (last_fire) begin
        got_txt_q <= '0;
        old_q     <= 1'b0;
      end
      if (cfg_fire && pending_q != 2'd0 && !last_fire) begin
        old_q     <= 1'b1;
        old_txt_q <= exp_txt_q;
      end
      if (cfg_fire) begin
        open_q    <= 1'b1;
        exp_in_q  <= ((cfg_iv_len == 32'd12) ? 8'd0 : blocks(cfg_iv_len)) + blocks(cfg_aad_len) +
                     blocks(cfg_text_len) + {7'd0, cfg_decrypt};
        got_in_q  <= '0;
        exp_txt_q <= blocks(cfg_text_len);
      end else if (cfg_ready) open_q <= 1'b0;
    end
  end

  // ---------------------------------------------------------------- the contract
  always_comb if (rst_ni) begin
    // data beats only inside a request, never more than it holds
    if (in_ready) a_in_open: assert (open_q && !cfg_ready);
    a_in_count: assert (got_in_q <= exp_in_q);
    // back at idle, the request took exactly its beats
    if (open_q && cfg_ready) a_in_exact: assert (got_in_q == exp_in_q);
    // one last beat per request: at most the current one and the previous one's unread last beat
    a_pending: assert (pending_q <= 2'd2);
    if (pending_q == 2'd2) a_two: assert (out_valid && out_last);
    if (out_valid && out_last) a_last_has_req: assert (pending_q != 2'd0);
    if (pending_q == 2'd0) a_idle_no_out: assert (!out_valid);
    // text beats: never more than the text's blocks
    a_txt_count: assert (got_txt_q <= (old_q ? old_txt_q : exp_txt_q));
    if (out_valid && !out_last) a_txt_room: assert (!old_q && got_txt_q < exp_txt_q);
  end
  always_ff @(posedge clk_i) if (f_past && rst_ni && $past(rst_ni)) begin
    // the answer beat is held, unchanged, until it is taken
    if ($past(out_valid && !out_ready))
      a_out_hold: assert (out_valid && $stable({out_data, out_last, out_ok, out_err}));
  end
  always_comb if (rst_ni && last_fire) begin
    // the last beat closes the request: all its text beats came first (none if refused)
    a_txt_exact: assert (got_txt_q == (out_err ? 8'd0 : old_q ? old_txt_q : exp_txt_q));
  end

  logic unused;
  assign unused = ^{keys_held, idle};
endmodule

`default_nettype wire
