"""`vcrypto` command line.

`vcrypto run`: the virtio-crypto device on the RTL (or soft) datapath driven by a mixed,
verified workload. `vcrypto serve`: the same device as a vhost-user backend for QEMU's
`cryptodev-vhost-user`. `vcrypto hmac-states`: the software half of the HMAC engine contract.
"""
from __future__ import annotations

import argparse
import sys

from bridge import __version__
from bridge.sha2_state import hmac_states


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vcrypto", description="virtio-crypto device with an RTL datapath")
    p.add_argument("--version", action="version", version=f"vcrypto {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hmac-states", help="print the HMAC inner/outer SHA-2 chaining states for a key")
    h.add_argument("--bits", type=int, choices=(224, 256, 384, 512), default=256)
    h.add_argument("key_hex", help="the HMAC key, hex")
    r = sub.add_parser("run", help="run the device with a mixed, verified workload and print a summary")
    r.add_argument("--datapath", choices=("rtl", "soft"), default="rtl")
    r.add_argument("--queues", type=int, default=4, help="data queues (1..64)")
    r.add_argument("--seconds", type=float, default=10.0)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--max-len", type=int, default=65536, help="largest request in bytes (16..1048576)")
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.add_argument("--lanes", type=int, choices=range(1, 9), metavar="N",
                   help="rtl: crypto lanes of the simulated accelerator (1..8; default VCRYPTO_ACCEL_LANES or the build's)")
    sk = sub.add_parser("soak", help="push a long mixed workload with session churn, then reconcile every request")
    sk.add_argument("--requests", type=int, default=100_000)
    sk.add_argument("--datapath", choices=("rtl", "soft"), default="soft")
    sk.add_argument("--queues", type=int, default=4, help="data queues (1..64)")
    sk.add_argument("--seed", type=int, default=1)
    sk.add_argument("--max-len", type=int, default=4096, help="largest request in bytes (16..65536)")
    sk.add_argument("--kill-every", type=int, default=0, metavar="N",
                    help="rtl: SIGKILL the accelerator process after every N completions (fault soak)")
    sk.add_argument("--json", action="store_true", help="print the reconciliation as JSON")
    sv = sub.add_parser("serve", help="serve QEMU's cryptodev-vhost-user on a UNIX socket")
    sv.add_argument("--socket", required=True, help="UNIX socket path (QEMU connects to it)")
    sv.add_argument("--datapath", choices=("rtl", "soft"), default="rtl")
    sv.add_argument("--strict-qemu", action="store_true",
                    help="treat what QEMU treats as fatal (src != dst, oversize, truncated) as needs-reset")
    sv.add_argument("--fail-every", type=int, default=0, metavar="N",
                    help="fault injection: answer every N-th request with ERR (tests)")
    sv.add_argument("--no-native-lane", action="store_true",
                    help="soft: answer every request on the Python path (no native lane; bridge/native_lane.py)")
    sv.add_argument("--no-interrupt-holds", action="store_true",
                    help="signal every answer at once, also with several requesters (bridge/vhost_user.py, _kick)")
    sv.add_argument("--hang-timeout", type=float, default=5.0, metavar="S",
                    help="rtl: seconds without a completion while busy before the accelerator counts as "
                         "hung and is restarted (default 5)")
    sv.add_argument("--allow-uid", type=int, action="append", default=[], metavar="UID",
                    help="also serve front ends running as this uid (repeatable); the socket is then "
                         "created 0666 and each connection's SO_PEERCRED uid is checked. Default: the socket "
                         "is 0600 and only this process's own uid is served")
    sv.add_argument("--allow-any-user", action="store_true",
                    help="serve a front end of any uid (socket 0666, no peer check): only on a host "
                         "whose local users are all trusted")
    sv.add_argument("--lanes", type=int, choices=range(1, 9), metavar="N",
                    help="rtl: crypto lanes of the simulated accelerator (1..8; default VCRYPTO_ACCEL_LANES or the build's)")
    sv.add_argument("-v", "--verbose", action="store_true")
    g = sub.add_parser("guest", help="boot the Linux test guest in QEMU against a backend and report")
    g.add_argument("--datapath", choices=("rtl", "soft", "builtin", "absent"), default="rtl",
                   help="rtl/soft: vcrypto serve over vhost-user; builtin: QEMU's own backend; "
                        "absent: no backend (negative test)")
    g.add_argument("--mode", choices=("all", "vectors", "random", "bench"), default="all")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--count", type=int, default=100, help="random mode: requests")
    g.add_argument("--seconds", type=float, default=3, help="bench mode: seconds per size")
    g.add_argument("--timeout", type=int, default=300)
    args = p.parse_args(argv)
    if getattr(args, "lanes", None):           # the accelerator process is built with that many lanes
        import os
        os.environ["VCRYPTO_ACCEL_LANES"] = str(args.lanes)

    if args.cmd == "hmac-states":
        try:
            key = bytes.fromhex(args.key_hex)
        except ValueError:
            print("vcrypto: key must be hex", file=sys.stderr)
            return 2
        inner, outer = hmac_states(key, args.bits)
        print(f"inner {inner.hex()}\nouter {outer.hex()}")
        return 0
    if args.cmd == "run":
        return _run(args)
    if args.cmd == "serve":
        return _serve(args)
    if args.cmd == "soak":
        return _soak(args)
    return _guest(args)


