"""`vcrypto` command line.

Today it offers the software half of the HMAC engine contract (precomputed chaining states);
the device (`vcrypto run`) and the vhost-user backend (`vcrypto serve`) arrive with the
control-plane and QEMU issues and are reported as absent until then.
"""
from __future__ import annotations

import argparse
import sys

from bridge import __version__
from bridge.sha2_state import hmac_states

NOT_BUILT = {
    "run": "the device model and its workload (control-plane milestone)",
    "serve": "the vhost-user backend for QEMU (co-simulation milestone)",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vcrypto", description="virtio-crypto device with an RTL datapath")
    p.add_argument("--version", action="version", version=f"vcrypto {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hmac-states", help="print the HMAC inner/outer SHA-2 chaining states for a key")
    h.add_argument("--bits", type=int, choices=(224, 256), default=256)
    h.add_argument("key_hex", help="the HMAC key, hex")
    for name, what in NOT_BUILT.items():
        sub.add_parser(name, help=f"not built yet: {what}")
    args = p.parse_args(argv)

    if args.cmd == "hmac-states":
        try:
            key = bytes.fromhex(args.key_hex)
        except ValueError:
            print("vcrypto: key must be hex", file=sys.stderr)
            return 2
        inner, outer = hmac_states(key, args.bits)
        print(f"inner {inner.hex()}\nouter {outer.hex()}")
        return 0
    print(f"vcrypto {args.cmd}: not built yet: {NOT_BUILT[args.cmd]}. "
          "See README.md for what works today.", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
