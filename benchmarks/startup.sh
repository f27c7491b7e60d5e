#!/usr/bin/env bash
# Start-up benchmark: time from running ./orrery to "all bundles started" (the launcher's
# -Dorrery.startup.report line, ready_ms) and to the process' exit when stdin is empty
# (Gogo reads EOF and stops the container), over several runs per JVM configuration.
#
#   benchmarks/startup.sh [runs]        default 10 runs per configuration
#   ORRERY_BENCH_CONFIGS='name=flags;name=flags'   configurations to compare
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../cnf/scripts/common.sh"

runs=${1:-10}
aot_cache=$(mktemp -d)/orrery.aot
default_configs="default=;no-aot=NO_AOT;serial-gc=NO_AOT -XX:+UseSerialGC;no-cds=NO_AOT -Xshare:off;aot-cache=NO_AOT -XX:AOTCache=$aot_cache"
configs=${ORRERY_BENCH_CONFIGS:-$default_configs}

orrery_select_jdk
orrery_build_if_stale   # build once up front so no run pays for it
export ORRERY_NO_BUILD=1

# The AOT cache needs one training run that records what start-up loads.
if [[ $configs == *AOTCache=* ]]; then
    ORRERY_NO_AOT=1 ORRERY_JAVA_OPTS="-XX:AOTCacheOutput=$aot_cache -Xlog:aot=off -Xlog:cds=off" timeout 120 "$ORRERY_ROOT/orrery" </dev/null >/dev/null 2>&1 \
        || orrery_die "the AOT training run failed"
fi

# Prints "median min" of the numbers on stdin.
median_min() {
    sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2); print m, v[1] }'
}

printf '%-12s %8s %8s %8s %8s   %s\n' config ready_med ready_min exit_med exit_min "JVM flags"
IFS=';' read -ra entries <<<"$configs"
for entry in "${entries[@]}"; do
    name=${entry%%=*}
    flags=${entry#*=}
    ready=()
    total=()
    for ((i = 0; i < runs; i++)); do
        start=${EPOCHREALTIME/[.,]/}
        # A run that hangs must not hang the benchmark: it counts as a failure.
        # "NO_AOT" in a configuration turns off ./orrery's own AOT cache (the default uses it)
        no_aot=""; [[ $flags == *NO_AOT* ]] && no_aot=1
        report=$(ORRERY_NO_AOT=$no_aot ORRERY_JAVA_OPTS="-Dorrery.startup.report=true ${flags//NO_AOT/}" timeout 60 "$ORRERY_ROOT/orrery" </dev/null 2>&1 >/dev/null | grep 'orrery: startup:' || true)
        end=${EPOCHREALTIME/[.,]/}
        [[ $report =~ ready_ms=([0-9]+) ]] || orrery_die "no start-up report from configuration $name: $report"
        ready+=("${BASH_REMATCH[1]}")
        total+=($(((end - start) / 1000)))
    done
    read -r ready_median ready_min < <(printf '%s\n' "${ready[@]}" | median_min)
    read -r total_median total_min < <(printf '%s\n' "${total[@]}" | median_min)
    printf '%-12s %8s %8s %8s %8s   %s\n' "$name" "$ready_median" "$ready_min" "$total_median" "$total_min" "${flags:-(none)}"
done
echo "(milliseconds over $runs runs; ready = all bundles started and components counted, exit = back at the shell prompt)"
rm -rf "$(dirname "$aot_cache")"
