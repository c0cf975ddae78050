# The harness itself: a private system bus comes up, answers, and goes away.
load helpers

setup_file() {
        bus_start
}

teardown_file() {
        bus_stop
}

@test "private bus answers on DBUS_SYSTEM_BUS_ADDRESS" {
        run busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId
        [ "$status" -eq 0 ]
        [[ $output =~ ^s\ \"[0-9a-f]{32}\"$ ]]
}

@test "private bus is not the host bus" {
        [[ $DBUS_SYSTEM_BUS_ADDRESS == unix:path=$BATS_FILE_TMPDIR/* ]]
        [ -S "${DBUS_SYSTEM_BUS_ADDRESS#unix:path=}" ]
}

@test "root may own a name on the private bus" {
        run busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus RequestName su org.vgpud1.Test 0
        [ "$status" -eq 0 ]
}
