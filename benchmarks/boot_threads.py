#!/usr/bin/env python3
"""Where a boot's CPU time goes: runs a command until TEXT appears on its console, then reads the CPU time
of every thread of the process (from /proc) before killing it.

Usage: boot_threads.py RUNS TEXT -- COMMAND...
Prints one line per run: the wall seconds to TEXT, then seconds of CPU per thread group (the hart threads
"CPU n/TCG", HotSpot's C1 and C2 compiler threads, the launcher's main thread "java", the translator's
background threads, the garbage collector, everything else as "other"), largest first. The command must
exec the JVM (./orrery does), so that the child process is the JVM itself.
"""
import os
import select
import subprocess
import sys
import time

LIMIT_S = 120
GROUPS = (("C2 CompilerThre", "C2 compiler"), ("C1 CompilerThre", "C1 compiler"), ("CPU ", None),
          ("orrery-translat", "translator"), ("GC Thread", "GC"), ("G1 ", "GC"), ("java", "launcher"))


def group(thread_name):
    for prefix, name in GROUPS:
        if thread_name.startswith(prefix):
            return name or thread_name
    return "other"


def thread_cpu(pid):
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue   # the thread ended meanwhile
        seconds = (int(fields[11]) + int(fields[12])) / ticks   # utime + stime
        key = group(name)
        totals[key] = totals.get(key, 0.0) + seconds
    return totals


def one_run(text, command):
    t0 = time.perf_counter()
    p = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    try:
        while time.perf_counter() - t0 < LIMIT_S:
            ready, _, _ = select.select([p.stdout], [], [], 0.5)
            if not ready:
                continue
            data = os.read(p.stdout.fileno(), 65536)
            if not data:
                return None
            seen = (seen + data)[-4096:]
            if text in seen:
                wall = time.perf_counter() - t0
                return wall, thread_cpu(p.pid)
        return None
    finally:
        p.kill()
        p.wait()


def main():
    runs, text = int(sys.argv[1]), sys.argv[2].encode()
    command = sys.argv[sys.argv.index("--") + 1:]
    for _ in range(runs):
        result = one_run(text, command)
        if result is None:
            print("never reached")
            continue
        wall, cpu = result
        parts = " ".join(f"{k}={v:.2f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]) if v >= 0.01)
        print(f"wall {wall:.2f} s  cpu {sum(cpu.values()):.2f} s: {parts}")


if __name__ == "__main__":
    main()
