# Helpers to run vgpud in a bats suite. Load after helpers: load helpers; load vgpud
#
# vgpud_start [ARGS...]: start vgpud on the suite's private bus (bus_start
# first) with its own state, runtime and mdevctl directories, and wait until it
# owns org.vgpud1. vgpud_stop: SIGTERM, and fail unless it exits 0.
# VGPUD (default: vgpud on PATH) names the binary and VGPUD_WRAPPER a command
# it runs under, e.g. VGPUD=tests/chaos/vgpud-nosan VGPUD_WRAPPER="valgrind
# --error-exitcode=99 --leak-check=full" (valgrind.bats does so).
# bus_start_with_policy: a private bus that includes vgpud's D-Bus policy,
# so that non-root callers reach vgpud as they would on a real host.

bus_start_with_policy() {
        BUS_POLICY_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/policy.XXXXXX")
        cp "$VGPU_TEST_SRCDIR/conf/org.vgpud1.conf" "$BUS_POLICY_DIR/"
        export BUS_POLICY_DIR
        bus_start
        # Non-root callers must be able to reach the socket: let them through bats' private temp dirs.
        local d=$BUS_DIR
        while [[ $d != / && $d != /tmp ]]; do
                chmod o+x "$d"
                d=$(dirname "$d")
        done
}

vgpud_wait_name() {
        local tries=100
        [[ -n ${VGPUD_WRAPPER:-} ]] && tries=600 # a wrapper (valgrind) makes start-up slower
        for _ in $(seq "$tries"); do
                if busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                        NameHasOwner s org.vgpud1 2>/dev/null | grep -q true; then
                        return 0
                fi
                kill -0 "$VGPUD_PID" 2>/dev/null || { echo "vgpud exited:"; cat "$VGPUD_LOG"; return 1; }
                sleep 0.1
        done
        echo "vgpud did not take org.vgpud1 in $((tries / 10)) s:"
        cat "$VGPUD_LOG"
        return 1
}

vgpud_start() {
        : "${VGPUD_DIR:=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/vgpud.XXXXXX")}"
        mkdir -p "$VGPUD_DIR/state" "$VGPUD_DIR/run" "$VGPUD_DIR/mdevctl.d"
        VGPUD_LOG=$VGPUD_DIR/vgpud.log
        # shellcheck disable=SC2086 # the wrapper is a command line
        # 3>&-: a vgpud left running by a failed test must not hold bats's output pipe open (bats would hang).
        ${VGPUD_WRAPPER:-} "${VGPUD:-vgpud}" --state-dir "$VGPUD_DIR/state" --runtime-dir "$VGPUD_DIR/run" --log-level debug "$@" \
                >>"$VGPUD_LOG" 2>&1 3>&- &
        VGPUD_PID=$!
        export VGPUD_DIR VGPUD_LOG VGPUD_PID
        vgpud_wait_name
}

vgpud_stop() {
        [[ -n ${VGPUD_PID:-} ]] || return 0
        local rc=0
        kill -TERM "$VGPUD_PID" 2>/dev/null || true
        wait "$VGPUD_PID" || rc=$?
        unset VGPUD_PID
        if ((rc != 0)); then
                echo "vgpud exited with status $rc:"
                cat "$VGPUD_LOG"
                return 1
        fi
}

# Run a command as an unprivileged user (nobody) with the given supplementary groups (comma list or "").
as_user() {
        local groups=$1
        shift
        if [[ -n $groups ]]; then
                setpriv --reuid=65534 --regid=65534 --groups="$groups" -- "$@"
        else
                setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
        fi
}

vgpud_restart() {
        vgpud_stop
        vgpud_start "$@"
}

# A property of an instance: instance_prop UUID NAME -> the value as busctl prints it, without the type.
instance_prop() {
        local path
        path=$(busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager GetInstance s "$1" | cut -d'"' -f2)
        busctl --system get-property org.vgpud1 "$path" org.vgpud1.Instance "$2" | cut -d' ' -f2-
}

# The org.vgpud1.* interface blocks of an object's introspection, as sd-bus prints them.
vgpud_interfaces() {
        busctl --system introspect --xml-interface org.vgpud1 "$1" | awk '/<interface name="org\.vgpud1\./,/<\/interface>/'
}

# Write a vgpud.conf into the suite's directory (stdin: its text) and print its path.
vgpud_config() {
        : "${VGPUD_DIR:=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/vgpud.XXXXXX")}"
        export VGPUD_DIR
        cat >"$VGPUD_DIR/vgpud.conf"
        echo "$VGPUD_DIR/vgpud.conf"
}

# wait_for SECONDS COMMAND...: run COMMAND until it succeeds, for at most SECONDS (by the clock, not
# by tries: under TCG one try can take seconds).
wait_for() {
        local end=$((SECONDS + $1))
        shift
        until "$@"; do
                ((SECONDS < end)) || return 1
                sleep 0.1
        done
}
