"""vcrypto control plane (import name `bridge`; console command `vcrypto`)."""
__version__ = "0.1.0"
