# Shared helpers for the bats suites. Load with: load helpers
#
# A private D-Bus system bus per suite: call bus_start from setup_file and
# bus_stop from teardown_file. The bus has its own configuration (system-bus
# semantics, socket in a temp dir) and DBUS_SYSTEM_BUS_ADDRESS points at it,
# which sd-bus, busctl and dbus-send all honour.

bus_start() {
        BUS_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/bus.XXXXXX")
        local policy_includes=""
        if [[ -n ${BUS_POLICY_DIR:-} ]]; then
                policy_includes="<includedir>$BUS_POLICY_DIR</includedir>"
        else
                # No product policy under test: an open bus.
                policy_includes='<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>'
        fi
        cat >"$BUS_DIR/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$BUS_DIR/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="root"><allow own="*"/><allow send_destination="*"/></policy>
  $policy_includes
</busconfig>
CONF
        dbus-daemon --config-file="$BUS_DIR/bus.conf" --fork --nopidfile --print-pid=3 3>"$BUS_DIR/pid"
        BUS_PID=$(cat "$BUS_DIR/pid")
        export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$BUS_DIR/system_bus_socket"
        export BUS_DIR BUS_PID
}

bus_stop() {
        if [[ -n ${BUS_PID:-} ]]; then
                kill "$BUS_PID" 2>/dev/null || true
                # wait for it to go: a later suite must not find its socket
                for _ in $(seq 50); do kill -0 "$BUS_PID" 2>/dev/null || break; sleep 0.1; done
        fi
        [[ -n ${BUS_DIR:-} ]] && rm -rf "$BUS_DIR"
        unset BUS_PID BUS_DIR DBUS_SYSTEM_BUS_ADDRESS
}
