// AES engine, compile order (paths relative to the repository root)
rtl/aes/aes_sbox.sv
rtl/aes/aes_key_expand.sv
rtl/aes/aes_key_mem.sv
rtl/aes/aes_engine.sv
