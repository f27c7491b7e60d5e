#!/usr/bin/env bash
# D-Bus front-end benchmark: sequential QomGet("/machine", "type") calls per second through a private
# dbus-daemon, from a Java client (dbus-java's high-level API) and from Debian's python3-dbus.
# Goal: >= 4,000 calls/s from python3-dbus.
#
#   benchmarks/dbus-bench.sh [calls]      default 20000 calls per client
#
# Until the distribution boots a virt machine, the server is the front-end on a small machine (a board at
# /machine and nothing else) started from bundles/dbus's test classes (BenchServer).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cnf/scripts/common.sh"

calls=${1:-20000}
name=org.orrery.Bench
orrery_select_jdk
orrery_ensure_maven
command -v dbus-daemon >/dev/null || orrery_die "dbus-daemon is missing (apt-get install dbus-daemon)"
/usr/bin/python3 -c 'import dbus' 2>/dev/null || orrery_die "python3-dbus is missing (apt-get install python3-dbus)"

module="$ORRERY_ROOT/bundles/dbus"
if [[ ! -d $module/target/test-classes || -n $(find "$module/src" "$module/pom.xml" -newer "$module/target/test-classes" -type f | head -1) ]]; then
    (cd "$ORRERY_ROOT" && mvn -q -B install -pl bundles/dbus -am -DskipTests >&2) || orrery_die "build failed"
    (cd "$ORRERY_ROOT" && mvn -q -B test-compile -pl bundles/dbus >&2) || orrery_die "test build failed"
fi
cpfile=$(mktemp)
(cd "$module" && mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" >&2) || orrery_die "cannot compute the class path"
cp="$module/target/test-classes:$module/target/classes:$(cat "$cpfile")"
rm -f "$cpfile"

work=$(mktemp -d)
daemon_pid= server_pid=
cleanup() {
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
    [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

dbus-daemon --session --print-address --nofork --nopidfile >"$work/addr" 2>/dev/null &
daemon_pid=$!
for _ in $(seq 50); do [[ -s $work/addr ]] && break; sleep 0.1; done
address=$(head -1 "$work/addr")
[[ -n $address ]] || orrery_die "dbus-daemon did not start"

"$JAVA_HOME/bin/java" -cp "$cp" -Djava.util.logging.config.file=/dev/null org.orrery.dbus.internal.BenchServer "$address" "$name" >"$work/server" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q ready "$work/server" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/server" || { cat "$work/server" >&2; orrery_die "the front-end did not start"; }

echo "D-Bus front-end: sequential QomGet(\"/machine\", \"type\") through a private dbus-daemon, $calls calls per client"
/usr/bin/python3 -c 'import dbus; print("python3-dbus", dbus.__version__)' | tr '\n' ' '
echo -n "(Debian):      "
DBUS_SESSION_BUS_ADDRESS=$address /usr/bin/python3 "$module/src/test/resources/org/orrery/dbus/internal/client.py" "$name" bench "$calls"
echo -n "Java (dbus-java 5 high-level API):  "
"$JAVA_HOME/bin/java" -cp "$cp" org.orrery.dbus.internal.JavaBenchClient "$address" "$name" "$calls" 2>/dev/null
echo -n "reference, the daemon's own GetId from python3-dbus: "
DBUS_SESSION_BUS_ADDRESS=$address /usr/bin/python3 - "$calls" <<'PY'
import sys, time, dbus
n = int(sys.argv[1]); b = dbus.SessionBus(private=True)
d = dbus.Interface(b.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus", introspect=False), "org.freedesktop.DBus")
d.GetId(); t = time.perf_counter()
for _ in range(n): d.GetId()
dt = time.perf_counter() - t; print("%d calls in %.3f s: %.0f calls/s" % (n, dt, n / dt))
PY
