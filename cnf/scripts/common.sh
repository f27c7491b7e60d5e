# Shell functions shared by ./orrery, ./run-tests and benchmarks/startup.sh. Source it; do
# not run it. Every function prints one clear line and exits 1 when it cannot do its job.

# Found with builtins when the path this file was sourced by is plain (./orrery does that on every start, and
# each subshell or command costs milliseconds on a small host), else by cd and pwd.
orrery_common=${BASH_SOURCE[0]}
[[ $orrery_common == /* ]] || orrery_common=$PWD/${orrery_common#./}
if [[ $orrery_common == */cnf/scripts/common.sh && $orrery_common != */./* && $orrery_common != */../* ]]; then
    ORRERY_ROOT=${orrery_common%/cnf/scripts/common.sh}
else
    ORRERY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fi
unset orrery_common
# ORRERY_DIST may name another copy of the distribution to run (with ORRERY_NO_BUILD=1; tests do).
ORRERY_DIST="${ORRERY_DIST:-$ORRERY_ROOT/bundles/distribution/target/orrery}"
# Written by every build of the distribution module; sources newer than it mean "stale".
ORRERY_BUILD_STAMP="$ORRERY_DIST/BUILD"
# HotSpot compiler directives every Orrery JVM gets (which code C2 compiles; see orrery_jvm_options)
ORRERY_JIT_DIRECTIVES="$ORRERY_ROOT/cnf/scripts/jit-directives.json"
ORRERY_PREFERRED_JDK=/usr/lib/jvm/temurin-25-jdk-amd64
ORRERY_MIN_JAVA=25
# The guest the AOT cache's training run boots, when installed (package u-boot-qemu; see orrery_aot_option)
ORRERY_TRAINING_GUEST=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin

orrery_die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

# Sets ORRERY_JAVA_FEATURE to the feature release of the JDK at $1 (e.g. 25), read from its release file
# without starting a JVM; empty if $1 is not a JDK. Builtins only, and no subshell to capture a result:
# ./orrery runs this on every start.
orrery_java_feature_version() {
    local release="$1/release" line
    ORRERY_JAVA_FEATURE=""
    [[ -x $1/bin/java && -r $release ]] || return 0
    while IFS= read -r line; do
        if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then
            ORRERY_JAVA_FEATURE=${BASH_REMATCH[1]}
            return 0
        fi
    done <"$release"
    return 0
}

# Exports JAVA_HOME: the caller's JAVA_HOME when it is a JDK >= 25, else Temurin 25.
orrery_select_jdk() {
    if [[ -n ${JAVA_HOME:-} ]]; then
        orrery_java_feature_version "$JAVA_HOME"
        if [[ -n $ORRERY_JAVA_FEATURE && $ORRERY_JAVA_FEATURE -ge $ORRERY_MIN_JAVA ]]; then
            export JAVA_HOME
            return
        fi
    fi
    orrery_java_feature_version "$ORRERY_PREFERRED_JDK"
    if [[ -n $ORRERY_JAVA_FEATURE && $ORRERY_JAVA_FEATURE -ge $ORRERY_MIN_JAVA ]]; then
        export JAVA_HOME="$ORRERY_PREFERRED_JDK"
        return
    fi
    orrery_die "needs a JDK $ORRERY_MIN_JAVA or later: install Temurin 25 at $ORRERY_PREFERRED_JDK or set JAVA_HOME to one"
}

# Installs Maven with apt-get when it is missing and we are root.
orrery_ensure_maven() {
    command -v mvn >/dev/null && return
    [[ $(id -u) -eq 0 ]] || orrery_die "Maven (mvn) is missing; install it (apt-get install maven) or run as root"
    echo "$(basename "$0"): installing Maven" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || orrery_die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >&2 || orrery_die "apt-get install maven failed"
}

# Prints the first build input newer than the distribution's stamp (nothing when fresh).
# Only what feeds the distribution counts: tests and scripts do not.
orrery_first_stale_input() {
    [[ -f $ORRERY_BUILD_STAMP ]] || { echo "$ORRERY_BUILD_STAMP"; return; }
    find "$ORRERY_ROOT" \
        \( -name target -o -name .git -o -path "$ORRERY_ROOT/integration-tests" -o -path "$ORRERY_ROOT/guests" -o -path "$ORRERY_ROOT/examples" \
           -o -path "$ORRERY_ROOT/benchmarks" -o -path "$ORRERY_ROOT/cnf/scripts" -o -path '*/src/test' \) -prune \
        -o -newer "$ORRERY_BUILD_STAMP" -type f \
           \( -name pom.xml -o -name '*.bnd' -o -path '*/src/*' -o -path "$ORRERY_ROOT/cnf/*" -o -path "$ORRERY_ROOT/.mvn/*" \) \
        -print -quit
}

# Builds the distribution (and the modules it needs) when it is missing or stale: offline
# first so it never waits for the network, online only when an artifact is not cached yet.
orrery_build_if_stale() {
    local stale log
    stale=$(orrery_first_stale_input)
    [[ -z $stale ]] && return
    orrery_ensure_maven
    echo "$(basename "$0"): building the distribution (${stale#"$ORRERY_ROOT"/} changed)" >&2
    log=$(mktemp)
    if mvn -q -B -o -f "$ORRERY_ROOT/pom.xml" install -DskipTests -pl bundles/distribution -am >"$log" 2>&1; then
        rm -f "$log"
        return
    fi
    if grep -qiE 'offline|has not been downloaded|cached in the local repository' "$log"; then
        rm -f "$log"
        mvn -q -B -f "$ORRERY_ROOT/pom.xml" install -DskipTests -pl bundles/distribution -am >&2 \
            || orrery_die "the build failed (output above)"
        return
    fi
    cat "$log" >&2
    rm -f "$log"
    orrery_die "the build failed (output above)"
}

# The packages listed in $1 (default test-packages.txt) that are not installed.
orrery_missing_test_packages() {
    local wanted installed list="${1:-$ORRERY_ROOT/cnf/scripts/test-packages.txt}"
    wanted=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | awk '{print $1}')
    # shellcheck disable=SC2086 # one word per package
    installed=$(dpkg-query -W -f='${Package} ${Status}\n' $wanted 2>/dev/null | awk '$4 == "installed" {print $1}')
    comm -23 <(echo "$wanted" | sort) <(echo "$installed" | sort)
}

# Installs the missing packages of list $1 (default: the test packages), running apt-get update once
# and only when something is missing.
orrery_install_test_packages() {
    local missing list="${1:-$ORRERY_ROOT/cnf/scripts/test-packages.txt}" checked
    # A check that found everything is remembered until dpkg's database or the list changes (saves the
    # dpkg-query on every start of ./orrery).
    checked="$ORRERY_DIST/.packages-checked-${list##*/}"
    [[ -f $checked && $checked -nt /var/lib/dpkg/status && $checked -nt $list ]] && return
    command -v dpkg-query >/dev/null || { echo "$(basename "$0"): not Debian; install the packages in ${list#"$ORRERY_ROOT"/} yourself" >&2; return; }
    missing=$(orrery_missing_test_packages "$list")
    if [[ -z $missing ]]; then
        [[ -d $ORRERY_DIST ]] && : >"$checked" 2>/dev/null
        return 0
    fi
    if [[ $(id -u) -ne 0 ]]; then
        echo "$(basename "$0"): warning: missing Debian packages (what needs them will fail): $(echo $missing)" >&2
        return
    fi
    echo "$(basename "$0"): installing $(echo $missing)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || orrery_die "apt-get update failed"
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing || orrery_die "apt-get install failed"
}