def _guest(args) -> int:
    from sim import qemu_guest
    print(f"vcrypto guest: booting the Linux test guest in QEMU (TCG) against the {args.datapath} backend",
          file=sys.stderr, flush=True)
    try:
        g = qemu_guest.run(args.datapath, args.mode, args.seed, args.count, args.seconds, timeout=args.timeout)
    except Exception as e:
        print(f"vcrypto guest: {e}", file=sys.stderr)
        return 2
    print(qemu_guest.summary(g))
    return 0 if g.passed else 1


def _serve(args) -> int:
    import logging
    import signal

    from bridge.device import VirtioCryptoDevice
    from sim.datapaths import open_datapath
    from bridge.vhost_user import VhostUserBackend
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="vcrypto serve: %(message)s", stream=sys.stderr)
    try:
        dp = open_datapath(args.datapath, hang_timeout=args.hang_timeout, fail_every=args.fail_every)
    except Exception as e:
        print(f"vcrypto serve: cannot start the {args.datapath} datapath: {e}", file=sys.stderr)
        return 2
    dev = VirtioCryptoDevice(dp, num_dataqueues=1, strict_qemu=args.strict_qemu, native_lane=not args.no_native_lane)
    backend = VhostUserBackend(args.socket, dev, allow_uids=args.allow_uid, allow_any_user=args.allow_any_user,
                               coalesce=not args.no_interrupt_holds)

    def stop(*_):
        backend.stopping = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    cpu_at_listen = _cpu_seconds()
    try:
        backend.listen()
        print(f"vcrypto serve: {args.datapath} datapath{' with its native lane' if dev.lane else ''}, "
              f"listening on {args.socket}", file=sys.stderr, flush=True)
        backend.serve_forever()
    except OSError as e:
        print(f"vcrypto serve: {e}", file=sys.stderr)
        return 2
    finally:
        # this process's CPU time while serving (start-up excluded; an RTL datapath's accelerator
        # process is not in it): what the backend itself costs per request, for make bench-qemu
        st = dev.dp.stats()
        peak, size = dev.ring_high_water()
        print(f"vcrypto serve: stopped after {dev.counters['requests']} data requests"
              + (f", {st['busy_cycles']} simulated clock cycles" if st else "")
              + f", backend CPU {_cpu_seconds() - cpu_at_listen:.3f} s"
              + f", data ring high-water {peak} of {size}"
              + f", guest kicks {backend.guest_kicks}, interrupts {backend.interrupts}"
              + f", native lane {dev.lane.served if dev.lane else 0}"
              + f", interrupt holds {backend.interrupt_holds} (caught {backend.holds_caught})",
              file=sys.stderr, flush=True)
        dev.close()
    return 0


def _cpu_seconds() -> float:
    import resource
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _soak(args) -> int:
    from sim import soak
    if not 1 <= args.queues <= 64 or not 16 <= args.max_len <= 65536 or args.requests < 1 or args.kill_every < 0:
        print("vcrypto soak: --queues 1..64, --max-len 16..65536, --requests >= 1, --kill-every >= 0", file=sys.stderr)
        return 2
    print(f"vcrypto soak: datapath {args.datapath}, {args.requests:,} requests on {args.queues} queues, "
          f"sessions opened and closed throughout" + (f", accelerator killed every {args.kill_every} completions"
                                                      if args.kill_every else ""), file=sys.stderr, flush=True)
    try:
        books = soak.run(args.datapath, args.requests, args.queues, args.seed, args.max_len,
                         kill_every=args.kill_every)
    except Exception as e:
        print(f"vcrypto soak: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(soak.as_json(books, args.datapath) if args.json else soak.report(books, args.datapath))
    return 0 if books.balanced else 1


def _run(args) -> int:
    from sim import workload
    if not 1 <= args.queues <= 64 or not 16 <= args.max_len <= 1 << 20 or args.seconds <= 0:
        print("vcrypto run: --queues 1..64, --max-len 16..1048576, --seconds > 0", file=sys.stderr)
        return 2
    print(f"vcrypto run: datapath {args.datapath}, {args.queues} queues, {args.seconds:g} s, "
          f"requests of 16 B..{args.max_len} B, every result checked against the software reference",
          file=sys.stderr)
    try:
        out = workload.run(args.datapath, args.queues, args.seconds, args.seed, args.max_len)
    except Exception as e:          # a clear message, not a traceback
        print(f"vcrypto run: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(workload.as_json(out, args.datapath) if args.json else workload.table(out, args.datapath))
    if out.failures:
        print(f"vcrypto run: {len(out.failures)} results did not match, e.g. {out.failures[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
