// Accelerator top: CSRs, queue engine, DMA, AES and SHA-2 engines
rtl/top/vcrypto_abi.sv
rtl/aes/aes_sbox.sv
rtl/aes/aes_key_expand.sv
rtl/aes/aes_key_mem.sv
rtl/aes/aes_engine.sv
rtl/sha/sha256_engine.sv
rtl/top/vcrypto_sha_pad.sv
rtl/top/vcrypto_dma_rd.sv
rtl/top/vcrypto_dma_wr.sv
rtl/top/vcrypto_csr.sv
rtl/top/vcrypto_queue_engine.sv
rtl/top/vcrypto_top.sv
