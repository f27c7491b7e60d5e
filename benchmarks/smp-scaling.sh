#!/usr/bin/env bash
# SMP scaling: a fixed amount of hashing split between 1, 2 and 4 harts of a -bios none virt machine
# (the SMP stress guest built with -DSCALING), on Orrery and on QEMU 7.2. Prints, per hart count, the
# guest's own time (timebase ticks from the first hart's start to the last hart's end), the wall time of
# the whole run and the speed-up over one hart. Then the atomics: the SMP stress guest itself for 2 s of guest
# time, rounds per guest second summed over the harts (a round is nine AMOs and LR/SC pairs on counters all
# harts share, plus a spin-locked increment). Usage: benchmarks/smp-scaling.sh [runs] (median of runs).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cnf/scripts/common.sh"
runs=${1:-3}
src="$ORRERY_ROOT/integration-tests/end-to-end/src/test/resources/smp-stress"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 -nostdlib -nostartfiles -ffreestanding \
    -Wl,--no-warn-rwx-segments -DSCALING -T "$src/stress.ld" "$src/start.S" "$src/stress.c" -o "$work/scaling.elf"
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 -nostdlib -nostartfiles -ffreestanding \
    -Wl,--no-warn-rwx-segments -DSECONDS=2 -T "$src/stress.ld" "$src/start.S" "$src/stress.c" -o "$work/atomics.elf"
"$ORRERY_ROOT/orrery" -version >/dev/null   # builds the distribution first if needed

# one run: prints "<guest seconds> <wall seconds>"
one() {
    local start end out
    start=$(date +%s.%N)
    out=$("$@" -machine virt -bios none -nographic -kernel "$work/scaling.elf" </dev/null 2>&1 | grep -a '^scaling')
    end=$(date +%s.%N)
    python3 -c "import sys; w=sys.argv[1].split(); print(int(w[w.index('ticks')+1])/1e7, float(sys.argv[3])-float(sys.argv[2]))" "$out" "$start" "$end"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-8s %5s %12s %10s %9s\n' emulator harts "guest s" "wall s" speed-up
for emu in qemu orrery; do
    if [[ $emu == qemu ]]; then cmd=(qemu-system-riscv64); else cmd=("$ORRERY_ROOT/orrery"); fi
    base=
    for n in 1 2 4; do
        guest=(); wall=()
        for ((r = 0; r < runs; r++)); do
            read -r g w < <(one "${cmd[@]}" -smp "$n")
            guest+=("$g"); wall+=("$w")
        done
        g=$(printf '%s\n' "${guest[@]}" | median); w=$(printf '%s\n' "${wall[@]}" | median)
        [[ -z $base ]] && base=$g
        printf '%-8s %5d %12.3f %10.3f %8.2fx\n' "$emu" "$n" "$g" "$w" "$(python3 -c "print($base / $g)")"
    done
done

# one atomics run: prints the rounds per guest second, all harts together (0 when the guest's check failed)
rounds() {
    local out
    out=$("$@" -machine virt -bios none -nographic -kernel "$work/atomics.elf" </dev/null 2>&1 | grep -a '^stress')
    python3 -c "import sys; w=sys.argv[1].split(); print(int(w[w.index('rounds')+1]) / 2 if w[-1] == 'PASS' else 0)" "$out"
}

echo
printf '%-8s %5s %18s\n' emulator harts "rounds per second"
for emu in qemu orrery; do
    if [[ $emu == qemu ]]; then cmd=(qemu-system-riscv64); else cmd=("$ORRERY_ROOT/orrery"); fi
    for n in 1 2 4; do
        r=$(for ((k = 0; k < runs; k++)); do rounds "${cmd[@]}" -smp "$n"; done | median)
        printf '%-8s %5d %18.0f\n' "$emu" "$n" "$r"
    done
done
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
