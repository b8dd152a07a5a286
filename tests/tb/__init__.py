"""cocotb testbenches; each *_tb.py runs inside the simulator, started by a tests/test_*.py."""
