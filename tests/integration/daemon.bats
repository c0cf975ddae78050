# vgpud's frame on a private bus, no simulated host: the name, the Manager's
# properties, sd_notify, clean shutdown, refusal of a second instance, and
# vgpuctl's handling of a daemon that is not there.
load helpers
load vgpud

setup_file() {
        bus_start_with_policy
        vgpud_start --admin-group users
}

teardown_file() {
        vgpud_stop
        bus_stop
}

@test "vgpud owns org.vgpud1 and serves the Manager" {
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Version
        [ "$status" -eq 0 ]
        [[ $output =~ ^s\ \"[0-9]+\.[0-9]+\.[0-9]+\"$ ]]
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Status AdminGroup DefaultPlacement
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 's "Ready"' ]
        [ "${lines[1]}" = 's "users"' ]
        [ "${lines[2]}" = 's "pack"' ]
}

@test "the root object is an ObjectManager" {
        run busctl --system call org.vgpud1 /org/vgpud1 org.freedesktop.DBus.ObjectManager GetManagedObjects
        [ "$status" -eq 0 ]
        [[ $output == 'a{oa{sa{sv}}}'* ]]
}

@test "reading is open to an unprivileged user" {
        run as_user "" busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Status
        [ "$status" -eq 0 ]
        [ "$output" = 's "Ready"' ]
}

@test "a second vgpud refuses to start and says why" {
        run vgpud --state-dir "$VGPUD_DIR/state" --runtime-dir "$VGPUD_DIR/run"
        [ "$status" -eq 1 ]
        [[ $output == *"Another vgpud already owns org.vgpud1"* ]]
}

@test "vgpud rejects a bad command line" {
        run vgpud --log-level loud
        [ "$status" -eq 1 ]
        [[ $output == *"Invalid log level 'loud'"* ]]
        run vgpud extra
        [ "$status" -eq 1 ]
        [[ $output == *"Unexpected argument 'extra'"* ]]
}

@test "vgpud tells systemd it is ready and exits 0 on SIGTERM" {
        local dir=$BATS_TEST_TMPDIR
        # A notify socket that records what vgpud sends.
        "$VGPU_TEST_BUILDDIR/tests/helpers/notify-recv" "$dir/notify" 10 >"$dir/notified" &
        local listener=$!
        for _ in $(seq 50); do [ -S "$dir/notify" ] && break; sleep 0.1; done
        # A second bus so that this vgpud does not collide with the suite's.
        local saved=$DBUS_SYSTEM_BUS_ADDRESS
        dbus-daemon --config-file="$BUS_DIR/bus.conf" --address="unix:path=$dir/bus" --fork --nopidfile \
                --print-pid=4 4>"$dir/buspid"
        DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus" NOTIFY_SOCKET="$dir/notify" \
                vgpud --state-dir "$dir" --runtime-dir "$dir" >"$dir/log" 2>&1 &
        local pid=$!
        for _ in $(seq 100); do grep -q READY=1 "$dir/notified" && break; sleep 0.1; done
        kill -TERM "$pid"
        local rc=0
        wait "$pid" || rc=$?
        kill "$(cat "$dir/buspid")"
        wait "$listener" || true
        export DBUS_SYSTEM_BUS_ADDRESS=$saved
        [ "$rc" -eq 0 ]
        grep -q "READY=1" "$dir/notified"
        grep -q "STATUS=Ready" "$dir/notified"
        grep -q "STOPPING=1" "$dir/notified"
        grep -q "Received Terminated, shutting down" "$dir/log"
}

@test "vgpuctl without a reachable bus exits 6 and says what to check" {
        DBUS_SYSTEM_BUS_ADDRESS=unix:path=$BATS_TEST_TMPDIR/none run vgpuctl list
        [ "$status" -eq 6 ]
        [[ $output == *"cannot connect to the system bus"* ]]
}

@test "vgpuctl with no vgpud on the bus exits 6" {
        local dir=$BATS_TEST_TMPDIR
        dbus-daemon --config-file="$BUS_DIR/bus.conf" --address="unix:path=$dir/bus" --fork --nopidfile \
                --print-pid=4 4>"$dir/buspid"
        DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus" run vgpuctl gpus
        kill "$(cat "$dir/buspid")"
        [ "$status" -eq 6 ]
        [[ $output == *"Is vgpud running?"* ]]
}

@test "vgpuctl usage errors exit 2" {
        run vgpuctl
        [ "$status" -eq 2 ]
        [[ $output == *"missing command"* ]]
        run vgpuctl frobnicate
        [ "$status" -eq 2 ]
        [[ $output == *"unknown command 'frobnicate'"* ]]
        run vgpuctl list --defined --all
        [ "$status" -eq 2 ]
        run vgpuctl create
        [ "$status" -eq 2 ]
        [[ $output == *"--type is required"* ]]
        run vgpuctl create --type x --attr novalue
        [ "$status" -eq 2 ]
        [[ $output == *"expected NAME=VALUE"* ]]
        run vgpuctl autostart 00000000-0000-0000-0000-000000000000 sometimes
        [ "$status" -eq 2 ]
        run vgpuctl create --type x --placement random
        [ "$status" -eq 2 ]
}

@test "vgpuctl --help covers every command" {
        run vgpuctl --help
        [ "$status" -eq 0 ]
        for c in gpus types list show create define destroy undefine start stop autostart monitor doctor metrics events nfd; do
                [[ $output == *"  $c "* ]]
                run vgpuctl "$c" --help
                [ "$status" -eq 0 ]
                [[ ${lines[0]} == "Usage: vgpuctl [--json] $c"* ]]
                run vgpuctl --help
        done
}
