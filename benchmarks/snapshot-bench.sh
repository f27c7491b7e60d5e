#!/usr/bin/env bash
# Save and restore of a whole machine, Orrery beside QEMU 7.2: the project's Linux guest (guests/) boots to its
# prompt with 256 MiB and with 2 GiB of RAM; the guest is stopped, its state migrated to a file (exec:cat > FILE)
# and timed until query-migrate says completed; then a new process started with -incoming defer is timed from
# migrate-incoming (exec:cat FILE) to completed. Prints save time, restore time and stream size (medians).
# Usage: benchmarks/snapshot-bench.sh [runs]   (default 3)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
runs=${1:-3}
command -v qemu-system-riscv64 >/dev/null || { echo "missing qemu-system-riscv64 (package qemu-system-misc)"; exit 1; }
"$root/orrery" -version >/dev/null   # build first, outside the timing
kernel=$("$root/guests/linux/build-kernel.sh")
initramfs=$("$root/guests/init/build-initramfs.sh")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 - "$runs" "$root/orrery" "$work" "$kernel" "$initramfs" <<'PY'
import json, os, re, select, socket, statistics, subprocess, sys, time
runs, orrery, work, kernel, initramfs = int(sys.argv[1]), *sys.argv[2:]

def machine(mem):
    return ["-machine", "virt", "-m", mem, "-nographic", "-kernel", kernel, "-initrd", initramfs,
            "-append", "console=ttyS0 earlycon", "-device", "virtio-rng-device"]

class Qmp:
    def __init__(self, path, limit=60):
        t = time.time()
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX); self.s.connect(path); break
            except OSError:
                self.s.close()
                if time.time() - t > limit: raise SystemExit(f"no QMP socket {path}")
                time.sleep(0.05)
        self.f = self.s.makefile("rb"); self.f.readline(); self.cmd("qmp_capabilities")
    def cmd(self, name, args=None):
        m = {"execute": name}
        if args is not None: m["arguments"] = args
        self.s.sendall(json.dumps(m).encode() + b"\n")
        while True:
            r = json.loads(self.f.readline())
            if "event" in r: continue
            if "error" in r: raise SystemExit(f"{name}: {r['error']}")
            return r["return"]
    def until(self, name, pred, limit=300):
        t = time.time()
        while time.time() - t < limit:
            r = self.cmd(name)
            if pred(r): return r
            time.sleep(0.01)
        raise SystemExit(f"{name} never satisfied: {r}")

def start(exe, args, sock):
    cmd = [exe] + args + ["-qmp", f"unix:{sock},server=on,wait=off"]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, ORRERY_NO_BUILD="1"))

def wait_prompt(p, limit=400):
    buf, t = b"", time.time()
    while time.time() - t < limit:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            d = os.read(p.stdout.fileno(), 65536)
            if not d: break
            buf += d
            if b"orrery# " in buf: return
    raise SystemExit("no prompt: " + buf[-400:].decode(errors="replace"))

def one(exe, mem, i):
    state = os.path.join(work, f"state-{i}")
    sock = os.path.join(work, f"src-{i}.sock")
    p = start(exe, machine(mem), sock)
    q = Qmp(sock)
    wait_prompt(p)
    q.cmd("stop")
    t0 = time.time()
    q.cmd("migrate", {"uri": f"exec:cat > {state}"})
    r = q.until("query-migrate", lambda r: r.get("status") in ("completed", "failed"))
    save = time.time() - t0
    assert r["status"] == "completed", r
    q.cmd("quit"); p.wait(30)
    size = os.path.getsize(state)
    sock2 = os.path.join(work, f"dst-{i}.sock")
    d = start(exe, machine(mem) + ["-incoming", "defer"], sock2)
    q2 = Qmp(sock2)
    t1 = time.time()
    q2.cmd("migrate-incoming", {"uri": f"exec:cat {state}"})
    r2 = q2.until("query-migrate", lambda r: r.get("status") in ("completed", "failed"))
    restore = time.time() - t1
    assert r2["status"] == "completed", r2
    st = q2.cmd("query-status")["status"]
    q2.cmd("quit"); d.wait(30)
    os.remove(state)
    return save, restore, size, st

print(f"load average before: {os.getloadavg()[0]:.2f}")
print(f"{'guest':>6} {'emulator':>8} {'save s':>8} {'restore s':>10} {'stream MiB':>11}  (median of {runs})")
for mem in ("256M", "2G"):
    for name, exe in (("orrery", orrery), ("qemu", "qemu-system-riscv64")):
        res = [one(exe, mem, f"{name}-{mem}-{k}") for k in range(runs)]
        med = lambda k: statistics.median(r[k] for r in res)
        print(f"{mem:>6} {name:>8} {med(0):8.3f} {med(1):10.3f} {med(2) / 2**20:11.1f}  (restored status: {res[-1][3]})", flush=True)
print(f"load average after: {os.getloadavg()[0]:.2f}")
PY
