#!/usr/bin/env bash
# Network throughput through -netdev user, Orrery beside QEMU 7.2 (medians of the runs):
#   - TFTP: U-Boot's own MiB/s for `tftpboot` of a 16 MiB file from tftp=DIR (virtio-net-device);
#   - TCP, with the project's Linux guest (guests/): host -> guest, the init's HTTP download of 16 MiB from a
#     server on the host's loopback through 10.0.2.2 (the init reports MiB/s); guest -> host, 16 MiB the init
#     sends through hostfwd, timed by this script from its connect to the last byte.
# Usage: benchmarks/net-throughput.sh [runs]   (default 3)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs=${1:-3}
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
ub=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
for f in "$fw" "$ub"; do [[ -f $f ]] || { echo "missing $f (Debian packages opensbi and u-boot-qemu)"; exit 1; }; done
command -v qemu-system-riscv64 >/dev/null || { echo "missing qemu-system-riscv64 (package qemu-system-misc)"; exit 1; }
"$root/orrery" -version >/dev/null   # build first, outside the timing
kernel=$("$root/guests/linux/build-kernel.sh")
initramfs=$("$root/guests/init/build-initramfs.sh")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir "$work/tftp"; head -c 16M /dev/urandom >"$work/tftp/big.bin"
python3 - "$runs" "$root/orrery" "$fw" "$ub" "$work" "$kernel" "$initramfs" <<'PY'
import http.server, os, re, select, socket, statistics, subprocess, sys, threading, time
runs, orrery, fw, ub, work, kernel, initramfs = int(sys.argv[1]), *sys.argv[2:]
MIB = 16
PATTERN = bytes(((i * 2654435761 & 0xffffffff) >> 24 ^ i) & 0xff for i in range(MIB << 20))

class Console:
    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  env=dict(os.environ, ORRERY_NO_BUILD="1"))
        self.buf = b""
    def wait(self, pattern, limit):
        deadline = time.time() + limit
        while time.time() < deadline:
            m = re.search(pattern, self.buf)
            if m: return m
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                d = os.read(self.p.stdout.fileno(), 65536)
                if not d: break
                self.buf += d
        raise RuntimeError("no %r; console tail: %s" % (pattern, self.buf[-600:].decode(errors="replace")))
    def type(self, line):
        self.p.stdin.write(line.encode() + b"\n"); self.p.stdin.flush()
    def close(self):
        self.p.kill(); self.p.wait()

def tftp(emulator):
    c = Console([emulator, "-machine", "virt", "-nographic", "-m", "256M", "-bios", fw, "-kernel", ub,
                 "-netdev", "user,id=n0,tftp=" + work + "/tftp", "-device", "virtio-net-device,netdev=n0"])
    try:
        c.wait(rb"Hit any key", 120); c.type(""); c.wait(rb"=> ", 30)
        c.type("setenv autoload no"); c.type("dhcp")
        # U-Boot reads (and drops) console input while its network runs: type only at the prompt after it
        c.wait(rb"DHCP client bound[^\n]*\n=> ", 60)
        c.type("tftpboot 0x84000000 big.bin")
        m = c.wait(rb"([0-9.]+) (KiB|MiB)/s\s+done", 300)
        return float(m.group(1)) / (1024 if m.group(2) == b"KiB" else 1)
    finally:
        c.close()

class Pattern(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", str(len(PATTERN))); self.end_headers()
        self.wfile.write(PATTERN)
    def log_message(self, *a): pass

def tcp(emulator):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pattern)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    s = socket.socket(); s.bind(("127.0.0.1", 0)); fwd = s.getsockname()[1]; s.close()
    c = Console([emulator, "-machine", "virt", "-nographic", "-m", "256M", "-kernel", kernel, "-initrd", initramfs,
                 "-append", "console=ttyS0 ip=dhcp orrery.http=%d orrery.serve=8080 orrery.netsize=%d" % (server.server_address[1], MIB),
                 "-device", "virtio-rng-device", "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:8080" % fwd,
                 "-device", "virtio-net-device,netdev=n0"])
    try:
        m = c.wait(rb"SELFTEST net-http: PASS .*?([0-9.]+) MiB/s", 900)
        down = float(m.group(1))
        c.wait(rb"listening on port 8080", 120)
        t0 = time.time()
        with socket.create_connection(("127.0.0.1", fwd)) as k:
            k.sendall(b"bench\n"); got = b""
            while True:
                d = k.recv(1 << 16)
                if not d: break
                got += d
        up = (len(got) - got.index(b"\n") - 1) / (time.time() - t0) / 1048576
        return down, up
    finally:
        c.close(); server.shutdown()

load = os.getloadavg()[0]
print("network throughput through -netdev user, median of %d runs (load average %.1f at start)" % (runs, load))
for emulator, name in ((orrery, "orrery"), ("qemu-system-riscv64", "qemu")):
    t = [tftp(emulator) for _ in range(runs)]
    print("%-7s TFTP 16 MiB (U-Boot):        %6.1f MiB/s" % (name, statistics.median(t)))
for emulator, name in ((orrery, "orrery"), ("qemu-system-riscv64", "qemu")):
    r = [tcp(emulator) for _ in range(runs)]
    print("%-7s TCP host->guest (HTTP %d MiB): %6.1f MiB/s" % (name, MIB, statistics.median(x[0] for x in r)))
    print("%-7s TCP guest->host (hostfwd %d MiB): %6.1f MiB/s" % (name, MIB, statistics.median(x[1] for x in r)))
PY
