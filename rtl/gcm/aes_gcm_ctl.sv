// aes_gcm_ctl: the AES-GCM (NIST SP 800-38D) sequencer: drives an aes_engine it does not own
// (in ECB: the GCM counter is kept here, with GCM's inc32) through the engine's own ports, and
// a ghash unit (DIGIT 16: 8 clocks a block, hidden behind the AES block's Nr+1) it does own.
// aes_gcm pairs it with an engine of its own; a crypto lane (vcrypto_lane) lends it the lane's
// engine for its AEAD requests. Its request, stream and answer contract is aes_gcm's
// (rtl/README.md, aes_gcm); keys_held_o says only whether H is held.
`default_nettype none

module aes_gcm_ctl (
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
  output logic         keys_held_o,     // H is held (the engine's round keys are the engine's to say)
  output logic         idle_o,
  // the AES engine (aes_engine's ports of the same names; its other configuration inputs are
  // tied by the owner: ECB, key_sel 0, not XTS, not decrypting, in_last 0)
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

  // the first n bytes of a block (n = 1..16; 0 means all 16)
  function automatic logic [127:0] head_bytes(input logic [3:0] n);
    head_bytes = (n == 4'd0) ? {128{1'b1}} : ~({128{1'b1}} >> {n, 3'b000});
  endfunction

  // GCM's inc32: the counter's last 32 bits + 1 mod 2^32, the first 96 unchanged
  function automatic logic [127:0] inc32(input logic [127:0] c);
    inc32 = {c[127:32], c[31:0] + 32'd1};
  endfunction

  typedef enum logic [3:0] {
    S_IDLE, S_ECFG, S_H, S_IV, S_IVLEN, S_J0, S_EKJ0, S_AAD, S_TEXT, S_LEN, S_TAG, S_DRAIN, S_WIPE
  } state_t;
  state_t state_q;

  // request
  logic         key_load_q, dec_q, h_valid_q;
  logic [1:0]   key_len_q;
  logic [255:0] key_q;
  logic [31:0]  iv_len_q, aad_len_q, text_len_q;
  logic [4:0]   tag_len_q;
  logic [27:0]  left_q;       // blocks of the current region still to take
  logic [27:0]  issued_q;     // counter blocks still to send to the engine (S_TEXT)
  logic [127:0] j0_q, ekj0_q, ctr_q;
  logic         wipe_req_q, eng_sent_q;
  logic [27:0]  drain_q;

  // answer register
  logic         out_valid_q, out_last_q, out_ok_q, out_err_q;
  logic [127:0] out_data_q;
  logic         out_free;
  assign out_free = !out_valid_q || out_ready_i;

  // ---------------------------------------------------------------- the AES engine (ECB)
  logic         e_cfg_valid, e_cfg_ready, e_in_valid, e_in_ready, e_out_valid, e_out_ready, e_out_err;
  logic [127:0] e_in_data, e_out_data;
  logic         e_idle, e_wipe, e_wipe_busy;
  assign e_cfg_valid_o = e_cfg_valid;
  assign e_cfg_ready   = e_cfg_ready_i;
  assign e_key_load_o  = key_load_q;
  assign e_key_len_o   = key_len_q;
  assign e_key_o       = key_q;
  assign e_in_valid_o  = e_in_valid;
  assign e_in_ready    = e_in_ready_i;
  assign e_in_data_o   = e_in_data;
  assign e_out_valid   = e_out_valid_i;
  assign e_out_ready_o = e_out_ready;
  assign e_out_data    = e_out_data_i;
  assign e_out_err     = e_out_err_i;
  assign e_wipe_o      = e_wipe;
  assign e_wipe_busy   = e_wipe_busy_i;
  assign e_idle        = e_idle_i;

  // ---------------------------------------------------------------- GHASH
  logic         g_load, g_clear, g_start, g_busy, g_done, g_wipe;
  logic [127:0] g_blk, g_y;

  ghash #(.DIGIT(16)) u_ghash (
    .clk_i, .rst_ni,
    .h_load_i (g_load),
    .h_i      (e_out_data),
    .clear_i  (g_clear),
    .start_i  (g_start),
    .blk_i    (g_blk),
    .wipe_i   (g_wipe),
    .busy_o   (g_busy),
    .done_o   (g_done),
    .y_o      (g_y)
  );

  // ---------------------------------------------------------------- control
  logic        cfg_fire, cfg_ok, in_fire, last_in, txt_take, tag_ready, tag_fire;
  logic [3:0]  tail_n;          // bytes in the region's last block (0: 16)
  logic [127:0] last_mask, in_masked, text_out, tag_full, tag_diff;

  assign cfg_ready_o = state_q == S_IDLE && !wipe_req_q;
  assign cfg_fire    = cfg_valid_i && cfg_ready_o;
  assign cfg_ok      = !(cfg_key_load_i && cfg_key_len_i == 2'd3) && (cfg_key_load_i || h_valid_q) &&
                       cfg_iv_len_i != 32'd0 && cfg_tag_len_i != 5'd0 && cfg_tag_len_i <= 5'd16;

  always_comb begin
    case (state_q)
      S_IV:    tail_n = iv_len_q[3:0];
      S_AAD:   tail_n = aad_len_q[3:0];
      default: tail_n = text_len_q[3:0];
    endcase
  end
  assign last_in   = left_q == 28'd1;
  assign last_mask = last_in ? head_bytes(tail_n) : {128{1'b1}};   // the region's bytes in this beat
  assign in_masked = in_data_i & last_mask;
  assign text_out  = (in_data_i ^ e_out_data) & last_mask;
  // a text block: its keystream, its data, GHASH free and room for the answer
  assign txt_take  = state_q == S_TEXT && e_out_valid && in_valid_i && !g_busy && out_free;
  // the tag: S final and room for the answer; decrypting, the expected tag's beat too
  assign tag_ready = !g_busy && out_free;
  assign tag_fire  = state_q == S_TAG && tag_ready && (!dec_q || in_valid_i);
  assign tag_full  = g_y ^ ekj0_q;
  assign tag_diff  = (tag_full ^ in_data_i) & head_bytes(tag_len_q[3:0]);

  always_comb begin
    e_cfg_valid = state_q == S_ECFG;
    e_in_valid  = 1'b0;
    e_in_data   = 128'd0;
    e_out_ready = 1'b0;
    in_ready_o  = 1'b0;
    g_load = 1'b0; g_start = 1'b0; g_blk = in_masked;
    case (state_q)
      S_H: begin
        e_in_valid  = !eng_sent_q;                    // E(K, 0^128)
        e_out_ready = 1'b1;
        g_load      = e_out_valid;
      end
      S_IV, S_AAD: begin
        in_ready_o = !g_busy;
        g_start    = in_valid_i && !g_busy;
      end
      S_IVLEN: begin
        g_start = !g_busy;
        g_blk   = {64'd0, 29'd0, iv_len_q, 3'b000};
      end
      S_EKJ0: begin
        e_in_valid  = !eng_sent_q;
        e_in_data   = j0_q;
        e_out_ready = 1'b1;
      end
      S_TEXT: begin
        e_in_valid  = issued_q != 28'd0;
        e_in_data   = ctr_q;
        e_out_ready = txt_take;
        in_ready_o  = txt_take;
        g_start     = txt_take;
        g_blk       = dec_q ? in_masked : text_out;
      end
      S_LEN: begin
        g_start = !g_busy;
        g_blk   = {29'd0, aad_len_q, 3'b000, 29'd0, text_len_q, 3'b000};
      end
      S_TAG: in_ready_o = dec_q && tag_ready;
      S_DRAIN: in_ready_o = drain_q != 28'd0;
      default: ;
    endcase
  end
  assign in_fire = in_valid_i && in_ready_o;
  assign e_wipe  = state_q == S_WIPE && !eng_sent_q;
  assign g_wipe  = e_wipe;

  function automatic logic [27:0] blocks(input logic [31:0] bytes_);
    blocks = bytes_[31:4] + {27'd0, bytes_[3:0] != 4'd0};
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= S_IDLE;
      key_load_q <= 1'b0; dec_q <= 1'b0; h_valid_q <= 1'b0; key_len_q <= '0; key_q <= '0;
      iv_len_q <= '0; aad_len_q <= '0; text_len_q <= '0; tag_len_q <= '0;
      left_q <= '0; issued_q <= '0; drain_q <= '0;
      j0_q <= '0; ekj0_q <= '0; ctr_q <= '0;
      wipe_req_q <= 1'b0; eng_sent_q <= 1'b0;
      out_valid_q <= 1'b0; out_last_q <= 1'b0; out_ok_q <= 1'b0; out_err_q <= 1'b0; out_data_q <= '0;
    end else begin
      if (wipe_i) wipe_req_q <= 1'b1;
      if (out_valid_q && out_ready_i) out_valid_q <= 1'b0;
      if (e_in_valid && e_in_ready) eng_sent_q <= 1'b1;
      case (state_q)
        S_IDLE: begin
          if (wipe_req_q) begin
            wipe_req_q <= 1'b0;
            eng_sent_q <= 1'b0;
            state_q    <= S_WIPE;
          end else if (cfg_fire) begin
            key_load_q <= cfg_key_load_i;
            key_len_q  <= cfg_key_len_i;
            key_q      <= cfg_key_load_i ? cfg_key_i : 256'd0;
            dec_q      <= cfg_decrypt_i;
            iv_len_q   <= cfg_iv_len_i;
            aad_len_q  <= cfg_aad_len_i;
            text_len_q <= cfg_text_len_i;
            tag_len_q  <= cfg_tag_len_i;
            j0_q       <= {cfg_iv_i, 31'd0, 1'b1};
            eng_sent_q <= 1'b0;
            if (cfg_ok) state_q <= S_ECFG;
            else begin
              drain_q <= ((cfg_iv_len_i == 32'd12) ? 28'd0 : blocks(cfg_iv_len_i)) + blocks(cfg_aad_len_i) +
                         blocks(cfg_text_len_i) + {27'd0, cfg_decrypt_i};
              state_q <= S_DRAIN;
            end
          end
        end
        S_ECFG: if (e_cfg_ready) begin
          key_q <= '0;                                   // the engine holds the key now
          eng_sent_q <= 1'b0;
          if (key_load_q) begin
            h_valid_q <= 1'b0;
            state_q   <= S_H;
          end else if (iv_len_q == 32'd12) state_q <= S_EKJ0;
          else begin
            left_q  <= blocks(iv_len_q);
            state_q <= S_IV;
          end
        end
        S_H: if (e_out_valid) begin                      // H = E(K, 0^128) into GHASH
          h_valid_q  <= !e_out_err;
          eng_sent_q <= 1'b0;
          if (iv_len_q == 32'd12) state_q <= S_EKJ0;
          else begin
            left_q  <= blocks(iv_len_q);
            state_q <= S_IV;
          end
        end
        S_IV: if (in_fire) begin                         // J0 = GHASH(IV || 0^s || [len(IV)]64)
          left_q <= left_q - 28'd1;
          if (last_in) state_q <= S_IVLEN;
        end
        S_IVLEN: if (!g_busy) state_q <= S_J0;
        S_J0: if (g_done) begin
          j0_q       <= g_y;
          eng_sent_q <= 1'b0;
          state_q    <= S_EKJ0;
        end
        S_EKJ0: if (e_out_valid) begin                   // E(K, J0) masks the tag
          ekj0_q   <= e_out_data;
          ctr_q    <= inc32(j0_q);
          j0_q     <= '0;
          issued_q <= blocks(text_len_q);
          if (aad_len_q != 32'd0) begin
            left_q  <= blocks(aad_len_q);
            state_q <= S_AAD;
          end else if (text_len_q != 32'd0) begin
            left_q  <= blocks(text_len_q);
            state_q <= S_TEXT;
          end else state_q <= S_LEN;
        end
        S_AAD: if (in_fire) begin
          left_q <= left_q - 28'd1;
          if (last_in) begin
            if (text_len_q != 32'd0) begin
              left_q  <= blocks(text_len_q);
              state_q <= S_TEXT;
            end else state_q <= S_LEN;
          end
        end
        S_TEXT: begin
          if (e_in_valid && e_in_ready) begin
            ctr_q    <= inc32(ctr_q);
            issued_q <= issued_q - 28'd1;
          end
          if (txt_take) begin
            out_valid_q <= 1'b1;
            out_data_q  <= text_out;
            out_last_q  <= 1'b0;
            out_ok_q    <= 1'b0;
            out_err_q   <= 1'b0;
            left_q      <= left_q - 28'd1;
            if (last_in) state_q <= S_LEN;
          end
        end
        S_LEN: if (!g_busy) state_q <= S_TAG;
        S_TAG: if (tag_fire) begin
          out_valid_q <= 1'b1;
          out_last_q  <= 1'b1;
          out_err_q   <= 1'b0;
          out_data_q  <= dec_q ? 128'd0 : tag_full;
          out_ok_q    <= dec_q ? (tag_diff == 128'd0) : 1'b1;
          ekj0_q      <= '0;
          ctr_q       <= '0;
          state_q     <= S_IDLE;
        end
        S_DRAIN: begin
          if (in_fire) drain_q <= drain_q - 28'd1;
          if ((drain_q == 28'd0 || (in_fire && drain_q == 28'd1)) && out_free) begin
            out_valid_q <= 1'b1;
            out_last_q  <= 1'b1;
            out_ok_q    <= 1'b0;
            out_err_q   <= 1'b1;
            out_data_q  <= '0;
            drain_q     <= '0;
            state_q     <= S_IDLE;
          end
        end
        S_WIPE: if (eng_sent_q && !e_wipe_busy) begin
          h_valid_q <= 1'b0;
          state_q   <= S_IDLE;
        end
        default: state_q <= S_IDLE;
      endcase
      if (e_wipe) eng_sent_q <= 1'b1;
    end
  end

  // GHASH's Y goes back to zero after the tag (and before each message): clear on entering
  // the message's first GHASH block, and when the request ends
  assign g_clear = (state_q == S_EKJ0 && e_out_valid) || tag_fire || (state_q == S_ECFG && e_cfg_ready);

  assign out_valid_o  = out_valid_q;
  assign out_data_o   = out_data_q;
  assign out_last_o   = out_last_q;
  assign out_tag_ok_o = out_ok_q;
  assign out_err_o    = out_err_q;
  assign keys_held_o  = h_valid_q;
  assign idle_o       = state_q == S_IDLE && !out_valid_q && !wipe_req_q && e_idle;

  // tag_len_q[4] is 16 only with its low bits 0, which head_bytes reads as all 16
  logic unused_tag_bit;
  assign unused_tag_bit = tag_len_q[4];

endmodule

`default_nettype wire
