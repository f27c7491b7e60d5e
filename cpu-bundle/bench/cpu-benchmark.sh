#!/bin/sh
# Builds the compute-bound guest benchmark, runs it on qemu-system-riscv64 and on Orrery's hart in the
# same run, and prints instructions per second, wall times and their ratio.
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
CP="$HERE/target/classes:$HERE/target/test-classes:$ROOT/core-object-model/machine-api/target/classes"
"$JAVA" -cp "$CP" org.orrery.cpu.riscv.bench.CpuBenchmark "$OUT/bench.elf" 3 | tee "$OUT/orrery.txt"

INSNS=$(grep 'orrery run 1:' "$OUT/orrery.txt" | sed 's/.*run 1: \([0-9]*\) instructions.*/\1/')
OWALL=$(grep 'orrery run 1:' "$OUT/orrery.txt" | sed 's/.*wall \([0-9.]*\) s.*/\1/')
BEST=$(grep 'orrery-summary' "$OUT/orrery.txt" | sed 's/.*best-mips=\([0-9.]*\).*/\1/')
OCPU=$(grep 'orrery run 3:' "$OUT/orrery.txt" | sed 's/.*cpu \([0-9.]*\) s.*/\1/')
echo "== summary"
echo "guest instructions:        $INSNS"
echo "QEMU wall:                 $QWALL s (incl. QEMU start-up; $(echo "scale=1; $INSNS / $QWALL / 1000000" | bc) MIPS)"
echo "Orrery wall (first run):   $OWALL s (incl. JIT warm-up; $(echo "scale=1; $INSNS / $OWALL / 1000000" | bc) MIPS)"
echo "Orrery best steady state:  $BEST MIPS"
echo "Orrery cpu (third run):    $OCPU s ($(echo "scale=1; $INSNS / $OCPU / 1000000" | bc) MIPS per cpu-second)"
echo "QEMU cpu:                  $QCPU s"
echo "ratio Orrery/QEMU wall:    $(echo "scale=2; $OWALL / $QWALL" | bc)x (first run)"
echo "ratio Orrery/QEMU cpu:     $(echo "scale=2; $OCPU / $QCPU" | bc)x (steady state)"
echo "(the machine load average was: $(cut -d' ' -f1-3 /proc/loadavg))"
