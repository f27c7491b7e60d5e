#!/usr/bin/env python3
"""Times one start-up milestone of a command, several runs: launch -> the milestone, in milliseconds.

Usage: startup_probe.py RUNS MILESTONE ARG -- COMMAND...
  greeting SOCKET   the QMP greeting arrives on unix socket SOCKET (SOCKET in COMMAND is replaced by a
                    fresh path for every run)
  stderr REGEX      a line of the command's stderr matches REGEX
  stdout TEXT       TEXT appears on the command's stdout
Prints 'median MS min MS runs N' (or 'none' when a run never reached the milestone); every run is
killed once it has. Each run gets at most 60 seconds.
"""
import os
import re
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time

LIMIT_S = 60


def greeting(command, path):
    t0 = time.perf_counter()
    p = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < LIMIT_S and p.poll() is None:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(path)
                    s.settimeout(LIMIT_S)
                    if b"QMP" in s.recv(4096):
                        return time.perf_counter() - t0
                    return None
            except OSError:
                time.sleep(0.002)
        return None
    finally:
        p.kill()
        p.wait()


def stream(command, which, matches):
    t0 = time.perf_counter()
    p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    watched = p.stderr if which == "stderr" else p.stdout
    other = p.stdout if which == "stderr" else p.stderr
    buffer = b""
    try:
        while time.perf_counter() - t0 < LIMIT_S:
            ready, _, _ = select.select([watched, other], [], [], 0.5)
            for f in ready:
                data = os.read(f.fileno(), 65536)
                if f is not watched:
                    continue        # drained so the command never blocks on a full pipe
                if not data:
                    return None
                buffer += data
                if matches(buffer):
                    return time.perf_counter() - t0
            if p.poll() is not None and not ready:
                return None
        return None
    finally:
        p.kill()
        p.wait()


def main():
    runs, milestone, arg = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    command = sys.argv[sys.argv.index("--") + 1:]
    times = []
    for _ in range(runs):
        if milestone == "greeting":
            path = os.path.join(tempfile.mkdtemp(prefix="orrery-probe-"), "qmp.sock")
            elapsed = greeting([a.replace(arg, path) for a in command], path)
            if os.path.exists(path):
                os.unlink(path)
            os.rmdir(os.path.dirname(path))
        elif milestone == "stderr":
            pattern = re.compile(arg.encode(), re.MULTILINE)
            elapsed = stream(command, "stderr", lambda b: pattern.search(b) is not None)
        else:
            elapsed = stream(command, "stdout", lambda b: arg.encode() in b)
        if elapsed is None:
            print("none")
            return 1
        times.append(elapsed * 1000)
    print("median %.0f min %.0f runs %d" % (statistics.median(times), min(times), runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
