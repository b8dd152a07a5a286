// aes_sbox: one AES S-box byte lane, shared between SubBytes and InvSubBytes.
//
// Both directions use the same GF(2^8) multiplicative-inverse table; only the affine map
// differs (FIPS-197 5.1.1 / 5.3.2):
//   SubBytes(x)    = A(inv(x))            A(y)  = y ^ rol1 ^ rol2 ^ rol3 ^ rol4 ^ 0x63
//   InvSubBytes(x) = inv(A^-1(x))         A^-1  = rol1 ^ rol3 ^ rol6 ^ 0x05
// Sharing the table halves the table logic of a full-width round compared with separate
// forward and inverse S-boxes.
`default_nettype none

module aes_sbox (
  input  logic [7:0] in_i,
  input  logic       inv_i,   // 1: InvSubBytes, 0: SubBytes
  output logic [7:0] out_o
);

  function automatic logic [7:0] rol8(input logic [7:0] x, input int n);
    rol8 = (x << n) | (x >> (8 - n));
  endfunction

  // Multiplicative inverse in GF(2^8) mod x^8+x^4+x^3+x+1, with inv(0) = 0.
  function automatic logic [7:0] gf_inv(input logic [7:0] a);
    logic [7:0] f;
    case (a)
      8'h00: f = 8'h00; 8'h01: f = 8'h01; 8'h02: f = 8'h8d; 8'h03: f = 8'hf6; 8'h04: f = 8'hcb; 8'h05: f = 8'h52; 8'h06: f = 8'h7b; 8'h07: f = 8'hd1;
      8'h08: f = 8'he8; 8'h09: f = 8'h4f; 8'h0a: f = 8'h29; 8'h0b: f = 8'hc0; 8'h0c: f = 8'hb0; 8'h0d: f = 8'he1; 8'h0e: f = 8'he5; 8'h0f: f = 8'hc7;
      8'h10: f = 8'h74; 8'h11: f = 8'hb4; 8'h12: f = 8'haa; 8'h13: f = 8'h4b; 8'h14: f = 8'h99; 8'h15: f = 8'h2b; 8'h16: f = 8'h60; 8'h17: f = 8'h5f;
      8'h18: f = 8'h58; 8'h19: f = 8'h3f; 8'h1a: f = 8'hfd; 8'h1b: f = 8'hcc; 8'h1c: f = 8'hff; 8'h1d: f = 8'h40; 8'h1e: f = 8'hee; 8'h1f: f = 8'hb2;
      8'h20: f = 8'h3a; 8'h21: f = 8'h6e; 8'h22: f = 8'h5a; 8'h23: f = 8'hf1; 8'h24: f = 8'h55; 8'h25: f = 8'h4d; 8'h26: f = 8'ha8; 8'h27: f = 8'hc9;
      8'h28: f = 8'hc1; 8'h29: f = 8'h0a; 8'h2a: f = 8'h98; 8'h2b: f = 8'h15; 8'h2c: f = 8'h30; 8'h2d: f = 8'h44; 8'h2e: f = 8'ha2; 8'h2f: f = 8'hc2;
      8'h30: f = 8'h2c; 8'h31: f = 8'h45; 8'h32: f = 8'h92; 8'h33: f = 8'h6c; 8'h34: f = 8'hf3; 8'h35: f = 8'h39; 8'h36: f = 8'h66; 8'h37: f = 8'h42;
      8'h38: f = 8'hf2; 8'h39: f = 8'h35; 8'h3a: f = 8'h20; 8'h3b: f = 8'h6f; 8'h3c: f = 8'h77; 8'h3d: f = 8'hbb; 8'h3e: f = 8'h59; 8'h3f: f = 8'h19;
      8'h40: f = 8'h1d; 8'h41: f = 8'hfe; 8'h42: f = 8'h37; 8'h43: f = 8'h67; 8'h44: f = 8'h2d; 8'h45: f = 8'h31; 8'h46: f = 8'hf5; 8'h47: f = 8'h69;
      8'h48: f = 8'ha7; 8'h49: f = 8'h64; 8'h4a: f = 8'hab; 8'h4b: f = 8'h13; 8'h4c: f = 8'h54; 8'h4d: f = 8'h25; 8'h4e: f = 8'he9; 8'h4f: f = 8'h09;
      8'h50: f = 8'hed; 8'h51: f = 8'h5c; 8'h52: f = 8'h05; 8'h53: f = 8'hca; 8'h54: f = 8'h4c; 8'h55: f = 8'h24; 8'h56: f = 8'h87; 8'h57: f = 8'hbf;
      8'h58: f = 8'h18; 8'h59: f = 8'h3e; 8'h5a: f = 8'h22; 8'h5b: f = 8'hf0; 8'h5c: f = 8'h51; 8'h5d: f = 8'hec; 8'h5e: f = 8'h61; 8'h5f: f = 8'h17;
      8'h60: f = 8'h16; 8'h61: f = 8'h5e; 8'h62: f = 8'haf; 8'h63: f = 8'hd3; 8'h64: f = 8'h49; 8'h65: f = 8'ha6; 8'h66: f = 8'h36; 8'h67: f = 8'h43;
      8'h68: f = 8'hf4; 8'h69: f = 8'h47; 8'h6a: f = 8'h91; 8'h6b: f = 8'hdf; 8'h6c: f = 8'h33; 8'h6d: f = 8'h93; 8'h6e: f = 8'h21; 8'h6f: f = 8'h3b;
      8'h70: f = 8'h79; 8'h71: f = 8'hb7; 8'h72: f = 8'h97; 8'h73: f = 8'h85; 8'h74: f = 8'h10; 8'h75: f = 8'hb5; 8'h76: f = 8'hba; 8'h77: f = 8'h3c;
      8'h78: f = 8'hb6; 8'h79: f = 8'h70; 8'h7a: f = 8'hd0; 8'h7b: f = 8'h06; 8'h7c: f = 8'ha1; 8'h7d: f = 8'hfa; 8'h7e: f = 8'h81; 8'h7f: f = 8'h82;
      8'h80: f = 8'h83; 8'h81: f = 8'h7e; 8'h82: f = 8'h7f; 8'h83: f = 8'h80; 8'h84: f = 8'h96; 8'h85: f = 8'h73; 8'h86: f = 8'hbe; 8'h87: f = 8'h56;
      8'h88: f = 8'h9b; 8'h89: f = 8'h9e; 8'h8a: f = 8'h95; 8'h8b: f = 8'hd9; 8'h8c: f = 8'hf7; 8'h8d: f = 8'h02; 8'h8e: f = 8'hb9; 8'h8f: f = 8'ha4;
      8'h90: f = 8'hde; 8'h91: f = 8'h6a; 8'h92: f = 8'h32; 8'h93: f = 8'h6d; 8'h94: f = 8'hd8; 8'h95: f = 8'h8a; 8'h96: f = 8'h84; 8'h97: f = 8'h72;
      8'h98: f = 8'h2a; 8'h99: f = 8'h14; 8'h9a: f = 8'h9f; 8'h9b: f = 8'h88; 8'h9c: f = 8'hf9; 8'h9d: f = 8'hdc; 8'h9e: f = 8'h89; 8'h9f: f = 8'h9a;
      8'ha0: f = 8'hfb; 8'ha1: f = 8'h7c; 8'ha2: f = 8'h2e; 8'ha3: f = 8'hc3; 8'ha4: f = 8'h8f; 8'ha5: f = 8'hb8; 8'ha6: f = 8'h65; 8'ha7: f = 8'h48;
      8'ha8: f = 8'h26; 8'ha9: f = 8'hc8; 8'haa: f = 8'h12; 8'hab: f = 8'h4a; 8'hac: f = 8'hce; 8'had: f = 8'he7; 8'hae: f = 8'hd2; 8'haf: f = 8'h62;
      8'hb0: f = 8'h0c; 8'hb1: f = 8'he0; 8'hb2: f = 8'h1f; 8'hb3: f = 8'hef; 8'hb4: f = 8'h11; 8'hb5: f = 8'h75; 8'hb6: f = 8'h78; 8'hb7: f = 8'h71;
      8'hb8: f = 8'ha5; 8'hb9: f = 8'h8e; 8'hba: f = 8'h76; 8'hbb: f = 8'h3d; 8'hbc: f = 8'hbd; 8'hbd: f = 8'hbc; 8'hbe: f = 8'h86; 8'hbf: f = 8'h57;
      8'hc0: f = 8'h0b; 8'hc1: f = 8'h28; 8'hc2: f = 8'h2f; 8'hc3: f = 8'ha3; 8'hc4: f = 8'hda; 8'hc5: f = 8'hd4; 8'hc6: f = 8'he4; 8'hc7: f = 8'h0f;
      8'hc8: f = 8'ha9; 8'hc9: f = 8'h27; 8'hca: f = 8'h53; 8'hcb: f = 8'h04; 8'hcc: f = 8'h1b; 8'hcd: f = 8'hfc; 8'hce: f = 8'hac; 8'hcf: f = 8'he6;
      8'hd0: f = 8'h7a; 8'hd1: f = 8'h07; 8'hd2: f = 8'hae; 8'hd3: f = 8'h63; 8'hd4: f = 8'hc5; 8'hd5: f = 8'hdb; 8'hd6: f = 8'he2; 8'hd7: f = 8'hea;
      8'hd8: f = 8'h94; 8'hd9: f = 8'h8b; 8'hda: f = 8'hc4; 8'hdb: f = 8'hd5; 8'hdc: f = 8'h9d; 8'hdd: f = 8'hf8; 8'hde: f = 8'h90; 8'hdf: f = 8'h6b;
      8'he0: f = 8'hb1; 8'he1: f = 8'h0d; 8'he2: f = 8'hd6; 8'he3: f = 8'heb; 8'he4: f = 8'hc6; 8'he5: f = 8'h0e; 8'he6: f = 8'hcf; 8'he7: f = 8'had;
      8'he8: f = 8'h08; 8'he9: f = 8'h4e; 8'hea: f = 8'hd7; 8'heb: f = 8'he3; 8'hec: f = 8'h5d; 8'hed: f = 8'h50; 8'hee: f = 8'h1e; 8'hef: f = 8'hb3;
      8'hf0: f = 8'h5b; 8'hf1: f = 8'h23; 8'hf2: f = 8'h38; 8'hf3: f = 8'h34; 8'hf4: f = 8'h68; 8'hf5: f = 8'h46; 8'hf6: f = 8'h03; 8'hf7: f = 8'h8c;
      8'hf8: f = 8'hdd; 8'hf9: f = 8'h9c; 8'hfa: f = 8'h7d; 8'hfb: f = 8'ha0; 8'hfc: f = 8'hcd; 8'hfd: f = 8'h1a; 8'hfe: f = 8'h41; 8'hff: f = 8'h1c;      default: f = 8'h00;
    endcase
    gf_inv = f;
  endfunction

  logic [7:0] pre, y;
  assign pre   = inv_i ? (rol8(in_i, 1) ^ rol8(in_i, 3) ^ rol8(in_i, 6) ^ 8'h05) : in_i;
  assign y     = gf_inv(pre);
  assign out_o = inv_i ? y : (y ^ rol8(y, 1) ^ rol8(y, 2) ^ rol8(y, 3) ^ rol8(y, 4) ^ 8'h63);

endmodule

`default_nettype wire
