#!/usr/bin/env bash
# Block throughput: sequential write (ending with a flush) and sequential read of a large file through a
# raw block node (the BlockBackend API from Java, 1 MiB requests, 4 in flight), beside the host's own
# figures for the same file with dd (write: conv=fdatasync; read: 1 MiB blocks). When run as root the page
# cache is dropped before each read, so reads come from the disk for both.
#
#   benchmarks/block-throughput.sh [size-MiB] [dir]      default 512 MiB in $TMPDIR (or /tmp)
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cnf/scripts/common.sh"

size=${1:-512}
dir=${2:-${TMPDIR:-/tmp}}
file=$(mktemp "$dir/orrery-block-bench.XXXXXX")
trap 'rm -f "$file" "$file.cp"' EXIT

orrery_select_jdk
module="$ORRERY_ROOT/backend-bundles/block-backends"
if [[ ! -d $module/target/test-classes || -z ${ORRERY_NO_BUILD:-} ]]; then
    (cd "$ORRERY_ROOT" && mvn -q -B -o install -pl backend-bundles/block-backends -am -DskipTests) >&2
    (cd "$ORRERY_ROOT" && mvn -q -B -o test-compile -pl backend-bundles/block-backends) >&2
fi
(cd "$ORRERY_ROOT" && mvn -q -B -o dependency:build-classpath -pl backend-bundles/block-backends \
    -Dmdep.outputFile="$file.cp" -Dmdep.includeScope=test) >&2
cp="$module/target/test-classes:$module/target/classes:$(cat "$file.cp")"

drop_caches() {
    sync
    if [[ -w /proc/sys/vm/drop_caches ]]; then echo 3 > /proc/sys/vm/drop_caches; fi
}
mbps_of_dd() { # the MB/s figure dd prints, converted to MiB/s
    awk '/copied/ { v = $(NF-1); u = $NF; if (u ~ /^GB/) v *= 1000; else if (u ~ /^kB/) v /= 1000; printf "%.1f\n", v * 1e6 / 1048576 }'
}

host_write=$(dd if=/dev/zero of="$file" bs=1M count="$size" conv=fdatasync 2>&1 | mbps_of_dd)
drop_caches
host_read=$(dd if="$file" of=/dev/null bs=1M 2>&1 | mbps_of_dd)

rm -f "$file"   # both writers start from a fresh file
node_write=$("$JAVA_HOME/bin/java" -cp "$cp" org.orrery.backend.block.internal.BlockThroughput "$file" "$size" write)
drop_caches
node_read=$("$JAVA_HOME/bin/java" -cp "$cp" org.orrery.backend.block.internal.BlockThroughput "$file" "$size" read)

cache_note="page cache dropped before reads"
[[ -w /proc/sys/vm/drop_caches ]] || cache_note="page cache NOT dropped (not root): reads may come from memory"
echo "block throughput, $size MiB file in $dir, 1 MiB requests ($cache_note)"
printf '%-28s %10s %10s\n' "" "write MiB/s" "read MiB/s"
printf '%-28s %10s %10s\n' "host (dd)" "$host_write" "$host_read"
printf '%-28s %10s %10s\n' "block node (BlockBackend)" "$node_write" "$node_read"
