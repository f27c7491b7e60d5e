#!/usr/bin/env bash
# Boot benchmark: the time from launching the machine to the guest init's first line
# ("ORRERY-INIT: started"), on Orrery and on QEMU 7.2 (qemu-system-riscv64), side by side.
# Same kernel, initramfs and disk on both (built or reused through guests/linux/build-kernel.sh and
# guests/init/build-initramfs.sh). Usage: boot-benchmark.sh [runs]   (default 3; the best run counts)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${1:-3}"
marker="ORRERY-INIT: started"
timeout_s="${BOOT_TIMEOUT:-300}"

kernel="$("$here/build-kernel.sh")"
initramfs="$("$root/guests/init/build-initramfs.sh")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/content"
echo "boot benchmark" > "$work/content/readme.txt"
/usr/sbin/mke2fs -q -F -t ext2 -d "$work/content" "$work/disk.img" 16M >/dev/null 2>&1

machine_args=(-machine virt -m 256M -nographic -kernel "$kernel" -initrd "$initramfs"
    -append "console=ttyS0 earlycon"
    -drive "file=$work/disk.img,format=raw,if=none,id=d0" -device virtio-blk-device,drive=d0
    -device virtio-rng-device)

# Seconds from launch to the marker line on the machine's console, or "timeout".
boot_seconds() {
    local start end="" line
    start=$EPOCHREALTIME
    coproc VM { exec "$@" < /dev/null 2>&1; }
    local vm_pid=$VM_PID
    while IFS= read -r -t "$timeout_s" line <&"${VM[0]}"; do
        if [[ $line == *"$marker"* ]]; then
            end=$EPOCHREALTIME
            break
        fi
    done
    kill "$vm_pid" 2>/dev/null || true
    wait "$vm_pid" 2>/dev/null || true
    if [[ -z $end ]]; then echo timeout; else echo "$end - $start" | bc -l; fi
}

best() { printf '%s\n' "$@" | grep -v timeout | sort -g | head -1; }

orrery_times=() qemu_times=()
for ((i = 1; i <= runs; i++)); do
    orrery_times+=("$(ORRERY_NO_BUILD=${ORRERY_NO_BUILD:-1} boot_seconds "$root/orrery" "${machine_args[@]}")")
    qemu_times+=("$(boot_seconds qemu-system-riscv64 "${machine_args[@]}")")
    printf 'run %d: orrery %s s, qemu %s s\n' "$i" "${orrery_times[-1]}" "${qemu_times[-1]}"
done

o="$(best "${orrery_times[@]}")" q="$(best "${qemu_times[@]}")"
printf '%-34s %12s %12s %8s\n' "launch to init's first line" "Orrery" "QEMU 7.2" "ratio"
if [[ -z $o || -z $q ]]; then
    printf '%-34s %12s %12s %8s\n' "(best of $runs)" "${o:-timeout}" "${q:-timeout}" "-"
    exit 1
fi
printf '%-34s %11.2fs %11.2fs %7.1fx\n' "(best of $runs)" "$o" "$q" "$(echo "$o / $q" | bc -l)"