# The JVM options of every Orrery run, in one place: ./orrery and the AOT training run (whose cache
# must match them) take them from here. Sets the array ORRERY_JVM_OPTIONS.
orrery_jvm_options() {
    ORRERY_JVM_OPTIONS=(
        # Felix reads a static field through sun.misc.Unsafe; allow it so JDK 25 does not warn.
        --sun-misc-unsafe-memory-access=allow
        # guest RAM: mmap through the FFM linker, and harts reach it by native address (restricted methods)
        --enable-native-access=ALL-UNNAMED
        # HotSpot compiles every path of a method instead of betting on the paths seen so far: the CPU
        # interpreter's big dispatch switch and translated guest code otherwise deoptimize and recompile each
        # time the guest starts using a new kind of instruction (a boot does that for a while)
        -XX:PerMethodTrapLimit=0
        # no on-stack replacement: HotSpot would compile the CPU interpreter's loop a second time, for the one
        # call still running in it, and that compile held the only C2 thread 0.2-0.37 s while the guest started
        # (its calls, and translated regions', end every few thousand guest instructions, so the ordinary
        # compile serves them at the next call)
        -XX:-UseOnStackReplacement
        # translated loops reach C2 sooner: a region holding a loop is called once per few thousand guest
        # instructions, and HotSpot waited for 600 calls in its profiling tier (Tier4MinInvocationThreshold),
        # and while C2's queue was long it first compiled new methods at the tier that does not profile
        # (Tier3DelayOn), where they sat until the queue emptied: a kernel of the CPU benchmark reached its
        # steady speed only after some 20 of its 30 rounds (see ARCHITECTURE.md, "Loops reach C2 sooner")
        -XX:Tier4MinInvocationThreshold=100 -XX:Tier3DelayOn=100
        # core reflection (SCR calling components' activate and bind methods, Gogo, D-Bus) through the JVM's
        # native accessors: the default spins method-handle classes for each method on its first call, ~65
        # per start that the AOT cache cannot keep (they belong to bundles' classes)
        -Djdk.reflect.useNativeAccessorOnly=true
        # C2 only for what runs the guest; the control plane (JDK, Felix, Jackson, front-ends) stays on C1,
        # so a small host's one C2 thread is not busy with start-up code while the guest warms up
        # (jit-directives.json says which code). HotSpot announces a directives file on its own output,
        # which is the guest's console here: the VM's own output goes to stderr and is off unless asked
        # for (ORRERY_JAVA_OPTS=-XX:+DisplayVMOutput: -XX:+PrintCompilation and the like, thread dumps).
        -XX:+UnlockDiagnosticVMOptions -XX:CompilerDirectivesFile="$ORRERY_JIT_DIRECTIVES"
        -XX:+DisplayVMOutputToStderr -XX:-DisplayVMOutput
        # the JVM's own warnings (unified logging writes them to stdout by default) go to stderr as well
        -Xlog:disable -Xlog:all=warning:stderr
    )
    # Transparent huge pages for the Java heap and the code cache where the host offers them on request: on a
    # virtual host that takes memory back between uses, each first touch of a 4 KiB page costs ~11 us (measured
    # on a Firecracker vCPU), and a start touches ~70 MB; with 2 MiB pages the QMP greeting came ~11% sooner.
    # Asked only where the kernel would grant it, so the JVM has nothing to warn about.
    local thp=""
    { read -r thp < /sys/kernel/mm/transparent_hugepage/enabled; } 2>/dev/null || true
    [[ $thp == *"[always]"* || $thp == *"[madvise]"* ]] && ORRERY_JVM_OPTIONS+=(-XX:+UseTransparentHugePages)
    # glibc's malloc keeps the memory HotSpot's compilers free (their arenas: tens of megabytes for a big C2
    # compile) for the next compile instead of unmapping it and faulting it in again: blocks under 32 MiB come
    # from its heaps, which it trims only past 256 MiB free. Not where the caller set tunables of its own.
    [[ -n ${GLIBC_TUNABLES:-} ]] || export GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=16777216
    return 0
}

