#!/usr/bin/env bash
# Boot the vcrypto test guest (build/guest/{vmlinux,initrd.gz}, from sim/guest/build.sh) in QEMU
# (TCG) with a virtio-crypto-pci device, under a timeout, and judge the console log.
#
# usage: sim/guest/run_qemu.sh [options] [GUEST-OPTION...]
#   GUEST-OPTION   vcrypto.* kernel command-line options, the "vcrypto." prefix may be left out:
#                  mode=random seed=7 count=50   (see sim/guest/README.md)
#   --backend builtin            QEMU's own software backend (default)
#   --backend vhost-user:SOCK    cryptodev-vhost-user on the UNIX socket SOCK (the backend must be
#                                listening already); adds the memfd memory backend and vectors=0
#   --vectors0                   add vectors=0 to the device (always on with vhost-user)
#   --reconnect                  vhost-user: boot even if no backend listens (HW_READY stays clear)
#   --no-device                  boot without the crypto device (negative test)
#   --timeout S                  kill QEMU after S seconds (default 120)
#   --log FILE                   console log (default build/guest/logs/<mode>-<time>.log)
#   --append "ARGS"              extra raw kernel arguments
#   --dry-run                    print the QEMU command line only
# Exit status: 0 if the guest printed "VCRYPTO-GUEST-RESULT: PASS" (and, in random/all/deep mode,
# sim/guest/check_results.py verified every REQ line on the host); 1 otherwise; 124 on timeout.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${VCRYPTO_GUEST_OUT:-$ROOT/build/guest}
backend=builtin vectors0=0 device=1 tmo=120 log="" extra="" dry=0 reconnect=""
gargs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --backend) backend=$2; shift 2 ;;
        --vectors0) vectors0=1; shift ;;
        --reconnect) reconnect=",reconnect=1"; shift ;;
        --no-device) device=0; shift ;;
        --timeout) tmo=$2; shift 2 ;;
        --log) log=$2; shift 2 ;;
        --append) extra=$2; shift 2 ;;
        --dry-run) dry=1; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        vcrypto.*=*) gargs+=("$1"); shift ;;
        *=*) gargs+=("vcrypto.$1"); shift ;;
        *) echo "run_qemu: unknown argument $1" >&2; exit 2 ;;
    esac
done
mode=vectors
for a in "${gargs[@]}"; do case "$a" in vcrypto.mode=*) mode=${a#*=} ;; esac; done
for f in vmlinux initrd.gz; do
    [ -s "$OUT/$f" ] || { echo "run_qemu: $OUT/$f missing: run sim/guest/build.sh" >&2; exit 2; }
done
mkdir -p "$OUT/logs"
[ -n "$log" ] || log="$OUT/logs/$mode-$(date +%Y%m%d-%H%M%S).log"

cmd=(qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 512 -smp 1
     -kernel "$OUT/vmlinux" -initrd "$OUT/initrd.gz"
     -append "console=ttyS0 quiet panic=-1 ${gargs[*]} $extra")
dev="virtio-crypto-pci,id=crypto0,cryptodev=cryptodev0"
case "$backend" in
    builtin)
        cmd+=(-object cryptodev-backend-builtin,id=cryptodev0) ;;
    vhost-user:*)
        sock=${backend#vhost-user:}
        cmd+=(-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem
              -chardev "socket,id=chr0,path=$sock$reconnect" -object cryptodev-vhost-user,id=cryptodev0,chardev=chr0)
        vectors0=1 ;;
    *) echo "run_qemu: unknown backend $backend" >&2; exit 2 ;;
esac
[ "$vectors0" = 1 ] && dev="$dev,vectors=0"
[ "$device" = 1 ] && cmd+=(-device "$dev")
cmd+=(-nic none)

printf 'run_qemu:'; printf ' %q' "${cmd[@]}"; echo
[ "$dry" = 1 ] && exit 0

t0=$(date +%s.%N)
# QEMU runs in the background so that only its own PID is ever signalled.
timeout --kill-after=5 "$tmo" "${cmd[@]}" </dev/null >"$log" 2>&1 &
pid=$!
wait "$pid"
rc=$?
t1=$(date +%s.%N)
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
tr -d '\r' <"$log" | grep -aE '^(vcrypto-init:|ALG |REQ-|REF-|VEC |VECTORS|INPLACE|RANDOM|DEEP|BENCH|proc-crypto: (driver|selftest)|VCRYPTO-GUEST-RESULT|qemu-system)' | grep -v '^REQ '
result=$(tr -d '\r' <"$log" | grep -a -o 'VCRYPTO-GUEST-RESULT: [A-Z]*.*' | tail -1)
echo "run_qemu: wall ${wall} s, qemu exit $rc, log $log"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "run_qemu: TIMEOUT after $tmo s"; exit 124; fi
status=1
case "$result" in "VCRYPTO-GUEST-RESULT: PASS"*) status=0 ;; esac
if [ "$mode" = random ] || [ "$mode" = all ] || [ "$mode" = deep ]; then
    python3 "$HERE/check_results.py" "$log" || status=1
fi
echo "run_qemu: $([ $status = 0 ] && echo PASS || echo FAIL)"
exit $status
