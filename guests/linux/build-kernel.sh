#!/usr/bin/env bash
# Builds the Orrery guest kernel (Linux 6.1 from Debian's linux-source-6.1, RISC-V 64-bit) and
# prints the path of its Image on stdout; progress goes to stderr.
#
# The build lives in ${ORRERY_CACHE:-~/.cache/orrery}/linux-<hash>, where <hash> is the sha256 of
# the configuration fragment, this script and the source tarball: a second run with the same
# inputs prints the cached Image at once. Needs linux-source-6.1, gcc-riscv64-linux-gnu, make, bc,
# bison, flex, xz-utils.
#
# Environment: ORRERY_CACHE (cache root), LINUX_SOURCE (tarball), JOBS (parallel jobs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fragment="$here/orrery-virt.config"
tarball="${LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}"
cache="${ORRERY_CACHE:-$HOME/.cache/orrery}"
cross=riscv64-linux-gnu-

die() { echo "build-kernel.sh: $*" >&2; exit 1; }

[[ -r $tarball ]] || die "no kernel source at $tarball (apt-get install linux-source-6.1)"
[[ -r $fragment ]] || die "no configuration fragment at $fragment"

# The tarball's digest is remembered beside the cache, keyed by its path, size and mtime, so a
# cached build is found without reading 130 MB again.
mkdir -p "$cache"
stamp="$(stat -Lc '%s-%Y' "$tarball")"
digest_memo="$cache/.linux-source-$(echo "$tarball" | sha256sum | cut -c1-16)"
if [[ -r $digest_memo && $(head -1 "$digest_memo") == "$stamp" ]]; then
    source_digest="$(sed -n 2p "$digest_memo")"
else
    source_digest="$(sha256sum < "$tarball" | cut -d' ' -f1)"
    printf '%s\n%s\n' "$stamp" "$source_digest" > "$digest_memo"
fi
key="$( { sha256sum < "$fragment"; sha256sum < "${BASH_SOURCE[0]}"; echo "$source_digest"; } \
        | sha256sum | cut -c1-16)"
out="$cache/linux-$key"

if [[ -f $out/Image ]]; then
    echo "$out/Image"
    exit 0
fi

for tool in "${cross}gcc" make bc bison flex xz; do
    command -v "$tool" >/dev/null || die "$tool is missing (see cnf/scripts/test-packages.txt)"
done

# One build per key at a time; a concurrent caller waits and then finds the result.
exec 9> "$cache/.linux-$key.lock"
flock 9
if [[ -f $out/Image ]]; then
    echo "$out/Image"
    exit 0
fi

work="$cache/.linux-$key.work"
rm -rf "$work"
mkdir -p "$work"
start=$SECONDS
echo "build-kernel.sh: unpacking $tarball" >&2
tar -xJf "$tarball" -C "$work" --strip-components=1

jobs="${JOBS:-$(nproc)}"
kmake() { make -C "$work" ARCH=riscv CROSS_COMPILE="$cross" -j"$jobs" "$@"; }
echo "build-kernel.sh: configuring (tinyconfig + $(basename "$fragment"))" >&2
kmake -s tinyconfig >&2
(cd "$work" && ARCH=riscv ./scripts/kconfig/merge_config.sh -m .config "$fragment") >&2
kmake -s olddefconfig >&2

# Every option the fragment sets must have survived: a dropped option is a broken fragment.
missing=0
while IFS= read -r line; do
    case "$line" in
        CONFIG_*=*) grep -qxF "$line" "$work/.config" || { echo "build-kernel.sh: not in .config: $line" >&2; missing=1; } ;;
        "# CONFIG_"*" is not set") name="${line#\# }"; name="${name%% *}"
            if grep -q "^$name=" "$work/.config"; then echo "build-kernel.sh: still set: $name" >&2; missing=1; fi ;;
    esac
done < "$fragment"
[[ $missing -eq 0 ]] || die "the configuration fragment does not apply cleanly (see above)"

echo "build-kernel.sh: building Image with $jobs jobs" >&2
kmake -s Image >&2

mkdir -p "$out.tmp"
cp "$work/arch/riscv/boot/Image" "$work/.config" "$work/System.map" "$out.tmp/"
cp "$work/vmlinux" "$out.tmp/" 2>/dev/null || true
rm -rf "$out"
mv "$out.tmp" "$out"
rm -rf "$work"
echo "build-kernel.sh: built in $((SECONDS - start)) s" >&2
echo "$out/Image"