# True when the arguments only ask for -version or -help: no container starts, so the JVM starts faster
# without mapping the AOT cache.
orrery_answers_without_container() {
    local arg
    for arg in "$@"; do
        case $arg in
            -version | --version | -h | --h | -help | --help) return 0 ;;
        esac
    done
    return 1
}

# The JDK's ahead-of-time cache for the distribution (classes loaded and linked, profiles), made for the
# jars it was trained on, the JVM options and the JIT directives: JDK 25.0.3 may silently use a stale cache,
# so a changed jar means a new cache. What it was made from (the jars' and the training guest's sizes, times
# and inodes, the JDK, the options, the directives, the JDK's release file) is kept beside it in
# aot/orrery.aot.inputs and compared as text on every start, read with builtins (bash's loadable stat where
# installed, else one `ls`; a checksum of the same text cost a handful of subshells and commands, and `ls`
# alone 12-30 ms to start, on a small host). Made once
# by a training run that does what a real start does (the launcher's AotTraining: a machine built, a QMP
# session, the guest running for a moment, quit), with the bare container as the fallback when no machine
# can be built; the cache is moved into place before its inputs file, so a run that reads the new inputs
# finds the new cache (one that reads the old inputs trains again). The guest is Debian's U-Boot when
# installed (a real boot's code for the engines' profiles; without it OpenSBI finds no next stage and traps).
# Needs orrery_jvm_options. Sets ORRERY_AOT_OPTION to the option to use, or to nothing when unavailable.
# ORRERY_NO_AOT=1 turns it off.
orrery_aot_option() {
    ORRERY_AOT_OPTION=""
    [[ -z ${ORRERY_NO_AOT:-} && ${ORRERY_JAVA_OPTS:-} != *AOTCache* ]] || return 0
    local cache="$ORRERY_DIST/aot/orrery.aot" listing="" directives="" release="" recorded="" inputs tmp work file
    if enable -f /usr/lib/bash/stat stat 2>/dev/null; then
        # bash's loadable stat (package bash-builtins): no command to start; the change time also catches a jar
        # copied over another with its old modification time kept (cp -p)
        local -A st
        for file in "$ORRERY_DIST"/lib/* "$ORRERY_DIST"/system/* "$ORRERY_DIST"/bundles/* "$ORRERY_TRAINING_GUEST"; do
            [[ -e $file ]] && stat -A st "$file" 2>/dev/null || continue
            listing+="${st[size]} ${st[mtime]} ${st[ctime]} ${st[inode]} ${file#"$ORRERY_DIST"/}"$'\n'
        done
        enable -d stat 2>/dev/null || true
    else
        listing=$(cd "$ORRERY_DIST" && ls -l --time-style=+%s lib system bundles "$ORRERY_TRAINING_GUEST" 2>/dev/null) || true
    fi
    { IFS= read -r -d '' directives <"$ORRERY_JIT_DIRECTIVES"; } 2>/dev/null || true
    { IFS= read -r -d '' release <"$JAVA_HOME/release"; } 2>/dev/null || true
    inputs="$listing
$JAVA_HOME ${ORRERY_JVM_OPTIONS[*]}
$directives
$release"
    [[ -f $cache ]] && { { IFS= read -r -d '' recorded <"$cache.inputs"; } 2>/dev/null || true; }
    if [[ ! -f $cache || $recorded != "$inputs" ]]; then
        mkdir -p "$ORRERY_DIST/aot" 2>/dev/null || return 0
        tmp="$cache.$$.tmp"
        work=$(mktemp -d)
        local guest=()
        [[ -f $ORRERY_TRAINING_GUEST ]] && guest=(-kernel "$ORRERY_TRAINING_GUEST")
        if orrery_aot_train "$tmp" -Dorrery.aot.training="$work/qmp.sock" -machine virt -nographic -S "${guest[@]}" \
                -qmp "unix:$work/qmp.sock,server=on,wait=off" </dev/null \
           || echo 'lb' | orrery_aot_train "$tmp"; then
            # caches named by a checksum of their inputs, as earlier builds of this script kept them
            find "$ORRERY_DIST/aot" -name 'orrery-*.aot' -delete 2>/dev/null || true
            mv -f "$tmp" "$cache" && printf '%s' "$inputs" >"$tmp.inputs" && mv -f "$tmp.inputs" "$cache.inputs" || true
        else
            rm -f "$tmp" "$tmp.config" 2>/dev/null || true
        fi
        rm -rf "$work"
        [[ -f $cache && -f $cache.inputs ]] || return 0
    fi
    ORRERY_AOT_OPTION="-XX:AOTCache=$cache"
}

# One training run writing the AOT cache $1; the remaining arguments are system properties (-D...) and
# then the Orrery command line. Succeeds when the cache was written.
orrery_aot_train() {
    local output=$1 properties=()
    shift
    while [[ ${1:-} == -D* ]]; do properties+=("$1"); shift; done
    rm -f "$output"
    timeout 120 "$JAVA_HOME/bin/java" "${ORRERY_JVM_OPTIONS[@]}" -XX:AOTCacheOutput="$output" "${properties[@]}" \
        -Dorrery.home="$ORRERY_DIST" -cp "$ORRERY_DIST/lib/*" org.orrery.launcher.Main "$@" >/dev/null 2>&1 && [[ -s $output ]]
}
