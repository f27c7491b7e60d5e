#!/usr/bin/env bash
# QMP round-trip benchmark: sequential `qom-get /machine type` per second, Orrery's QMP server side by
# side with QEMU 7.2 in the same run, from a Python client and from the Java client (libqmp), plus
# libqmp's in-process transport.
#
# Sessions run on virtual threads (the default); a second Orrery server with platform-thread sessions
# (-Dorrery.qmp.platformThreads=true) shows what the virtual-thread scheduler costs on this host.
# Orrery's side is served by QmpTestServerMain (a test machine with a /machine object, the core
# commands and the QMP server module) until `./orrery -machine virt` exists.
#
# Usage: benchmarks/qmp-bench.sh [N]        (N round trips per measurement, default 20000)
# Env:   JAVA_HOME (Temurin 25), SKIP_BUILD=1 to reuse the last build, QEMU=path to qemu-system-riscv64
set -euo pipefail
N=${1:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
QEMU=${QEMU:-qemu-system-riscv64}
WORK=$(mktemp -d /tmp/qmp-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    JAVA_HOME=$JAVA_HOME mvn -q -B -o install -pl bundles/qmp-server,bundles/qmp-client -am -DskipTests >/dev/null
fi
JAVA_HOME=$JAVA_HOME mvn -q -B -o -f bundles/qmp-client/pom.xml dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp" -Dorrery.root="$ROOT" >/dev/null
CP="bundles/qmp-client/target/classes:bundles/qmp-client/target/test-classes:$(cat "$WORK/cp")"

wait_for() { for _ in $(seq 1 200); do [[ -S "$1" ]] && return 0; sleep 0.05; done; echo "no socket $1" >&2; exit 1; }

# Orrery
"$JAVA" -cp "$CP" org.orrery.qmp.server.internal.QmpTestServerMain "unix:$WORK/orrery.sock,server=on,wait=off" \
    >"$WORK/orrery.log" 2>&1 &
PIDS+=($!)
# the same with platform threads for the sessions (-Dorrery.qmp.platformThreads=true), for comparison
"$JAVA" -Dorrery.qmp.platformThreads=true -cp "$CP" org.orrery.qmp.server.internal.QmpTestServerMain \
    "unix:$WORK/orrery-pt.sock,server=on,wait=off" >"$WORK/orrery-pt.log" 2>&1 &
PIDS+=($!)
# QEMU 7.2, as the acceptance tests start it
"$QEMU" -machine virt -S -nographic -serial null -monitor none -qmp "unix:$WORK/qemu.sock,server=on,wait=off" \
    >"$WORK/qemu.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/orrery.sock"
wait_for "$WORK/qemu.sock"
wait_for "$WORK/orrery-pt.sock"

rate() { sed -n 's/^qom-get\/s //p'; }
py() { python3 benchmarks/qmp_bench.py "$1" "$2" | rate; }
jv() { "$JAVA" -cp "$CP" org.orrery.qmp.client.QmpBenchMain "$1" "$2" | rate; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }

QN=$(( N / 5 < 2000 ? 2000 : N / 5 ))   # QEMU answers ~1000/s: fewer round trips keep the run short
PY_O=$(py "$WORK/orrery.sock" "$N")
PY_Q=$(py "$WORK/qemu.sock" "$QN")
PY_P=$(py "$WORK/orrery-pt.sock" "$N")
JV_O=$(jv "unix:$WORK/orrery.sock" "$N")
JV_Q=$(jv "unix:$WORK/qemu.sock" "$QN")
IN_O=$(jv inprocess "$((N * 5))")

printf '%-34s %12s %12s %8s\n' "qom-get /machine type, sequential" "Orrery" "QEMU 7.2" "ratio"
printf '%-34s %12s %12s %8s\n' "python3 client, unix socket" "$PY_O/s" "$PY_Q/s" "$(ratio "$PY_O" "$PY_Q")"
printf '%-34s %12s %12s %8s\n' "python3, unix, platform threads" "$PY_P/s" "$PY_Q/s" "$(ratio "$PY_P" "$PY_Q")"
printf '%-34s %12s %12s %8s\n' "Java libqmp, unix socket" "$JV_O/s" "$JV_Q/s" "$(ratio "$JV_O" "$JV_Q")"
printf '%-34s %12s %12s %8s\n' "Java libqmp, in-process" "$IN_O/s" "-" "$(ratio "$IN_O" "$PY_Q")"
echo "(in-process ratio is against QEMU's python figure; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
