#!/usr/bin/env bash
# Build the vcrypto test guest: build/guest/vmlinux (uncompressed, PVH-bootable) and
# build/guest/initrd.gz (busybox + virtio-crypto/AF_ALG modules + afalg_test + init), from
# Debian packages only. Idempotent: every step is skipped when its output is newer than its
# inputs; a second run with nothing changed takes about a second.
#
# Environment:
#   VCRYPTO_GUEST_KPKG=linux-image-6.1.0-NN-amd64   the kernel package (default: the pinned
#                                                   KPKG_PIN below while apt still offers it,
#                                                   else what the linux-image-amd64
#                                                   metapackage's candidate depends on)
#   VCRYPTO_GUEST_OUT=DIR                           output directory (default build/guest)
#   VCRYPTO_GUEST_NO_APT=1                          never run apt-get (fail if tools are missing)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${VCRYPTO_GUEST_OUT:-$ROOT/build/guest}
mkdir -p "$OUT/debs"
# One build at a time per output directory: a second one (another test worker, a user's
# `make guest`) waits here instead of deleting the tree the first is extracting into.
exec 9>"$OUT/.build.lock"
flock 9
T0=$(date +%s.%N)

log() { echo "guest-build: $*"; }
die() { echo "guest-build: ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- 1. host tools
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="NONE"; fi
fi
APT_UPDATED=0
apt_update() {
    [ "$APT_UPDATED" = 1 ] && return 0
    [ "$SUDO" = NONE ] && return 1
    log "apt-get update"
    $SUDO apt-get update -qq >/dev/null || return 1
    APT_UPDATED=1
}
apt_install() {
    if [ "${VCRYPTO_GUEST_NO_APT:-0}" = 1 ] || [ "$SUDO" = NONE ]; then
        die "missing host packages: $* -- install them as root: apt-get install --no-install-recommends $*"
    fi
    log "installing host packages: $*"
    if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
        apt_update || true
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
            || die "apt-get install $* failed"
    fi
}
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed" || need+=(busybox-static)
command -v depmod >/dev/null || [ -x /sbin/depmod ] || need+=(kmod)
command -v gcc >/dev/null || need+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
[ -e /usr/include/linux/if_alg.h ] || need+=(linux-libc-dev)
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v python3 >/dev/null || need+=(python3)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
DEPMOD=$(command -v depmod || echo /sbin/depmod)
MODPROBE=$(command -v modprobe || echo /sbin/modprobe)
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (busybox-static)"
if command -v readelf >/dev/null && readelf -l "$BUSYBOX" 2>/dev/null | grep -q INTERP; then
    die "$BUSYBOX is dynamically linked (install busybox-static)"
fi

# newer TARGET DEP... : true if TARGET is missing or older than any DEP
newer() {
    local t=$1; shift
    [ -e "$t" ] || return 0
    local d
    for d in "$@"; do [ "$d" -nt "$t" ] && return 0; done
    return 1
}

# ---------------------------------------------------------------- 2. kernel package
# The guest kernel is pinned: the deep-queue guest test reproduces a driver defect of this one
# (sim/guest/README.md), and the next 6.1 stable kernel Debian shipped, 6.1.0-57 (6.1.192-3),
# changed virtio_crypto's queueing: it keeps one request outstanding per data queue, so no
# guest workload fills the virtqueue any more. Bookworm's main archive carries the pinned
# package until the next point release; after that the metapackage's kernel is used.
KPKG_PIN=linux-image-6.1.0-50-amd64
KPKG=${VCRYPTO_GUEST_KPKG:-}
KVERSION=""
candidate() {          # apt's candidate version of package $1 (nothing if it has none)
    apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2; exit }'
}
# The candidate of the linux-image-amd64 metapackage depends on exactly one
# linux-image-6.1.0-NN-amd64 (= VERSION): the fallback when apt no longer offers the pin.
meta_dep() {
    apt-cache show --no-all-versions linux-image-amd64 2>/dev/null \
        | awk '$1 == "Depends:" { for (i = 2; i <= NF; i++) if ($i ~ /^linux-image-6\.1\.0-.*-amd64$/) {
                 v = $(i + 2); sub(/\)[,]?$/, "", v); print $i, v; exit } }'
}
if [ -z "$KPKG" ]; then
    dep=$(meta_dep || true)
    pin_version=$(candidate "$KPKG_PIN" || true)
    # no apt lists at all: update once (not when the lists merely lack the pin: every build would)
    if [ -z "$pin_version" ] && [ -z "$dep" ] && apt_update; then
        dep=$(meta_dep || true)
        pin_version=$(candidate "$KPKG_PIN" || true)
    fi
    if [ -n "$pin_version" ]; then
        KPKG=$KPKG_PIN
        KVERSION=$pin_version
    elif [ -n "$dep" ]; then
        log "WARNING: apt no longer offers $KPKG_PIN; using the linux-image-amd64 metapackage's kernel"
        KPKG=${dep%% *}
        KVERSION=${dep#* }
        [ "$KPKG" = "$KVERSION" ] && KVERSION=""
    fi
fi
if [ -n "$KPKG" ] && [ -z "$KVERSION" ]; then
    KVERSION=$(candidate "$KPKG" || true)
fi
if [ -z "$KPKG" ] || [ -z "$KVERSION" ]; then
    # apt cannot tell (no lists, no apt): use what a previous run downloaded
    if [ -f "$OUT/VERSION" ]; then
        KPKG=$(awk -F= '$1 == "package" { print $2 }' "$OUT/VERSION")
        KVERSION=$(awk -F= '$1 == "version" { print $2 }' "$OUT/VERSION")
        log "apt has no candidate for the kernel; reusing $KPKG $KVERSION from $OUT/VERSION"
    else
        die "cannot find the linux-image-6.1.0-*-amd64 package (apt-get update as root?)"
    fi
fi
DEB="$OUT/debs/${KPKG}_${KVERSION#*:}_amd64.deb"
if [ ! -s "$DEB" ]; then
    log "downloading $KPKG=$KVERSION"
    tmpd=$(mktemp -d "$OUT/debs/dl.XXXXXX")
    chmod 755 "$tmpd"   # so apt's _apt user may write there (quiet sandbox warning otherwise)
    if (cd "$tmpd" && apt-get download -q "$KPKG=$KVERSION" >/dev/null 2>"$tmpd/err"); then
        mv "$tmpd"/*.deb "$DEB"
        rm -rf "$tmpd"
        # keep only the package in use
        find "$OUT/debs" -maxdepth 1 -name 'linux-image-*.deb*' ! -path "$DEB" -delete
    else
        cat "$tmpd/err" >&2
        rm -rf "$tmpd"
        old=$(awk -F= '$1 == "deb" { print $2 }' "$OUT/VERSION" 2>/dev/null || true)
        if [ -n "$old" ] && [ -s "$OUT/debs/$old" ]; then
            log "WARNING: apt-get download $KPKG=$KVERSION failed; keeping the cached $old"
            KPKG=$(awk -F= '$1 == "package" { print $2 }' "$OUT/VERSION")
            KVERSION=$(awk -F= '$1 == "version" { print $2 }' "$OUT/VERSION")
            DEB="$OUT/debs/$old"
        else
            die "apt-get download $KPKG=$KVERSION failed (apt-get update as root?)"
        fi
    fi
fi

# ---------------------------------------------------------------- 3. extract kernel, vmlinux
KX="$OUT/kernel"
if newer "$KX/.stamp" "$DEB"; then
    log "extracting $(basename "$DEB")"
    rm -rf "$KX"
    mkdir -p "$KX"
    dpkg-deb -x "$DEB" "$KX"
    touch "$KX/.stamp"
fi
KREL=$(ls "$KX/lib/modules" | head -1)
[ -n "$KREL" ] || die "no lib/modules/<release> in $DEB"
VMLINUZ="$KX/boot/vmlinuz-$KREL"
# against the extraction stamp, not vmlinuz: dpkg-deb keeps the package's file dates, so a newer
# kernel package's vmlinuz can be older than the vmlinux of the last one (modules of one kernel
# and the image of another: modprobe fails in the guest)
if newer "$OUT/vmlinux" "$KX/.stamp" "$HERE/extract_vmlinux.py"; then
    python3 "$HERE/extract_vmlinux.py" "$VMLINUZ" "$OUT/vmlinux"
fi
# host-side module dependency data for the whole package (Debian ships no modules.dep)
if newer "$KX/lib/modules/$KREL/modules.dep" "$KX/.stamp"; then
    log "depmod (package tree)"
    "$DEPMOD" -b "$KX" "$KREL"
fi

# ---------------------------------------------------------------- 4. modules for the guest
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci crypto_engine virtio_crypto af_alg algif_skcipher"
MODROOT="$OUT/modroot"
if newer "$MODROOT/.stamp" "$KX/.stamp" "$KX/lib/modules/$KREL/modules.dep" "$HERE/build.sh"; then
    log "collecting modules: $MODULES (+ dependencies)"
    rm -rf "$MODROOT"
    mkdir -p "$MODROOT/lib/modules/$KREL"
    files=$(for m in $MODULES; do
        "$MODPROBE" -d "$KX" -S "$KREL" --show-depends "$m" || die "module $m not found in $KPKG"
    done | awk '$1 == "insmod" { print $2 }' | sort -u)
    for f in $files; do
        rel=${f#"$KX"/lib/modules/"$KREL"/}
        mkdir -p "$MODROOT/lib/modules/$KREL/$(dirname "$rel")"
        case "$f" in
            *.ko.xz) xz -dc "$f" >"$MODROOT/lib/modules/$KREL/${rel%.xz}" ;;
            *.ko.zst) zstd -qdc "$f" >"$MODROOT/lib/modules/$KREL/${rel%.zst}" ;;
            *.ko.gz) gzip -dc "$f" >"$MODROOT/lib/modules/$KREL/${rel%.gz}" ;;
            *) cp "$f" "$MODROOT/lib/modules/$KREL/$rel" ;;
        esac
    done
    for f in modules.builtin modules.builtin.modinfo modules.order; do
        [ -e "$KX/lib/modules/$KREL/$f" ] && cp "$KX/lib/modules/$KREL/$f" "$MODROOT/lib/modules/$KREL/"
    done
    "$DEPMOD" -b "$MODROOT" "$KREL"
    (cd "$MODROOT/lib/modules/$KREL" && find kernel -name '*.ko' | sort) >"$MODROOT/modules.list"
    log "$(wc -l <"$MODROOT/modules.list") modules: $(xargs -n1 basename <"$MODROOT/modules.list" | tr '\n' ' ')"
    touch "$MODROOT/.stamp"
fi

# ---------------------------------------------------------------- 5. test program
if newer "$OUT/afalg_test" "$HERE/afalg_test.c"; then
    log "gcc -static -O2 afalg_test.c"
    gcc -static -O2 -Wall -Wextra -o "$OUT/afalg_test.tmp" "$HERE/afalg_test.c"
    mv "$OUT/afalg_test.tmp" "$OUT/afalg_test"
fi

# ---------------------------------------------------------------- 6. initramfs
if newer "$OUT/initrd.gz" "$HERE/init" "$OUT/afalg_test" "$MODROOT/.stamp" "$BUSYBOX" "$HERE/mkcpio.py" "$HERE/build.sh"; then
    log "initramfs"
    RFS="$OUT/rootfs"
    rm -rf "$RFS"
    mkdir -p "$RFS"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,lib/modules,etc}
    cp "$BUSYBOX" "$RFS/bin/busybox"
    ln -s busybox "$RFS/bin/sh"
    install -m 0755 "$HERE/init" "$RFS/init"
    install -m 0755 "$OUT/afalg_test" "$RFS/bin/afalg_test"
    cp -a "$MODROOT/lib/modules/$KREL" "$RFS/lib/modules/"
    python3 "$HERE/mkcpio.py" "$RFS" "$OUT/initrd.gz" \
        --dev /dev/console:c:5:1:600 --dev /dev/null:c:1:3:666 --dev /dev/ttyS0:c:4:64:600
fi

# ---------------------------------------------------------------- 7. VERSION
{
    echo "package=$KPKG"
    echo "version=$KVERSION"
    echo "kernel_release=$KREL"
    echo "deb=$(basename "$DEB")"
    [ "$DEB.sha256" -nt "$DEB" ] || sha256sum "$DEB" | cut -d' ' -f1 >"$DEB.sha256"
    echo "deb_sha256=$(cat "$DEB.sha256")"
    echo "busybox=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)"
    echo "qemu=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || echo unknown)"
} >"$OUT/VERSION.tmp"
if ! cmp -s "$OUT/VERSION.tmp" "$OUT/VERSION"; then mv "$OUT/VERSION.tmp" "$OUT/VERSION"; else rm -f "$OUT/VERSION.tmp"; fi

T1=$(date +%s.%N)
log "done in $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.1f", b - a }') s: $OUT/vmlinux ($KREL, $KPKG $KVERSION), $OUT/initrd.gz ($(stat -c %s "$OUT/initrd.gz") bytes)"
