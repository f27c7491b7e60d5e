#!/usr/bin/env bash
# Where a boot's CPU goes: per-thread CPU seconds of ./orrery at two milestones, U-Boot's autoboot prompt
# (OpenSBI + U-Boot from Debian) and Linux's init (the project's test kernel and initramfs, built or reused
# by guests/), so JIT compiling, the hart and the launcher's start-up can be told apart. Pass -accel
# settings to compare engines, e.g. ACCEL=tcg,x-translate=off.
# Usage: benchmarks/boot-threads.sh [runs]   (default 3)
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cnf/scripts/common.sh"
runs=${1:-3}
accel=${ACCEL:-tcg}
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
uboot=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
for f in "$fw" "$uboot"; do [[ -f $f ]] || orrery_die "missing $f (Debian packages opensbi and u-boot-qemu)"; done
probe="$ORRERY_ROOT/benchmarks/boot_threads.py"
"$ORRERY_ROOT/orrery" -version >/dev/null   # builds the distribution first if needed
kernel=$("$ORRERY_ROOT/guests/linux/build-kernel.sh")
initramfs=$("$ORRERY_ROOT/guests/init/build-initramfs.sh")
export ORRERY_NO_BUILD=1

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   ($(nproc) cores)   -accel $accel"
echo "U-Boot, launch -> autoboot prompt:"
python3 "$probe" "$runs" "Hit any key" -- "$ORRERY_ROOT/orrery" -accel "$accel" -machine virt -m 256M -nographic \
    -bios "$fw" -kernel "$uboot"
echo "Linux 6.1, launch -> init:"
python3 "$probe" "$runs" "ORRERY-INIT: started" -- "$ORRERY_ROOT/orrery" -accel "$accel" -machine virt -m 256M \
    -nographic -kernel "$kernel" -initrd "$initramfs" -append "console=ttyS0 earlycon"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
