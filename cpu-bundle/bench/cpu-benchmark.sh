#!/usr/bin/env bash
# Builds the compute-bound guest benchmark, runs it on qemu-system-riscv64 and on Orrery's hart in the
# same run, and prints guest instructions per second and the ratio to QEMU's: steady state (the second half
# of each of three runs, after translation and JIT warm-up) and first run. ENGINE=interpreter measures the
# interpreter alone.
# Usage: cpu-bundle/bench/cpu-benchmark.sh [rounds]   (rounds scales the work; default 30, about 1.5e9
# guest instructions, a few seconds on QEMU)
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROUNDS=${1:-30}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"

echo "== building Orrery (riscv-cpu and what it needs)"
mkdir -p "$HERE/target"
if ! (cd "$ROOT" && mvn -q -B -o install -pl cpu-bundle -am -DskipTests >"$HERE/target/bench-build.log" 2>&1); then
  # another module of the reactor may be broken right now: build the CPU module on its own
  if ! (cd "$ROOT" && mvn -q -B -o -f cpu-bundle/pom.xml install -DskipTests >>"$HERE/target/bench-build.log" 2>&1); then
    cat "$HERE/target/bench-build.log"; exit 1
  fi
fi

echo "== building the guest benchmark (ROUNDS=$ROUNDS)"
G="$HERE/src/test/guest"
OUT="$HERE/target/bench"
mkdir -p "$OUT"
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles -ffreestanding \
  -fno-builtin -O2 -DROUNDS="$ROUNDS" -I"$G" -T "$G/common/link.ld" "$G/common/crt.S" "$G/common/lib.c" \
  "$G/bench.c" -lgcc -o "$OUT/bench.elf"

echo "== QEMU"
command -v qemu-system-riscv64 >/dev/null || { echo "qemu-system-riscv64 not found (install qemu-system-misc)"; exit 1; }
Q0=$(date +%s%N)
/usr/bin/time -f "%U %S" -o "$OUT/qemu-time.txt" timeout 600 qemu-system-riscv64 -machine virt -bios none \
  -kernel "$OUT/bench.elf" -nographic -serial stdio -monitor none
Q1=$(date +%s%N)
QCPU=$(awk '{print $1 + $2}' "$OUT/qemu-time.txt")
QWALL=$(echo "scale=3; ($Q1 - $Q0) / 1000000000" | bc)
echo "qemu wall ${QWALL} s, cpu ${QCPU} s"

echo "== Orrery"
CP="$HERE/target/classes:$HERE/target/test-classes:$ROOT/core-object-model/machine-api/target/classes:$ROOT/core-object-model/object-model/target/classes"
# the JVM flags ./orrery uses (see ARCHITECTURE.md, "The RISC-V hart and its two engines")
source "$ROOT/cnf/scripts/common.sh"
orrery_jvm_options
"$JAVA" "${ORRERY_JVM_OPTIONS[@]}" -cp "$CP" org.orrery.cpu.riscv.bench.CpuBenchmark \
  "$OUT/bench.elf" 3 "${ENGINE:-translator}" | tee "$OUT/orrery.txt"

field() { grep "orrery run $1:" "$OUT/orrery.txt" | sed "s/.*$2.*/\1/"; }
INSNS=$(field 1 ': \([0-9]*\) instructions')
OWALL=$(field 1 'wall \([0-9.]*\) s')
STEADY=$(grep 'orrery-summary' "$OUT/orrery.txt" | sed 's/.*best-steady-mips=\([0-9.]*\).*/\1/')
STEADY_CPU=$(grep 'orrery run' "$OUT/orrery.txt" | sed 's/.*; \([0-9.]*\) per cpu-second.*/\1/' | sort -g | tail -1)
QMIPS=$(echo "scale=1; $INSNS / $QWALL / 1000000" | bc)
QMIPS_CPU=$(echo "scale=1; $INSNS / $QCPU / 1000000" | bc)
echo "== summary"
echo "guest instructions:              $INSNS"
echo "QEMU:                            $QWALL s wall ($QMIPS MIPS, start-up included), $QCPU s cpu ($QMIPS_CPU MIPS per cpu-second)"
echo "Orrery first run:                $OWALL s wall ($(echo "scale=1; $INSNS / $OWALL / 1000000" | bc) MIPS, translation and JIT warm-up included)"
echo "Orrery steady state:             $STEADY MIPS wall, $STEADY_CPU MIPS per machine-thread cpu-second (second half of a run, best of 3)"
echo "ratio Orrery/QEMU, steady state: $(echo "scale=2; $STEADY / $QMIPS" | bc)x wall, $(echo "scale=2; $STEADY_CPU / $QMIPS_CPU" | bc)x per cpu-second"
echo "ratio Orrery/QEMU, first run:    $(echo "scale=2; $QWALL / $OWALL" | bc)x wall"
echo "(the machine load average was: $(cut -d' ' -f1-3 /proc/loadavg))"
