#!/usr/bin/env bash
# Block I/O through a guest, qcow2 beside raw, Orrery beside QEMU 7.2: a bare-metal guest (the block tests' own,
# backend-bundles/block-backends/src/test/resources/guest/blkburst.c built with -DMODE_BENCH) drives virtio-blk
# with 4 KiB requests, one at a time, over 32 MiB: sequential write (allocating, on a fresh image; then a flush),
# sequential read, random write (then a flush), random read; timed in the guest with the board's mtime.
# Each configuration runs on a fresh image; the median of the runs is printed as MiB/s and requests per second.
# Usage: benchmarks/qcow2-guest.sh [runs]   (default 5)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs=${1:-5}
guest="$root/backend-bundles/block-backends/src/test/resources/guest"
for tool in riscv64-unknown-elf-gcc qemu-img qemu-system-riscv64; do
    command -v "$tool" >/dev/null || { echo "missing $tool (Debian packages gcc-riscv64-unknown-elf, qemu-utils, qemu-system-misc)"; exit 1; }
done
"$root/orrery" -version >/dev/null   # build first, outside the timing
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
riscv64-unknown-elf-gcc -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -nostdlib -nostartfiles -ffreestanding -O2 \
    -Wl,--no-warn-rwx-segments -DMODE_BENCH -DBENCH_MIB=32 -T "$guest/link.ld" "$guest/blkburst.c" -o "$work/bench.elf"
python3 - "$runs" "$root/orrery" "$work" <<'PY'
import os, re, statistics, subprocess, sys
runs, orrery, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tests = ["seq-write", "seq-read", "rand-write", "rand-read"]
def once(emulator, fmt):
    img = os.path.join(work, "disk." + fmt)
    if os.path.exists(img): os.remove(img)
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, img, "64M"], check=True)
    cmd = [orrery if emulator == "orrery" else "qemu-system-riscv64", "-machine", "virt", "-m", "128M", "-nographic",
           "-monitor", "none", "-bios", "none", "-kernel", os.path.join(work, "bench.elf"),
           "-drive", "file=%s,if=none,id=d0,format=%s" % (img, fmt), "-device", "virtio-blk-device,drive=d0",
           "-global", "virtio-mmio.force-legacy=false"]   # the guest drives virtio-mmio version 2
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=dict(os.environ, ORRERY_NO_BUILD="1")).stdout
    got = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in re.finditer(r"bench (\S+) requests=(\d+) us=(\d+)", out)}
    if set(got) != set(tests): sys.exit("%s %s: the guest did not finish:\n%s" % (emulator, fmt, out))
    return got
res = {}
for emulator in ("orrery", "qemu"):
    for fmt in ("raw", "qcow2"):
        res[emulator, fmt] = [once(emulator, fmt) for _ in range(runs)]
print("4 KiB requests, one in flight, 32 MiB, median of %d runs (load average before: %s)" % (runs, open("/proc/loadavg").read().split()[0]))
print("%-16s" % "" + "".join("%22s" % t for t in tests))
for (emulator, fmt), rs in res.items():
    cells = []
    for t in tests:
        per = statistics.median(r[t][1] / r[t][0] for r in rs)   # microseconds per request
        cells.append("%7.1f MiB/s %6d/s" % (4096 / per / 1.048576, 1e6 / per))
    print("%-16s" % (emulator + " " + fmt) + "".join("%22s" % c for c in cells))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
