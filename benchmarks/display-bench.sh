#!/usr/bin/env bash
# Display benchmark, Orrery beside QEMU 7.2 in the same run: a bare-metal guest (integration-tests' display guest)
# draws a 320x200 picture through virtio-gpu-device, then from outside (milliseconds, median and min of the runs)
#   screendump ppm / png   one QMP screendump of that picture, call to answer
#   vnc raw / zlib         one full-frame FramebufferUpdate (non-incremental request to the last byte), Raw or Zlib
# and how long the guest took from launch to "drawn". Usage: benchmarks/display-bench.sh [runs]   (default 20)
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cnf/scripts/common.sh"

runs=${1:-20}
guest_src="$ORRERY_ROOT/integration-tests/end-to-end/src/test/resources/display"
for t in riscv64-unknown-elf-gcc python3 qemu-system-riscv64; do command -v $t >/dev/null || orrery_die "missing $t"; done
orrery_select_jdk
orrery_build_if_stale
export ORRERY_NO_BUILD=1

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -O2 -nostdlib -nostartfiles -ffreestanding \
    -Wl,--no-warn-rwx-segments -T "$guest_src/display.ld" "$guest_src/display.c" -o "$tmp/display.elf"

measure() {   # measure NAME PROGRAM...
    local name=$1; shift
    local dir="$tmp/$name"; mkdir -p "$dir"
    local start=$EPOCHREALTIME
    "$@" -machine virt -m 128M -bios none -kernel "$tmp/display.elf" -global virtio-mmio.force-legacy=false \
        -device virtio-gpu-device -display none -vnc "unix:$dir/v.sock" -serial "file:$dir/serial.txt" \
        -qmp "unix:$dir/q.sock,server=on,wait=off" >"$dir/out.txt" 2>&1 &
    local pid=$!
    for _ in $(seq 1 600); do grep -q drawn "$dir/serial.txt" 2>/dev/null && break; sleep 0.05; done
    grep -q drawn "$dir/serial.txt" || orrery_die "$name: the guest did not draw: $(tail -c 300 "$dir/out.txt")"
    local drawn; drawn=$(python3 -c "print(round(($EPOCHREALTIME - $start) * 1000))")
    python3 - "$name" "$dir" "$runs" "$drawn" <<'PY'
import json, socket, statistics, struct, sys, time, zlib
name, d, runs, drawn = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
q = socket.socket(socket.AF_UNIX); q.connect(d + "/q.sock"); f = q.makefile("rwb")
f.readline()
def call(c):
    f.write((json.dumps(c) + "\n").encode()); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r: return r
call({"execute": "qmp_capabilities"})
def timed(fn):
    t = []
    for _ in range(runs):
        s = time.perf_counter(); fn(); t.append((time.perf_counter() - s) * 1000)
    return "%7.2f %7.2f" % (statistics.median(t), min(t))
row = {}
for fmt in ("ppm", "png"):
    row["screendump " + fmt] = timed(lambda: call({"execute": "screendump", "arguments": {"filename": d + "/s." + fmt, "format": fmt}}))
v = socket.socket(socket.AF_UNIX); v.connect(d + "/v.sock")
def rx(n):
    b = bytearray()
    while len(b) < n: b += v.recv(n - len(b))
    return bytes(b)
rx(12); v.sendall(b"RFB 003.008\n"); rx(rx(1)[0]); v.sendall(b"\x01"); rx(4); v.sendall(b"\x01")
w, h = struct.unpack(">HH", rx(4)); rx(16); rx(struct.unpack(">I", rx(4))[0])
for enc, label in ((0, "vnc raw"), (6, "vnc zlib")):
    v.sendall(struct.pack(">BxHi", 2, 1, enc))
    def frame():
        v.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))
        assert rx(1)[0] == 0
        for _ in range(struct.unpack(">xH", rx(3))[0]):
            x, y, rw, rh, e = struct.unpack(">HHHHi", rx(12))
            rx(rw * rh * 4 if e == 0 else struct.unpack(">I", rx(4))[0])
    row[label] = timed(frame)
print("%-8s guest drawn %5s ms after launch" % (name, drawn))
for k, val in row.items(): print("%-8s %-16s %s ms (median, min of %d)" % (name, k, val, runs))
call({"execute": "quit"})
PY
    wait $pid 2>/dev/null || true
}
echo "display benchmark, $runs runs each; load: $(cut -d' ' -f1-3 /proc/loadavg)"
measure orrery "$ORRERY_ROOT/orrery"
measure qemu qemu-system-riscv64
