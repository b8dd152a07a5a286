// SHA-224/256 engine
rtl/sha/sha256_engine.sv
