# Helpers for the vgpu-sim suites. Load with: load ../sim/sim-helpers (from
# tests/sim, `load sim-helpers`).
#
# Every attribute is written the way an administrator would, with a plain
# `echo` in a shell, and the errno is read back from the shell's message.

# sysfs_write VALUE FILE: echo VALUE > FILE in a child shell (output and status in $output/$status)
sysfs_write() {
        run bash -c 'echo "$1" > "$2"' _ "$1" "$2"
}

# sysfs_write_n VALUE FILE: the same without the trailing newline (echo -n)
sysfs_write_n() {
        run bash -c 'echo -n "$1" > "$2"' _ "$1" "$2"
}

# expect_errno TEXT: the last sysfs_write failed with the strerror() text TEXT
expect_errno() {
        # shellcheck disable=SC2154 # status and output are set by bats' run
        if [[ $status -eq 0 || $output != *"$1"* ]]; then
                echo "expected failure \"$1\", got status $status: $output" >&2
                return 1
        fi
}

expect_ok() {
        if [[ $status -ne 0 ]]; then
                echo "expected success, got status $status: $output" >&2
                return 1
        fi
}

# Back to the profile's power-on state with no injected faults: each test starts clean.
sim_reset() {
        vgpu-sim ctl fail clear
        vgpu-sim ctl reboot
}

# monitor_start: udevadm monitor --udev --property into $BATS_TEST_TMPDIR/events
monitor_start() {
        MONITOR_LOG=$BATS_TEST_TMPDIR/events
        udevadm monitor --udev --property >"$MONITOR_LOG" 2>&1 3>&- &
        MONITOR_PID=$!
        for _ in $(seq 100); do
                grep -q 'UDEV - the event' "$MONITOR_LOG" 2>/dev/null && break
                sleep 0.05
        done
        sleep 0.2 # the header is printed just before the socket is bound
}

# monitor_wait PATTERN: until an event line matching PATTERN (grep -E) has arrived (5 s at most)
monitor_wait() {
        for _ in $(seq 100); do
                grep -qE "$1" "$MONITOR_LOG" && return 0
                sleep 0.05
        done
        echo "no event matching $1 in:" >&2
        cat "$MONITOR_LOG" >&2
        return 1
}

monitor_stop() {
        [[ -n ${MONITOR_PID:-} ]] && kill "$MONITOR_PID" 2>/dev/null
        wait "$MONITOR_PID" 2>/dev/null || true
        unset MONITOR_PID
}

# mdev_parent_type PARENT TYPE: the type directory
type_dir() {
        echo "/sys/class/mdev_bus/$1/mdev_supported_types/$2"
}

available() {
        cat "$(type_dir "$1" "$2")/available_instances"
}
