// sha256_engine: SHA-224/SHA-256 compression (FIPS 180-4), one round per clock, continuing
// from a standard IV or from any supplied chaining state, with the state readable at the end.
//
// Streams (see rtl/README.md for the full contract):
//   cfg   : opens a message. cfg_init_i = 0 SHA-256 IV, 1 SHA-224 IV, 2 start from
//           cfg_state_i (e.g. an HMAC inner/outer state precomputed by software), 3 invalid.
//   in    : the message, ALREADY PADDED by the feeder (FIPS 180-4 5.1.1: 0x80, zeros, 64-bit
//           big-endian bit length of everything hashed from the IV, including any prefix
//           already absorbed into a supplied state), as 128-bit beats, four per 512-bit block,
//           byte 0 in [127:120]. in_last_i marks the fourth beat of the final block.
//   state : after the final block, the 256-bit chaining state H0..H7 (H0 in [255:224]).
//           SHA-256 digest = all 256 bits; SHA-224 digest = the top 224 bits.
// A block is compressed in 64 round clocks plus one clock to add it into H; the next block's
// four beats are taken into a buffer during compression, so a stream of blocks costs 65
// clocks per block.
// Defined responses to bad input:
//   * cfg_init_i = 3: consumed, cfg_err_o rises (until the next valid cfg); no message opens;
//   * beats while no message is open: consumed and dropped; if one carries in_last_i, one
//     state beat with state_err_o=1 and zero state answers it;
//   * in_last_i on beat 1..3 of a block: the partial block is dropped, the message closes with
//     one error state beat;
//   * a cfg while a message is open (before its last block): accepted only between blocks; the
//     unfinished message is closed with one error state beat and the new message opens.
// So every in_last_i beat and every abandoned message produce exactly one state beat.
`default_nettype none

module sha256_engine (
  input  logic         clk_i,
  input  logic         rst_ni,
  // configuration (opens a message)
  input  logic         cfg_valid_i,
  output logic         cfg_ready_o,
  input  logic [1:0]   cfg_init_i,
  input  logic [255:0] cfg_state_i,
  // padded message beats
  input  logic         in_valid_i,
  output logic         in_ready_o,
  input  logic [127:0] in_data_i,
  input  logic         in_last_i,
  // chaining state after the final block
  output logic         state_valid_o,
  input  logic         state_ready_i,
  output logic [255:0] state_o,
  output logic         state_err_o,
  // status
  output logic         cfg_err_o,
  output logic         idle_o
);

  localparam logic [255:0] IV_SHA256 = {32'h6a09e667, 32'hbb67ae85, 32'h3c6ef372, 32'ha54ff53a,
                                        32'h510e527f, 32'h9b05688c, 32'h1f83d9ab, 32'h5be0cd19};
  localparam logic [255:0] IV_SHA224 = {32'hc1059ed8, 32'h367cd507, 32'h3070dd17, 32'hf70e5939,
                                        32'hffc00b31, 32'h68581511, 32'h64f98fa7, 32'hbefa4fa4};

  function automatic logic [31:0] k_of(input logic [5:0] t);
    logic [31:0] k;
    case (t)
      6'd0: k = 32'h428a2f98; 6'd1: k = 32'h71374491; 6'd2: k = 32'hb5c0fbcf; 6'd3: k = 32'he9b5dba5;
      6'd4: k = 32'h3956c25b; 6'd5: k = 32'h59f111f1; 6'd6: k = 32'h923f82a4; 6'd7: k = 32'hab1c5ed5;
      6'd8: k = 32'hd807aa98; 6'd9: k = 32'h12835b01; 6'd10: k = 32'h243185be; 6'd11: k = 32'h550c7dc3;
      6'd12: k = 32'h72be5d74; 6'd13: k = 32'h80deb1fe; 6'd14: k = 32'h9bdc06a7; 6'd15: k = 32'hc19bf174;
      6'd16: k = 32'he49b69c1; 6'd17: k = 32'hefbe4786; 6'd18: k = 32'h0fc19dc6; 6'd19: k = 32'h240ca1cc;
      6'd20: k = 32'h2de92c6f; 6'd21: k = 32'h4a7484aa; 6'd22: k = 32'h5cb0a9dc; 6'd23: k = 32'h76f988da;
      6'd24: k = 32'h983e5152; 6'd25: k = 32'ha831c66d; 6'd26: k = 32'hb00327c8; 6'd27: k = 32'hbf597fc7;
      6'd28: k = 32'hc6e00bf3; 6'd29: k = 32'hd5a79147; 6'd30: k = 32'h06ca6351; 6'd31: k = 32'h14292967;
      6'd32: k = 32'h27b70a85; 6'd33: k = 32'h2e1b2138; 6'd34: k = 32'h4d2c6dfc; 6'd35: k = 32'h53380d13;
      6'd36: k = 32'h650a7354; 6'd37: k = 32'h766a0abb; 6'd38: k = 32'h81c2c92e; 6'd39: k = 32'h92722c85;
      6'd40: k = 32'ha2bfe8a1; 6'd41: k = 32'ha81a664b; 6'd42: k = 32'hc24b8b70; 6'd43: k = 32'hc76c51a3;
      6'd44: k = 32'hd192e819; 6'd45: k = 32'hd6990624; 6'd46: k = 32'hf40e3585; 6'd47: k = 32'h106aa070;
      6'd48: k = 32'h19a4c116; 6'd49: k = 32'h1e376c08; 6'd50: k = 32'h2748774c; 6'd51: k = 32'h34b0bcb5;
      6'd52: k = 32'h391c0cb3; 6'd53: k = 32'h4ed8aa4a; 6'd54: k = 32'h5b9cca4f; 6'd55: k = 32'h682e6ff3;
      6'd56: k = 32'h748f82ee; 6'd57: k = 32'h78a5636f; 6'd58: k = 32'h84c87814; 6'd59: k = 32'h8cc70208;
      6'd60: k = 32'h90befffa; 6'd61: k = 32'ha4506ceb; 6'd62: k = 32'hbef9a3f7; 6'd63: k = 32'hc67178f2;      default: k = 32'h0;
    endcase
    k_of = k;
  endfunction

  function automatic logic [31:0] rotr(input logic [31:0] x, input int n);
    rotr = (x >> n) | (x << (32 - n));
  endfunction

  function automatic logic [31:0] big_sigma0(input logic [31:0] x);
    big_sigma0 = rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
  endfunction
  function automatic logic [31:0] big_sigma1(input logic [31:0] x);
    big_sigma1 = rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
  endfunction
  function automatic logic [31:0] small_sigma0(input logic [31:0] x);
    small_sigma0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3);
  endfunction
  function automatic logic [31:0] small_sigma1(input logic [31:0] x);
    small_sigma1 = rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10);
  endfunction

  // ---------------------------------------------------------------- state
  logic [31:0]  h_q [8];       // chaining state H0..H7
  logic [31:0]  v_q [8];       // working variables a..h
  logic [31:0]  w_q [16];      // message schedule window W[t..t+15]
  logic [31:0]  buf_q [16];    // next block, filled beat by beat while compressing
  logic [1:0]   beat_q;
  logic         buf_full_q, buf_last_q;
  logic         busy_q, blk_last_q, open_q;
  logic [6:0]   t_q;           // 1..63: round; 64: add into H
  logic         out_valid_q, out_err_q, cfg_err_q;

  // ---------------------------------------------------------------- control
  logic cfg_fire, in_fire, start, drop, add, malformed;
  assign cfg_ready_o = !busy_q && !buf_full_q && beat_q == 2'd0 && !out_valid_q;
  assign cfg_fire    = cfg_valid_i && cfg_ready_o;
  // No beats while the final block compresses: its state beat owns the output slot next.
  assign in_ready_o  = !buf_full_q && !out_valid_q && !cfg_valid_i && !(busy_q && blk_last_q);
  assign in_fire     = in_valid_i && in_ready_o;
  assign malformed   = in_fire && in_last_i && beat_q != 2'd3;
  assign start       = buf_full_q && !busy_q && open_q;
  // a block with no open message is dropped (waiting for the output slot if it must report)
  assign drop        = buf_full_q && !open_q && !(buf_last_q && out_valid_q);
  assign add         = busy_q && t_q == 7'd64;

  // ---------------------------------------------------------------- round datapath
  logic [31:0] cur [8];
  logic [31:0] win [16];
  logic [31:0] wt, t1, t2, w_new;
  logic [5:0]  t_idx;

  always_comb begin
    for (int k = 0; k < 8; k++)  cur[k] = start ? h_q[k] : v_q[k];
    for (int k = 0; k < 16; k++) win[k] = start ? buf_q[k] : w_q[k];
    t_idx = start ? 6'd0 : t_q[5:0];
    wt    = win[0];
    t1    = cur[7] + big_sigma1(cur[4]) + ((cur[4] & cur[5]) ^ (~cur[4] & cur[6])) + k_of(t_idx) + wt;
    t2    = big_sigma0(cur[0]) + ((cur[0] & cur[1]) ^ (cur[0] & cur[2]) ^ (cur[1] & cur[2]));
    w_new = small_sigma1(win[14]) + win[9] + small_sigma0(win[1]) + win[0];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int k = 0; k < 8; k++)  begin h_q[k] <= '0; v_q[k] <= '0; end
      for (int k = 0; k < 16; k++) begin w_q[k] <= '0; buf_q[k] <= '0; end
      beat_q      <= '0;
      buf_full_q  <= 1'b0;
      buf_last_q  <= 1'b0;
      busy_q      <= 1'b0;
      blk_last_q  <= 1'b0;
      open_q      <= 1'b0;
      t_q         <= '0;
      out_valid_q <= 1'b0;
      out_err_q   <= 1'b0;
      cfg_err_q   <= 1'b0;
    end else begin
      if (out_valid_q && state_ready_i) out_valid_q <= 1'b0;

      if (cfg_fire) begin
        if (open_q) begin          // abandon the unfinished message, report it
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b1;
        end
        cfg_err_q <= (cfg_init_i == 2'd3);
        open_q    <= (cfg_init_i != 2'd3);
        for (int k = 0; k < 8; k++)
          h_q[k] <= (cfg_init_i == 2'd0) ? IV_SHA256[255 - 32*k -: 32] :
                    (cfg_init_i == 2'd1) ? IV_SHA224[255 - 32*k -: 32] :
                    (cfg_init_i == 2'd2) ? cfg_state_i[255 - 32*k -: 32] : 32'h0;
      end

      if (in_fire) begin
        for (int k = 0; k < 4; k++) buf_q[4*beat_q + k] <= in_data_i[127 - 32*k -: 32];
        if (malformed) begin
          beat_q      <= '0;
          open_q      <= 1'b0;
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b1;
        end else begin
          beat_q <= beat_q + 2'd1;
          if (beat_q == 2'd3) begin
            buf_full_q <= 1'b1;
            buf_last_q <= in_last_i;
          end
        end
      end

      if (drop) begin
        buf_full_q <= 1'b0;
        if (buf_last_q) begin
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b1;
        end
      end

      if (start) begin
        buf_full_q <= 1'b0;
        blk_last_q <= buf_last_q;
        busy_q     <= 1'b1;
        t_q        <= 7'd1;
      end else if (busy_q && !add) begin
        t_q <= t_q + 7'd1;
      end

      if (start || (busy_q && !add)) begin
        v_q[0] <= t1 + t2;
        v_q[1] <= cur[0];
        v_q[2] <= cur[1];
        v_q[3] <= cur[2];
        v_q[4] <= cur[3] + t1;
        v_q[5] <= cur[4];
        v_q[6] <= cur[5];
        v_q[7] <= cur[6];
        for (int k = 0; k < 15; k++) w_q[k] <= win[k + 1];
        w_q[15] <= w_new;
      end

      if (add) begin
        for (int k = 0; k < 8; k++) h_q[k] <= h_q[k] + v_q[k];
        busy_q <= 1'b0;
        if (blk_last_q) begin
          open_q      <= 1'b0;
          out_valid_q <= 1'b1;
          out_err_q   <= 1'b0;
        end
      end
    end
  end

  for (genvar k = 0; k < 8; k++) begin : g_state
    assign state_o[255 - 32*k -: 32] = out_err_q ? 32'h0 : h_q[k];
  end
  assign state_valid_o = out_valid_q;
  assign state_err_o   = out_err_q;
  assign cfg_err_o     = cfg_err_q;
  assign idle_o        = !busy_q && !buf_full_q && beat_q == 2'd0 && !out_valid_q;

endmodule

`default_nettype wire
