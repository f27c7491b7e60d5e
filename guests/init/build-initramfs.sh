#!/usr/bin/env bash
# Builds the Orrery guest init (init.c, static, RISC-V 64-bit) and packs it into a gzip'd cpio
# (newc) initramfs; prints the initramfs path on stdout, progress on stderr.
#
# The result lives in ${ORRERY_CACHE:-~/.cache/orrery}/initramfs-<hash>, where <hash> is the
# sha256 of init.c, this script and the compiler's version: a second run returns at once.
# Needs gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross, cpio, gzip.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_file="$here/init.c"
cache="${ORRERY_CACHE:-$HOME/.cache/orrery}"
cc=riscv64-linux-gnu-gcc

die() { echo "build-initramfs.sh: $*" >&2; exit 1; }

command -v "$cc" >/dev/null || die "$cc is missing (apt-get install gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)"
command -v cpio >/dev/null || die "cpio is missing (apt-get install cpio)"

key="$( { sha256sum < "$source_file"; sha256sum < "${BASH_SOURCE[0]}"; "$cc" --version | head -1; } \
        | sha256sum | cut -c1-16)"
out="$cache/initramfs-$key"
if [[ -f $out/initramfs.cpio.gz ]]; then
    echo "$out/initramfs.cpio.gz"
    exit 0
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/.initramfs-$key.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/dev" "$work/root/proc" "$work/root/sys" "$work/root/mnt"
# -ffp-contract=off: the FPU self-test expects exact IEEE results of separate multiply and add.
"$cc" -static -pthread -O2 -Wall -Wextra -ffp-contract=off -o "$work/root/init" "$source_file" -lm
riscv64-linux-gnu-strip "$work/root/init"
(cd "$work/root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) \
    | gzip -9 -n > "$work/initramfs.cpio.gz"
mkdir -p "$work/out"
mv "$work/initramfs.cpio.gz" "$work/out/"
cp "$work/root/init" "$work/out/init"
rm -rf "$out"
mv "$work/out" "$out"
echo "$out/initramfs.cpio.gz"
