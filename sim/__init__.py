"""What runs the RTL: simulator builds, cocotb runs, the accelerator process (later issues)."""
