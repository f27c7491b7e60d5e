#!/usr/bin/env bash
# U-Boot on the virt board, Orrery beside QEMU 7.2 on the same firmware and disk:
#   - seconds from launch to U-Boot's prompt (autoboot interrupted as soon as it offers),
#   - sequential read through virtio-blk: U-Boot's own MiB/s for `load virtio` of a 64 MiB file,
#     beside the host disk's read speed of the same image;
#   - sequential write through virtio-blk: 64 MiB with `virtio write`, timed from the command to the
#     next prompt, beside the host disk's write speed (dd with fdatasync).
# Usage: benchmarks/uboot-benchmark.sh [runs]   (default 3; prints the median of the runs)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs=${1:-3}
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
ub=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
for f in "$fw" "$ub"; do [[ -f $f ]] || { echo "missing $f (Debian packages opensbi and u-boot-qemu)"; exit 1; }; done
command -v qemu-system-riscv64 >/dev/null || { echo "missing qemu-system-riscv64 (package qemu-system-misc)"; exit 1; }
"$root/orrery" -version >/dev/null   # build first, outside the timing
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
truncate -s 80M "$work/disk.img"; mkfs.vfat "$work/disk.img" >/dev/null
head -c 64M /dev/urandom >"$work/big.bin"; mcopy -i "$work/disk.img" "$work/big.bin" ::big.bin
host_mibs=$(dd if="$work/disk.img" of=/dev/null bs=1M iflag=direct 2>&1 | awk '/copied/ {v=$(NF-1); u=$NF; if (u ~ /^GB/) v*=1000; print int(v/1.048576)}')
host_write=$(dd if=/dev/zero of="$work/scratch.img" bs=1M count=64 conv=fdatasync 2>&1 | awk '/copied/ {v=$(NF-1); u=$NF; if (u ~ /^GB/) v*=1000; print int(v/1.048576)}')
truncate -s 80M "$work/scratch.img"
python3 - "$runs" "$root/orrery" "$fw" "$ub" "$work/disk.img" "$host_mibs" "$work/scratch.img" "$host_write" <<'PY'
import os, re, select, statistics, subprocess, sys, time
runs, orrery, fw, ub, disk, host = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
scratch, host_write = sys.argv[7], sys.argv[8]
def session(cmd):
    env = dict(os.environ, ORRERY_NO_BUILD="1")
    t0 = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    buf, prompt, rate, stage, wrate, wstart = b"", None, None, 0, None, None
    while time.time() - t0 < 180:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if not r: continue
        d = os.read(p.stdout.fileno(), 65536)
        if not d: break
        buf += d
        if stage == 0 and b"Hit any key" in buf:
            p.stdin.write(b"\n"); p.stdin.flush(); stage = 1
        if prompt is None and buf.rstrip().endswith(b"=>"):
            prompt = time.time() - t0
            p.stdin.write(b"virtio scan; load virtio 0 0x84000000 big.bin\n"); p.stdin.flush(); stage = 2
        m = re.search(rb"bytes read in \d+ ms \(([\d.]+) (KiB|MiB|GiB)/s\)", buf)
        if m and rate is None:
            rate = float(m.group(1)) * {b"KiB": 1 / 1024, b"MiB": 1, b"GiB": 1024}[m.group(2)]
            # 64 MiB = 0x20000 sectors to the second disk, timed to the next prompt
            mark = len(buf)
            p.stdin.write(b"virtio dev 1; virtio write 0x84000000 0 0x20000\n"); p.stdin.flush(); wstart = time.time()
        if wstart is not None and b"written: OK" in buf[mark:] and buf.rstrip().endswith(b"=>"):
            wrate = 64 / (time.time() - wstart)
            break
    p.kill(); p.wait()
    return prompt, rate, wrate
common = ["-machine", "virt", "-m", "256M", "-nographic", "-bios", fw, "-kernel", ub,
          "-drive", "file=%s,format=raw,if=none,id=d0,readonly=on" % disk, "-device", "virtio-blk-device,drive=d0",
          "-drive", "file=%s,format=raw,if=none,id=d1" % scratch, "-device", "virtio-blk-device,drive=d1"]
res = {}
for name, exe in (("orrery", orrery), ("qemu", "qemu-system-riscv64")):
    got = [session([exe] + common) for _ in range(runs)]
    ok = [g for g in got if g[0] is not None]
    if not ok: print(f"{name}: never reached the U-Boot prompt"); sys.exit(1)
    med = lambda k: statistics.median(g[k] for g in ok if g[k] is not None) if any(g[k] for g in ok) else None
    res[name] = (statistics.median(g[0] for g in ok), med(1), med(2))
o, q = res["orrery"], res["qemu"]
print(f"U-Boot prompt:        orrery {o[0]:.2f} s   qemu {q[0]:.2f} s   ratio x{o[0]/q[0]:.1f}")
fmt = lambda v: "n/a" if v is None else f"{v:.1f} MiB/s"
print(f"virtio-blk read:      orrery {fmt(o[1])}   qemu {fmt(q[1])}   host disk {host} MiB/s")
print(f"virtio-blk write:     orrery {fmt(o[2])}   qemu {fmt(q[2])}   host disk {host_write} MiB/s")
PY
