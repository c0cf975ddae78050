# What the apply-*.bats suites share (vgpuctl apply / export, vgpud-apply(5)): each suite runs these
# checks on its own simulated host with its own files. Load after helpers and vgpud.
#
# The suite sets APPLY_CONF (vgpud.conf's text) and calls apply_setup / apply_teardown.
# shellcheck disable=SC2154 # status and output are set by bats's run

apply_setup() {
        bus_start_with_policy
        apply_start_fresh
}

# vgpud on a new, empty state directory (a fresh host once the simulator is rebooted).
apply_start_fresh() {
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        vgpud_config >/dev/null <<<"${APPLY_CONF:-}"
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

apply_teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        vgpu-sim ctl fail clear || true
        vgpu-sim ctl latency all 0 || true
        vgpu-sim ctl reboot
        rm -f /etc/driverctl.d/pci-* /etc/mdevctl.d/*/* 2>/dev/null || true
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

# What the host has, as export writes it without its comments: what the checks compare.
host_state() { vgpuctl export --config host | sed -e 's/ *#.*//' -e '/^$/d'; }
n_instances() { vgpuctl --json list --all | jq length; }

# A file in the test's directory from stdin; prints its path.
apply_file() {
        local f=$BATS_TEST_TMPDIR/$1
        cat >"$f"
        echo "$f"
}

# The dry run shows the plan and changes nothing.
check_dry_run() {
        local file=$1 before
        shift
        before=$(host_state)
        run vgpuctl apply -f "$file" --dry-run "$@"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Plan for $file"* ]]
        [[ $output == *"dry run: nothing was changed"* ]]
        [ "$(host_state)" = "$before" ]
}

# apply makes it (persistent, autostart), the second apply changes nothing and says so.
check_apply_twice() {
        local file=$1 n=$2
        shift 2
        run vgpuctl apply -f "$file" "$@"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Applied $file"* ]]
        [ "$(vgpuctl --json list | jq length)" -eq "$n" ]
        vgpuctl --json list --all | jq -e 'all(.persistent and .autostart)'
        local after
        after=$(host_state)
        run vgpuctl apply -f "$file" "$@"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == "Nothing to change: the host already matches $file"*"; $n instance(s) kept." ]]
        run vgpuctl --json apply -f "$file" "$@"
        [ "$status" -eq 0 ]
        [ "$(jq -r .changed <<<"$output")" = false ]
        [ "$(jq -r .changes <<<"$output")" = 0 ]
        [ "$(host_state)" = "$after" ]
}

# check_rollback FILE STEP: the apply fails at a step (the faults are set by the caller), the error names
# it, and the host is as it was.
check_rollback() {
        local file=$1 step=$2 before=$3
        run vgpuctl apply -f "$file"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"failed ($step"* ]]
        [[ $output == *"Rolled back: "*" step(s) undone, the host is as it was."* ]]
        vgpu-sim ctl fail clear
        [ "$(host_state)" = "$before" ]
}

# Two applies at once: the second is refused as a whole while the first (slowed down) runs; the first
# completes.
check_race() {
        local file=$1 other=$2
        vgpu-sim ctl latency all 300
        vgpuctl apply -f "$file" >"$BATS_TEST_TMPDIR/first.out" 2>&1 &
        local first=$!
        wait_for 20 grep -q "Apply: " "$VGPUD_LOG"
        local before
        run vgpuctl apply -f "$other"
        echo "$output"
        [ "$status" -eq 4 ]
        [[ $output == *"Another apply is in progress"* ]]
        vgpu-sim ctl latency all 0
        wait "$first"
        cat "$BATS_TEST_TMPDIR/first.out"
        grep -q "Applied $file" "$BATS_TEST_TMPDIR/first.out"
}

# An instance a running domain holds: the apply that has no place for it is refused as a whole, naming
# it; --force destroys it.
check_force() {
        local file=$1 uuid=$2 before
        busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager AcquireForDomain 'sasa{sv}' vm1 1 \
                "$uuid" 0 >/dev/null
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$uuid\") | .owner")" = vm1 ]
        before=$(host_state)
        run vgpuctl apply -f "$file"
        echo "$output"
        [ "$status" -eq 4 ]
        [[ $output == *"$uuid"*"domain vm1"*"--force"* ]]
        [ "$(host_state)" = "$before" ]
        run vgpuctl apply -f "$file" --dry-run --force
        [ "$status" -eq 0 ]
        [[ $output == *"destroy $uuid"*"assigned to vm1, forced"* ]]
        run vgpuctl apply -f "$file" --force
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"destroy $uuid"* ]]
        run vgpuctl show "$uuid"
        [ "$status" -eq 3 ]
}

# check_round_trip FORMAT: export this host, power on a fresh one (the same profile, vgpud with nothing),
# apply the export there: the same vGPUs.
check_round_trip() {
        local format=$1 exported=$BATS_TEST_TMPDIR/exported-$1.yaml before
        vgpuctl export --format "$format" >"$exported"
        cat "$exported"
        before=$(host_state)
        vgpud_stop
        vgpu-sim ctl reboot
        apply_start_fresh
        [ "$(n_instances)" -eq 0 ]
        [ "$(host_state)" != "$before" ]
        run vgpuctl apply -f "$exported"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(host_state)" = "$before" ]
        run vgpuctl apply -f "$exported"
        [[ $output == "Nothing to change"* ]]
}
