#!/usr/bin/env bash
# The CPU benchmark's four kernels timed one by one, on QEMU and on ./orrery (the whole emulator, as users run
# it), interleaved: milliseconds each kernel took over the second half of its rounds (after translation and JIT
# warm-up), as the guest measures them with rdtime; median of the runs, and Orrery's time over QEMU's.
# Usage: cpu-bundle/bench/kernels.sh [runs] [rounds]   (defaults 5 and 30; needs a built distribution)
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${1:-5}
ROUNDS=${2:-30}
G="$HERE/src/test/guest"
OUT="$HERE/target/bench"
mkdir -p "$OUT"
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles -ffreestanding \
  -fno-builtin -O2 -DROUNDS="$ROUNDS" -DKERNEL_TIMES -I"$G" -T "$G/common/link.ld" "$G/common/crt.S" "$G/common/lib.c" \
  "$G/bench.c" -lgcc -o "$OUT/kernels.elf"
"$ROOT/orrery" -version >/dev/null   # builds what is missing, outside the timing
python3 - "$ROOT/orrery" "$OUT/kernels.elf" "$RUNS" <<'PY'
import re, statistics, subprocess, sys
orrery, elf, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
kernels = ("sort", "hash", "matrix", "list")
def run(cmd):
    out = subprocess.run(cmd + ["-machine", "virt", "-bios", "none", "-nographic", "-kernel", elf],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600).stdout
    got = {k: int(v, 16) / 10000 for k, v in re.findall(r"^(sort|hash|matrix|list)=([0-9a-f]+)", out, re.M)}
    if len(got) != len(kernels): sys.exit("no kernel times in the output:\n" + out)
    return got
times = {"qemu": [], "orrery": []}
for _ in range(runs):
    times["qemu"].append(run(["qemu-system-riscv64"]))
    times["orrery"].append(run([orrery]))
med = {e: {k: statistics.median(r[k] for r in times[e]) for k in kernels} for e in times}
print("%-8s %10s %10s %8s" % ("kernel", "qemu ms", "orrery ms", "ratio"))
for k in kernels + ("total",):
    q = sum(med["qemu"].values()) if k == "total" else med["qemu"][k]
    o = sum(med["orrery"].values()) if k == "total" else med["orrery"][k]
    print("%-8s %10.1f %10.1f %7.2fx" % (k, q, o, o / q))
print("(ratio: Orrery's time over QEMU's, lower is faster; medians of %d runs each)" % runs)
PY
