"""What runs the RTL and wires the system: simulator builds, cocotb runs, the accelerator
process, and the entry points (the `vcrypto` CLI, workload, soak, benches, the QEMU guest)."""
