// aes_sbox_table: the SIMULATION VIEW of aes_sbox -- the same function and ports as the
// tower-field lane in aes_sbox.sv, written as a 512-entry lookup table {inv_i, in_i} -> out_o
// (FIPS-197 Figure 7 and Figure 14, generated from the field definition, not from aes_sbox.sv).
//
// Why: Verilator evaluates the tower field's bit-level logic for all 16 lanes every clock
// whether the AES engine works or not; that was half the accelerator process's time. A table
// is one indexed load per lane.
//
// Who uses it: only the accelerator process build (sim/accel_process.py), which adds this
// file and `+define+VCRYPTO_SBOX_TABLE`, so that aes_sbox.sv instantiates it instead of its
// inverter. Synthesis, lint, coverage, formal and the cocotb regressions use the tower field
// (aes_sbox.sv without the define); no file list names this file. The two views are proven
// equal for all 512 inputs in `make test` (tests/test_sbox_views.py: exhaustive simulation of
// both and a yosys SAT miter).
`default_nettype none

module aes_sbox_table (
  input  logic [7:0] in_i,
  input  logic       inv_i,   // 1: InvSubBytes, 0: SubBytes
  output logic [7:0] out_o
);

  always_comb begin
    case ({inv_i, in_i})
      // SubBytes (inv_i = 0)
      9'h000: out_o = 8'h63; 9'h001: out_o = 8'h7c; 9'h002: out_o = 8'h77; 9'h003: out_o = 8'h7b;
      9'h004: out_o = 8'hf2; 9'h005: out_o = 8'h6b; 9'h006: out_o = 8'h6f; 9'h007: out_o = 8'hc5;
      9'h008: out_o = 8'h30; 9'h009: out_o = 8'h01; 9'h00a: out_o = 8'h67; 9'h00b: out_o = 8'h2b;
      9'h00c: out_o = 8'hfe; 9'h00d: out_o = 8'hd7; 9'h00e: out_o = 8'hab; 9'h00f: out_o = 8'h76;
      9'h010: out_o = 8'hca; 9'h011: out_o = 8'h82; 9'h012: out_o = 8'hc9; 9'h013: out_o = 8'h7d;
      9'h014: out_o = 8'hfa; 9'h015: out_o = 8'h59; 9'h016: out_o = 8'h47; 9'h017: out_o = 8'hf0;
      9'h018: out_o = 8'had; 9'h019: out_o = 8'hd4; 9'h01a: out_o = 8'ha2; 9'h01b: out_o = 8'haf;
      9'h01c: out_o = 8'h9c; 9'h01d: out_o = 8'ha4; 9'h01e: out_o = 8'h72; 9'h01f: out_o = 8'hc0;
      9'h020: out_o = 8'hb7; 9'h021: out_o = 8'hfd; 9'h022: out_o = 8'h93; 9'h023: out_o = 8'h26;
      9'h024: out_o = 8'h36; 9'h025: out_o = 8'h3f; 9'h026: out_o = 8'hf7; 9'h027: out_o = 8'hcc;
      9'h028: out_o = 8'h34; 9'h029: out_o = 8'ha5; 9'h02a: out_o = 8'he5; 9'h02b: out_o = 8'hf1;
      9'h02c: out_o = 8'h71; 9'h02d: out_o = 8'hd8; 9'h02e: out_o = 8'h31; 9'h02f: out_o = 8'h15;
      9'h030: out_o = 8'h04; 9'h031: out_o = 8'hc7; 9'h032: out_o = 8'h23; 9'h033: out_o = 8'hc3;
      9'h034: out_o = 8'h18; 9'h035: out_o = 8'h96; 9'h036: out_o = 8'h05; 9'h037: out_o = 8'h9a;
      9'h038: out_o = 8'h07; 9'h039: out_o = 8'h12; 9'h03a: out_o = 8'h80; 9'h03b: out_o = 8'he2;
      9'h03c: out_o = 8'heb; 9'h03d: out_o = 8'h27; 9'h03e: out_o = 8'hb2; 9'h03f: out_o = 8'h75;
      9'h040: out_o = 8'h09; 9'h041: out_o = 8'h83; 9'h042: out_o = 8'h2c; 9'h043: out_o = 8'h1a;
      9'h044: out_o = 8'h1b; 9'h045: out_o = 8'h6e; 9'h046: out_o = 8'h5a; 9'h047: out_o = 8'ha0;
      9'h048: out_o = 8'h52; 9'h049: out_o = 8'h3b; 9'h04a: out_o = 8'hd6; 9'h04b: out_o = 8'hb3;
      9'h04c: out_o = 8'h29; 9'h04d: out_o = 8'he3; 9'h04e: out_o = 8'h2f; 9'h04f: out_o = 8'h84;
      9'h050: out_o = 8'h53; 9'h051: out_o = 8'hd1; 9'h052: out_o = 8'h00; 9'h053: out_o = 8'hed;
      9'h054: out_o = 8'h20; 9'h055: out_o = 8'hfc; 9'h056: out_o = 8'hb1; 9'h057: out_o = 8'h5b;
      9'h058: out_o = 8'h6a; 9'h059: out_o = 8'hcb; 9'h05a: out_o = 8'hbe; 9'h05b: out_o = 8'h39;
      9'h05c: out_o = 8'h4a; 9'h05d: out_o = 8'h4c; 9'h05e: out_o = 8'h58; 9'h05f: out_o = 8'hcf;
      9'h060: out_o = 8'hd0; 9'h061: out_o = 8'hef; 9'h062: out_o = 8'haa; 9'h063: out_o = 8'hfb;
      9'h064: out_o = 8'h43; 9'h065: out_o = 8'h4d; 9'h066: out_o = 8'h33; 9'h067: out_o = 8'h85;
      9'h068: out_o = 8'h45; 9'h069: out_o = 8'hf9; 9'h06a: out_o = 8'h02; 9'h06b: out_o = 8'h7f;
      9'h06c: out_o = 8'h50; 9'h06d: out_o = 8'h3c; 9'h06e: out_o = 8'h9f; 9'h06f: out_o = 8'ha8;
      9'h070: out_o = 8'h51; 9'h071: out_o = 8'ha3; 9'h072: out_o = 8'h40; 9'h073: out_o = 8'h8f;
      9'h074: out_o = 8'h92; 9'h075: out_o = 8'h9d; 9'h076: out_o = 8'h38; 9'h077: out_o = 8'hf5;
      9'h078: out_o = 8'hbc; 9'h079: out_o = 8'hb6; 9'h07a: out_o = 8'hda; 9'h07b: out_o = 8'h21;
      9'h07c: out_o = 8'h10; 9'h07d: out_o = 8'hff; 9'h07e: out_o = 8'hf3; 9'h07f: out_o = 8'hd2;
      9'h080: out_o = 8'hcd; 9'h081: out_o = 8'h0c; 9'h082: out_o = 8'h13; 9'h083: out_o = 8'hec;
      9'h084: out_o = 8'h5f; 9'h085: out_o = 8'h97; 9'h086: out_o = 8'h44; 9'h087: out_o = 8'h17;
      9'h088: out_o = 8'hc4; 9'h089: out_o = 8'ha7; 9'h08a: out_o = 8'h7e; 9'h08b: out_o = 8'h3d;
      9'h08c: out_o = 8'h64; 9'h08d: out_o = 8'h5d; 9'h08e: out_o = 8'h19; 9'h08f: out_o = 8'h73;
      9'h090: out_o = 8'h60; 9'h091: out_o = 8'h81; 9'h092: out_o = 8'h4f; 9'h093: out_o = 8'hdc;
      9'h094: out_o = 8'h22; 9'h095: out_o = 8'h2a; 9'h096: out_o = 8'h90; 9'h097: out_o = 8'h88;
      9'h098: out_o = 8'h46; 9'h099: out_o = 8'hee; 9'h09a: out_o = 8'hb8; 9'h09b: out_o = 8'h14;
      9'h09c: out_o = 8'hde; 9'h09d: out_o = 8'h5e; 9'h09e: out_o = 8'h0b; 9'h09f: out_o = 8'hdb;
      9'h0a0: out_o = 8'he0; 9'h0a1: out_o = 8'h32; 9'h0a2: out_o = 8'h3a; 9'h0a3: out_o = 8'h0a;
      9'h0a4: out_o = 8'h49; 9'h0a5: out_o = 8'h06; 9'h0a6: out_o = 8'h24; 9'h0a7: out_o = 8'h5c;
      9'h0a8: out_o = 8'hc2; 9'h0a9: out_o = 8'hd3; 9'h0aa: out_o = 8'hac; 9'h0ab: out_o = 8'h62;
      9'h0ac: out_o = 8'h91; 9'h0ad: out_o = 8'h95; 9'h0ae: out_o = 8'he4; 9'h0af: out_o = 8'h79;
      9'h0b0: out_o = 8'he7; 9'h0b1: out_o = 8'hc8; 9'h0b2: out_o = 8'h37; 9'h0b3: out_o = 8'h6d;
      9'h0b4: out_o = 8'h8d; 9'h0b5: out_o = 8'hd5; 9'h0b6: out_o = 8'h4e; 9'h0b7: out_o = 8'ha9;
      9'h0b8: out_o = 8'h6c; 9'h0b9: out_o = 8'h56; 9'h0ba: out_o = 8'hf4; 9'h0bb: out_o = 8'hea;
      9'h0bc: out_o = 8'h65; 9'h0bd: out_o = 8'h7a; 9'h0be: out_o = 8'hae; 9'h0bf: out_o = 8'h08;
      9'h0c0: out_o = 8'hba; 9'h0c1: out_o = 8'h78; 9'h0c2: out_o = 8'h25; 9'h0c3: out_o = 8'h2e;
      9'h0c4: out_o = 8'h1c; 9'h0c5: out_o = 8'ha6; 9'h0c6: out_o = 8'hb4; 9'h0c7: out_o = 8'hc6;
      9'h0c8: out_o = 8'he8; 9'h0c9: out_o = 8'hdd; 9'h0ca: out_o = 8'h74; 9'h0cb: out_o = 8'h1f;
      9'h0cc: out_o = 8'h4b; 9'h0cd: out_o = 8'hbd; 9'h0ce: out_o = 8'h8b; 9'h0cf: out_o = 8'h8a;
      9'h0d0: out_o = 8'h70; 9'h0d1: out_o = 8'h3e; 9'h0d2: out_o = 8'hb5; 9'h0d3: out_o = 8'h66;
      9'h0d4: out_o = 8'h48; 9'h0d5: out_o = 8'h03; 9'h0d6: out_o = 8'hf6; 9'h0d7: out_o = 8'h0e;
      9'h0d8: out_o = 8'h61; 9'h0d9: out_o = 8'h35; 9'h0da: out_o = 8'h57; 9'h0db: out_o = 8'hb9;
      9'h0dc: out_o = 8'h86; 9'h0dd: out_o = 8'hc1; 9'h0de: out_o = 8'h1d; 9'h0df: out_o = 8'h9e;
      9'h0e0: out_o = 8'he1; 9'h0e1: out_o = 8'hf8; 9'h0e2: out_o = 8'h98; 9'h0e3: out_o = 8'h11;
      9'h0e4: out_o = 8'h69; 9'h0e5: out_o = 8'hd9; 9'h0e6: out_o = 8'h8e; 9'h0e7: out_o = 8'h94;
      9'h0e8: out_o = 8'h9b; 9'h0e9: out_o = 8'h1e; 9'h0ea: out_o = 8'h87; 9'h0eb: out_o = 8'he9;
      9'h0ec: out_o = 8'hce; 9'h0ed: out_o = 8'h55; 9'h0ee: out_o = 8'h28; 9'h0ef: out_o = 8'hdf;
      9'h0f0: out_o = 8'h8c; 9'h0f1: out_o = 8'ha1; 9'h0f2: out_o = 8'h89; 9'h0f3: out_o = 8'h0d;
      9'h0f4: out_o = 8'hbf; 9'h0f5: out_o = 8'he6; 9'h0f6: out_o = 8'h42; 9'h0f7: out_o = 8'h68;
      9'h0f8: out_o = 8'h41; 9'h0f9: out_o = 8'h99; 9'h0fa: out_o = 8'h2d; 9'h0fb: out_o = 8'h0f;
      9'h0fc: out_o = 8'hb0; 9'h0fd: out_o = 8'h54; 9'h0fe: out_o = 8'hbb; 9'h0ff: out_o = 8'h16;
      // InvSubBytes (inv_i = 1)
      9'h100: out_o = 8'h52; 9'h101: out_o = 8'h09; 9'h102: out_o = 8'h6a; 9'h103: out_o = 8'hd5;
      9'h104: out_o = 8'h30; 9'h105: out_o = 8'h36; 9'h106: out_o = 8'ha5; 9'h107: out_o = 8'h38;
      9'h108: out_o = 8'hbf; 9'h109: out_o = 8'h40; 9'h10a: out_o = 8'ha3; 9'h10b: out_o = 8'h9e;
      9'h10c: out_o = 8'h81; 9'h10d: out_o = 8'hf3; 9'h10e: out_o = 8'hd7; 9'h10f: out_o = 8'hfb;
      9'h110: out_o = 8'h7c; 9'h111: out_o = 8'he3; 9'h112: out_o = 8'h39; 9'h113: out_o = 8'h82;
      9'h114: out_o = 8'h9b; 9'h115: out_o = 8'h2f; 9'h116: out_o = 8'hff; 9'h117: out_o = 8'h87;
      9'h118: out_o = 8'h34; 9'h119: out_o = 8'h8e; 9'h11a: out_o = 8'h43; 9'h11b: out_o = 8'h44;
      9'h11c: out_o = 8'hc4; 9'h11d: out_o = 8'hde; 9'h11e: out_o = 8'he9; 9'h11f: out_o = 8'hcb;
      9'h120: out_o = 8'h54; 9'h121: out_o = 8'h7b; 9'h122: out_o = 8'h94; 9'h123: out_o = 8'h32;
      9'h124: out_o = 8'ha6; 9'h125: out_o = 8'hc2; 9'h126: out_o = 8'h23; 9'h127: out_o = 8'h3d;
      9'h128: out_o = 8'hee; 9'h129: out_o = 8'h4c; 9'h12a: out_o = 8'h95; 9'h12b: out_o = 8'h0b;
      9'h12c: out_o = 8'h42; 9'h12d: out_o = 8'hfa; 9'h12e: out_o = 8'hc3; 9'h12f: out_o = 8'h4e;
      9'h130: out_o = 8'h08; 9'h131: out_o = 8'h2e; 9'h132: out_o = 8'ha1; 9'h133: out_o = 8'h66;
      9'h134: out_o = 8'h28; 9'h135: out_o = 8'hd9; 9'h136: out_o = 8'h24; 9'h137: out_o = 8'hb2;
      9'h138: out_o = 8'h76; 9'h139: out_o = 8'h5b; 9'h13a: out_o = 8'ha2; 9'h13b: out_o = 8'h49;
      9'h13c: out_o = 8'h6d; 9'h13d: out_o = 8'h8b; 9'h13e: out_o = 8'hd1; 9'h13f: out_o = 8'h25;
      9'h140: out_o = 8'h72; 9'h141: out_o = 8'hf8; 9'h142: out_o = 8'hf6; 9'h143: out_o = 8'h64;
      9'h144: out_o = 8'h86; 9'h145: out_o = 8'h68; 9'h146: out_o = 8'h98; 9'h147: out_o = 8'h16;
      9'h148: out_o = 8'hd4; 9'h149: out_o = 8'ha4; 9'h14a: out_o = 8'h5c; 9'h14b: out_o = 8'hcc;
      9'h14c: out_o = 8'h5d; 9'h14d: out_o = 8'h65; 9'h14e: out_o = 8'hb6; 9'h14f: out_o = 8'h92;
      9'h150: out_o = 8'h6c; 9'h151: out_o = 8'h70; 9'h152: out_o = 8'h48; 9'h153: out_o = 8'h50;
      9'h154: out_o = 8'hfd; 9'h155: out_o = 8'hed; 9'h156: out_o = 8'hb9; 9'h157: out_o = 8'hda;
      9'h158: out_o = 8'h5e; 9'h159: out_o = 8'h15; 9'h15a: out_o = 8'h46; 9'h15b: out_o = 8'h57;
      9'h15c: out_o = 8'ha7; 9'h15d: out_o = 8'h8d; 9'h15e: out_o = 8'h9d; 9'h15f: out_o = 8'h84;
      9'h160: out_o = 8'h90; 9'h161: out_o = 8'hd8; 9'h162: out_o = 8'hab; 9'h163: out_o = 8'h00;
      9'h164: out_o = 8'h8c; 9'h165: out_o = 8'hbc; 9'h166: out_o = 8'hd3; 9'h167: out_o = 8'h0a;
      9'h168: out_o = 8'hf7; 9'h169: out_o = 8'he4; 9'h16a: out_o = 8'h58; 9'h16b: out_o = 8'h05;
      9'h16c: out_o = 8'hb8; 9'h16d: out_o = 8'hb3; 9'h16e: out_o = 8'h45; 9'h16f: out_o = 8'h06;
      9'h170: out_o = 8'hd0; 9'h171: out_o = 8'h2c; 9'h172: out_o = 8'h1e; 9'h173: out_o = 8'h8f;
      9'h174: out_o = 8'hca; 9'h175: out_o = 8'h3f; 9'h176: out_o = 8'h0f; 9'h177: out_o = 8'h02;
      9'h178: out_o = 8'hc1; 9'h179: out_o = 8'haf; 9'h17a: out_o = 8'hbd; 9'h17b: out_o = 8'h03;
      9'h17c: out_o = 8'h01; 9'h17d: out_o = 8'h13; 9'h17e: out_o = 8'h8a; 9'h17f: out_o = 8'h6b;
      9'h180: out_o = 8'h3a; 9'h181: out_o = 8'h91; 9'h182: out_o = 8'h11; 9'h183: out_o = 8'h41;
      9'h184: out_o = 8'h4f; 9'h185: out_o = 8'h67; 9'h186: out_o = 8'hdc; 9'h187: out_o = 8'hea;
      9'h188: out_o = 8'h97; 9'h189: out_o = 8'hf2; 9'h18a: out_o = 8'hcf; 9'h18b: out_o = 8'hce;
      9'h18c: out_o = 8'hf0; 9'h18d: out_o = 8'hb4; 9'h18e: out_o = 8'he6; 9'h18f: out_o = 8'h73;
      9'h190: out_o = 8'h96; 9'h191: out_o = 8'hac; 9'h192: out_o = 8'h74; 9'h193: out_o = 8'h22;
      9'h194: out_o = 8'he7; 9'h195: out_o = 8'had; 9'h196: out_o = 8'h35; 9'h197: out_o = 8'h85;
      9'h198: out_o = 8'he2; 9'h199: out_o = 8'hf9; 9'h19a: out_o = 8'h37; 9'h19b: out_o = 8'he8;
      9'h19c: out_o = 8'h1c; 9'h19d: out_o = 8'h75; 9'h19e: out_o = 8'hdf; 9'h19f: out_o = 8'h6e;
      9'h1a0: out_o = 8'h47; 9'h1a1: out_o = 8'hf1; 9'h1a2: out_o = 8'h1a; 9'h1a3: out_o = 8'h71;
      9'h1a4: out_o = 8'h1d; 9'h1a5: out_o = 8'h29; 9'h1a6: out_o = 8'hc5; 9'h1a7: out_o = 8'h89;
      9'h1a8: out_o = 8'h6f; 9'h1a9: out_o = 8'hb7; 9'h1aa: out_o = 8'h62; 9'h1ab: out_o = 8'h0e;
      9'h1ac: out_o = 8'haa; 9'h1ad: out_o = 8'h18; 9'h1ae: out_o = 8'hbe; 9'h1af: out_o = 8'h1b;
      9'h1b0: out_o = 8'hfc; 9'h1b1: out_o = 8'h56; 9'h1b2: out_o = 8'h3e; 9'h1b3: out_o = 8'h4b;
      9'h1b4: out_o = 8'hc6; 9'h1b5: out_o = 8'hd2; 9'h1b6: out_o = 8'h79; 9'h1b7: out_o = 8'h20;
      9'h1b8: out_o = 8'h9a; 9'h1b9: out_o = 8'hdb; 9'h1ba: out_o = 8'hc0; 9'h1bb: out_o = 8'hfe;
      9'h1bc: out_o = 8'h78; 9'h1bd: out_o = 8'hcd; 9'h1be: out_o = 8'h5a; 9'h1bf: out_o = 8'hf4;
      9'h1c0: out_o = 8'h1f; 9'h1c1: out_o = 8'hdd; 9'h1c2: out_o = 8'ha8; 9'h1c3: out_o = 8'h33;
      9'h1c4: out_o = 8'h88; 9'h1c5: out_o = 8'h07; 9'h1c6: out_o = 8'hc7; 9'h1c7: out_o = 8'h31;
      9'h1c8: out_o = 8'hb1; 9'h1c9: out_o = 8'h12; 9'h1ca: out_o = 8'h10; 9'h1cb: out_o = 8'h59;
      9'h1cc: out_o = 8'h27; 9'h1cd: out_o = 8'h80; 9'h1ce: out_o = 8'hec; 9'h1cf: out_o = 8'h5f;
      9'h1d0: out_o = 8'h60; 9'h1d1: out_o = 8'h51; 9'h1d2: out_o = 8'h7f; 9'h1d3: out_o = 8'ha9;
      9'h1d4: out_o = 8'h19; 9'h1d5: out_o = 8'hb5; 9'h1d6: out_o = 8'h4a; 9'h1d7: out_o = 8'h0d;
      9'h1d8: out_o = 8'h2d; 9'h1d9: out_o = 8'he5; 9'h1da: out_o = 8'h7a; 9'h1db: out_o = 8'h9f;
      9'h1dc: out_o = 8'h93; 9'h1dd: out_o = 8'hc9; 9'h1de: out_o = 8'h9c; 9'h1df: out_o = 8'hef;
      9'h1e0: out_o = 8'ha0; 9'h1e1: out_o = 8'he0; 9'h1e2: out_o = 8'h3b; 9'h1e3: out_o = 8'h4d;
      9'h1e4: out_o = 8'hae; 9'h1e5: out_o = 8'h2a; 9'h1e6: out_o = 8'hf5; 9'h1e7: out_o = 8'hb0;
      9'h1e8: out_o = 8'hc8; 9'h1e9: out_o = 8'heb; 9'h1ea: out_o = 8'hbb; 9'h1eb: out_o = 8'h3c;
      9'h1ec: out_o = 8'h83; 9'h1ed: out_o = 8'h53; 9'h1ee: out_o = 8'h99; 9'h1ef: out_o = 8'h61;
      9'h1f0: out_o = 8'h17; 9'h1f1: out_o = 8'h2b; 9'h1f2: out_o = 8'h04; 9'h1f3: out_o = 8'h7e;
      9'h1f4: out_o = 8'hba; 9'h1f5: out_o = 8'h77; 9'h1f6: out_o = 8'hd6; 9'h1f7: out_o = 8'h26;
      9'h1f8: out_o = 8'he1; 9'h1f9: out_o = 8'h69; 9'h1fa: out_o = 8'h14; 9'h1fb: out_o = 8'h63;
      9'h1fc: out_o = 8'h55; 9'h1fd: out_o = 8'h21; 9'h1fe: out_o = 8'h0c; 9'h1ff: out_o = 8'h7d;
    endcase
  end

endmodule

`default_nettype wire
