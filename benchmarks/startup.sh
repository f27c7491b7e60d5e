#!/usr/bin/env bash
# Start-up benchmark, Orrery beside QEMU 7.2 in the same run (milliseconds, median and min of the runs):
#   greeting     launch -> the QMP greeting on a unix socket (-S, nothing else on the command line)
#   first insn   launch -> the guest's first instruction (Orrery: its -d startup line; QEMU: its first
#                -d in_asm block, translated just before it runs)
#   U-Boot       launch -> U-Boot's banner on the serial console (OpenSBI first, then U-Boot)
#   version      ./orrery -version and -h, to the process' exit
# Usage: benchmarks/startup.sh [runs]   (default 7)
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cnf/scripts/common.sh"

runs=${1:-7}
uboot=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
probe="$ORRERY_ROOT/benchmarks/startup_probe.py"
orrery="$ORRERY_ROOT/orrery"
command -v qemu-system-riscv64 >/dev/null || orrery_die "missing qemu-system-riscv64 (package qemu-system-misc)"
[[ -f $uboot ]] || orrery_die "missing $uboot (package u-boot-qemu)"

orrery_select_jdk
orrery_build_if_stale   # build and train the AOT cache once, outside the timing
orrery_jvm_options
orrery_aot_option
export ORRERY_NO_BUILD=1

machine=(-machine virt -nographic -serial null -monitor none)
row() {   # row LABEL MILESTONE ARG ORRERY-ARGS... -- QEMU-ARGS...
    local label=$1 milestone=$2 arg=$3 orrery_args=() qemu_args=()
    shift 3
    while [[ $1 != -- ]]; do orrery_args+=("$1"); shift; done
    shift
    qemu_args=("$@")
    local o q
    o=$(python3 "$probe" "$runs" "$milestone" "$arg" -- "$orrery" "${orrery_args[@]}")
    q=$(python3 "$probe" "$runs" "$milestone" "${QEMU_ARG:-$arg}" -- qemu-system-riscv64 "${qemu_args[@]}")
    printf '%-26s %-28s %s\n' "$label" "$o" "$q"
}
elapsed_runs() {   # median and min of running "$@" to its exit
    local i start end times=()
    for ((i = 0; i < runs; i++)); do
        start=${EPOCHREALTIME/[.,]/}
        "$@" >/dev/null 2>&1
        end=${EPOCHREALTIME/[.,]/}
        times+=($(((end - start) / 1000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "median %d min %d runs %d", v[int((NR + 1) / 2)], v[1], NR }'
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   ($(nproc) cores)"
printf '%-26s %-28s %s\n' "milestone (ms)" "orrery" "qemu 7.2"
row "launch -> QMP greeting" greeting SOCKET "${machine[@]}" -S -qmp unix:SOCKET,server=on,wait=off \
    -- "${machine[@]}" -S -qmp unix:SOCKET,server=on,wait=off
QEMU_ARG='^IN:' row "launch -> first insn" stderr 'first guest instruction' "${machine[@]}" -d startup \
    -- "${machine[@]}" -d in_asm
row "launch -> U-Boot banner" stdout 'U-Boot 20' -machine virt -m 256M -nographic -kernel "$uboot" \
    -- -machine virt -m 256M -nographic -kernel "$uboot"
printf '%-26s %-28s %s\n' "-version to exit" "$(elapsed_runs "$orrery" -version)" "$(elapsed_runs qemu-system-riscv64 -version)"
printf '%-26s %-28s %s\n' "-h to exit" "$(elapsed_runs "$orrery" -h)" "$(elapsed_runs qemu-system-riscv64 -h)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
