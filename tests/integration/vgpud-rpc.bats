# vgpu-sim: --profile t4
# RPC mode end to end: vgpud runs software GPUs ([rpc] in vgpud.conf) next to the
# simulated T4s; rpc instances are created, listed, shown, probed through their
# vfio-user sockets, kept across restarts, scheduled at their shares, and
# survive hostile clients.
load helpers
load vgpud

setup() {
        bus_start_with_policy
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        SOCKDIR=$VGPUD_DIR/rpc
        vgpud_config >/dev/null <<CONF
[autostart]
initial_delay = 200ms
[rpc]
enabled = yes
gpus = 2
socket_dir = $SOCKDIR
policy = fixed-share
[rpc-type rpc-small]
name = VGPUD RPC-64M
vram = 64M
share = 0
max_instances = 4
[rpc-type rpc-70]
vram = 16M
share = 70
max_instances = 1
[rpc-type rpc-30]
vram = 16M
share = 30
max_instances = 3
[rpc-type rpc-ids]
vram = 16M
max_instances = 1
vendor_id = 0x1d0f
device_id = abcd
subsystem_id = 0x0000
class = 0x030000
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        vgpu-sim ctl reboot
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

state_is() { [ "$(instance_prop "$1" State)" = "\"$2\"" ]; }

@test "software GPUs and their types are listed next to the PCI GPUs" {
        run vgpuctl gpus
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *rpc0* ]]
        [[ $output == *rpc1* ]]
        [[ $output == *0000:3b:00.0* ]]
        run vgpuctl types --gpu rpc0
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *rpc-small* ]]
        [[ $output == *rpc-70* ]]
        run busctl --system get-property org.vgpud1 /org/vgpud1/gpu/rpc0 org.vgpud1.Gpu Address Backends
        echo "$output"
        [ "${lines[0]}" = 's "ffff:00:00.0"' ]
        [ "${lines[1]}" = 'as 1 "rpc"' ]
}

@test "create, show, list and destroy an rpc instance; the socket comes and goes" {
        local u
        u=$(vgpuctl create --type rpc-small --gpu rpc1)
        [ -S "$SOCKDIR/$u.sock" ]
        [ "$(stat -c %a "$SOCKDIR/$u.sock")" = 660 ]
        run vgpuctl show "$u"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"$SOCKDIR/$u.sock"* ]]
        [[ $output == *rpc* ]]
        [ "$(instance_prop "$u" EngineState)" = '"disconnected"' ]
        [ "$(instance_prop "$u" Backend)" = '"rpc"' ]
        [ "$(instance_prop "$u" Device)" = "\"$SOCKDIR/$u.sock\"" ]
        run vgpuctl list
        [[ $output == *"$u"* ]]
        vgpuctl destroy "$u"
        [ ! -e "$SOCKDIR/$u.sock" ]
        run vgpuctl show "$u"
        [ "$status" -ne 0 ]
}

# groups_file WITH|WITHOUT: /etc/group with or without libvirt-qemu (this suite's mount namespace)
groups_file() {
        local f=$BATS_TEST_TMPDIR/group.$1
        grep -v '^libvirt-qemu:' /etc/group >"$f"
        [ "$1" = with ] && echo "libvirt-qemu:x:64055:libvirt-qemu" >>"$f"
        mount --bind "$f" /etc/group
}

@test "socket_group: libvirt-qemu by default when the group exists, vgpud's own group when not; a named group that does not exist stops vgpud" {
        local u
        vgpud_stop
        groups_file without
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        u=$(vgpuctl create --type rpc-small)
        [ "$(stat -c '%a %g' "$SOCKDIR/$u.sock")" = "660 $(id -g)" ]
        grep -q "no group libvirt-qemu on this host, the sockets stay in vgpud's own group" "$VGPUD_LOG"
        vgpud_stop
        umount /etc/group
        groups_file with
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        u=$(vgpuctl create --type rpc-small)
        [ "$(stat -c '%a %G' "$SOCKDIR/$u.sock")" = "660 libvirt-qemu" ]
        vgpud_stop
        umount /etc/group
        # Named explicitly: it must exist.
        sed 's/^\[rpc\]$/[rpc]\nsocket_group = no-such-group/' "$VGPUD_DIR/vgpud.conf" >"$VGPUD_DIR/bad.conf"
        run timeout 30 vgpud --config "$VGPUD_DIR/bad.conf" --state-dir "$VGPUD_DIR/state" --runtime-dir "$VGPUD_DIR/run"
        echo "$output"
        [ "$status" -ne 0 ]
        [ "$status" -ne 124 ]
        [[ $output == *"[rpc] socket_group no-such-group does not exist: create it or set socket_group to the group QEMU runs as"* ]]
        # Empty: vgpud's own group, even where libvirt-qemu exists.
        groups_file with
        sed 's/^\[rpc\]$/[rpc]\nsocket_group =/' "$VGPUD_DIR/vgpud.conf" >"$VGPUD_DIR/own.conf"
        vgpud_start --config "$VGPUD_DIR/own.conf"
        u=$(vgpuctl create --type rpc-small)
        [ "$(stat -c '%a %g' "$SOCKDIR/$u.sock")" = "660 $(id -g)" ]
        vgpud_stop
        umount /etc/group
}

@test "vgpuctl probe attaches as a guest, verifies a workload and reports latency and bandwidth" {
        local u
        u=$(vgpuctl create --type rpc-small)
        run vgpuctl probe "$u" --size 4M
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"1af4:10f0"* ]]
        [[ $output == *"VRAM 64 MiB"* ]]
        [[ $output =~ BAR0\ read:\ +p50\ [0-9.]+\ us,\ p99\ [0-9.]+\ us ]]
        [[ $output == *verified* ]]
        run vgpuctl probe "$u" --json
        [ "$status" -eq 0 ]
        [ "$(jq -r .verified <<<"$output")" = true ]
        [ "$(jq -r .copy_bytes <<<"$output")" = $((16 << 20)) ]
        # the engine counted what the two probes did: 1 + 4 copies of 4 MiB and of 16 MiB, plus fills
        wait_for 3 bash -c "[ \"\$(vgpuctl show --json $u | jq .engine.counters.connections)\" = 2 ]"
        run vgpuctl show --json "$u"
        [ "$(jq -r .engine.state <<<"$output")" = disconnected ]
        (($(jq .engine.counters.bytes <<<"$output") >= 5 * (4 << 20) + 5 * (16 << 20)))
        (($(jq .engine.counters.fences <<<"$output") >= 10))
        [ "$(jq .engine.counters.violations <<<"$output")" = 0 ]
}

@test "an [rpc-type] sets the PCI identity its instances show the guest" {
        local u
        u=$(vgpuctl create --type rpc-ids)
        run vgpuctl probe "$u" --json
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(jq -r .pci_id <<<"$output")" = 1d0f:abcd ]
        [ "$(jq -r .verified <<<"$output")" = true ]
        # the config space the guest reads: class 0x030000, subsystem 1af4:0000 (the vendor's default)
        run "$VGPU_TEST_BUILDDIR/tests/helpers/rpc-guest" config "$SOCKDIR/$u.sock"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"class 030000"* ]]
        [[ $output == *"subsystem 1af4:0000"* ]]
        u=$(vgpuctl create --type rpc-small)
        run vgpuctl probe "$u" --json
        [ "$(jq -r .pci_id <<<"$output")" = 1af4:10f0 ]
}

@test "vgpuctl probe says clearly what is wrong: no such instance, not rpc, busy socket" {
        local u m
        run vgpuctl probe 5b4c1d4e-7bd5-4a3c-9a8b-1a2b3c4d5e6f
        [ "$status" -eq 3 ]
        m=$(vgpuctl create --type grid-2q)
        run vgpuctl probe "$m"
        echo "$output"
        [ "$status" -eq 4 ]
        [[ $output == *"not an RPC instance"* ]]
        u=$(vgpuctl create --type rpc-small)
        "$VGPU_TEST_BUILDDIR/tests/helpers/rpc-guest" load "$SOCKDIR/$u.sock" 3 &
        local pid=$!
        wait_for 3 bash -c "[ \"\$(vgpuctl show --json $u | jq -r .engine.state)\" != disconnected ]"
        run vgpuctl probe "$u"
        echo "$output"
        [ "$status" -eq 4 ]
        [[ $output == *"busy"* ]]
        # and stop refuses while the guest is attached, unless forced
        run vgpuctl stop "$u"
        [ "$status" -eq 4 ]
        [[ $output == *"vfio-user client"* ]]
        wait "$pid"
}

@test "persistent and autostart rpc instances across a daemon restart; transient ones end with it" {
        local a p t
        a=$(vgpuctl create --type rpc-small --autostart)
        p=$(vgpuctl create --type rpc-small --persistent)
        t=$(vgpuctl create --type rpc-small)
        [ -S "$SOCKDIR/$a.sock" ] && [ -S "$SOCKDIR/$p.sock" ] && [ -S "$SOCKDIR/$t.sock" ]
        vgpud_stop
        # the engines took their sockets with them
        [ -z "$(ls "$SOCKDIR")" ]
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        wait_for 5 state_is "$a" created || { cat "$VGPUD_LOG"; false; }
        [ -S "$SOCKDIR/$a.sock" ]
        state_is "$p" defined
        [ ! -e "$SOCKDIR/$p.sock" ]
        run vgpuctl show "$t"
        [ "$status" -eq 3 ]
        vgpuctl start "$p"
        [ -S "$SOCKDIR/$p.sock" ]
        vgpuctl probe "$p" --size 1M
        vgpuctl stop "$p"
        [ ! -e "$SOCKDIR/$p.sock" ]
        state_is "$p" defined
}

@test "placement and capacity: shares past 100% are refused, the types' availability follows" {
        local a b
        a=$(vgpuctl create --type rpc-70 --gpu rpc0)
        run bash -c "vgpuctl types --gpu rpc0 --json | jq -r '.[] | select(.id == \"rpc-30\") | .available'"
        [ "$output" = 1 ]
        b=$(vgpuctl create --type rpc-30 --gpu rpc0)
        run bash -c "vgpuctl types --gpu rpc0 --json | jq -r '.[] | select(.id == \"rpc-30\") | .available'"
        [ "$output" = 0 ]
        run bash -c "vgpuctl types --gpu rpc0 --json | jq -r '.[] | select(.id == \"rpc-30\") | .unavailable_reason'"
        [ "$output" = "rpc0: fixed shares of 100% are reserved, another 30% would pass 100%" ]
        run bash -c "vgpuctl types --gpu rpc0 --json | jq -r '.[] | select(.id == \"rpc-70\") | .unavailable_reason'"
        [ "$output" = "rpc0 hosts 1 instance(s) of rpc-70, its max_instances" ]
        run vgpuctl create --type rpc-30 --gpu rpc0
        echo "$output"
        [ "$status" -eq 4 ]
        # without --gpu, placement goes to the other software GPU
        run vgpuctl create --type rpc-30
        [ "$status" -eq 0 ]
        [ "$(instance_prop "$output" GpuAddress)" = '"ffff:01:00.0"' ]
}

@test "two instances at fixed shares 70/30, both saturated: the measured shares on D-Bus follow" {
        local a b sa sb guest=$VGPU_TEST_BUILDDIR/tests/helpers/rpc-guest
        a=$(vgpuctl create --type rpc-70 --gpu rpc0)
        b=$(vgpuctl create --type rpc-30 --gpu rpc0)
        "$guest" load "$SOCKDIR/$a.sock" 4 >"$BATS_TEST_TMPDIR/a.out" &
        local pa=$!
        "$guest" load "$SOCKDIR/$b.sock" 4 >"$BATS_TEST_TMPDIR/b.out" &
        local pb=$!
        sleep 3 # two full seconds of both loads
        sa=$(instance_prop "$a" MeasuredShare)
        sb=$(instance_prop "$b" MeasuredShare)
        wait "$pa"
        wait "$pb"
        echo "measured: $sa / $sb"
        # tolerant bounds: a shared 2-core machine with sanitizers; bench-engine measures it properly
        awk -v a="$sa" -v b="$sb" 'BEGIN { exit !(a >= 55 && a <= 80 && b >= 18 && b <= 36 && a > 1.8 * b) }'
        run vgpuctl show "$a"
        [[ $output =~ Measured:\ +[0-9.]+%\ of\ the\ engine ]]
}

@test "hostile clients: vgpud keeps answering, the instance shows failsafe, no descriptor leaks" {
        local u fds guest=$VGPU_TEST_BUILDDIR/tests/helpers/rpc-guest
        u=$(vgpuctl create --type rpc-small)
        vgpuctl probe "$u" --size 1M >/dev/null # every lazy allocation of the engine made once
        # shellcheck disable=SC2153 # VGPUD_PID is set by vgpud_start (vgpud.bash)
        fds=$(ls /proc/"$VGPUD_PID"/fd | wc -l)
        for _ in 1 2 3; do "$guest" garbage "$SOCKDIR/$u.sock"; done
        vgpuctl gpus >/dev/null
        "$guest" dma-outside "$SOCKDIR/$u.sock" 3 >"$BATS_TEST_TMPDIR/dma.out" &
        local pid=$!
        wait_for 3 bash -c "[ \"\$(vgpuctl show --json $u | jq -r .engine.state)\" = failsafe ]"
        run vgpuctl show "$u"
        echo "$output"
        [[ $output == *"Engine:      failsafe"* ]]
        [[ $output =~ 1\ violations ]]
        [[ $output == *"Error:       5"* ]]
        wait "$pid"
        [ "$(cat "$BATS_TEST_TMPDIR/dma.out")" = "error_status 5" ]
        # gone with its client: the next one gets a device in its power-on state
        vgpuctl probe "$u" --size 1M >/dev/null
        run vgpuctl show --json "$u"
        (($(jq .engine.counters.protocol_errors <<<"$output") >= 1))
        wait_for 3 bash -c "[ \$(ls /proc/$VGPUD_PID/fd | wc -l) = $fds ]"
}

@test "a busy instance's statistics change signals come at most once a second" {
        local u path n
        u=$(vgpuctl create --type rpc-70)
        path=$(busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager GetInstance s "$u" | cut -d'"' -f2)
        timeout 4 busctl --system monitor --match "type='signal',path='$path',member='PropertiesChanged'" \
                >"$BATS_TEST_TMPDIR/signals" 2>&1 &
        local mon=$!
        sleep 0.5
        # thousands of idle/busy transitions and counter updates in three seconds
        "$VGPU_TEST_BUILDDIR/tests/helpers/rpc-guest" load "$SOCKDIR/$u.sock" 3
        wait "$mon" || true
        n=$(grep -c 'Member=PropertiesChanged' "$BATS_TEST_TMPDIR/signals" || true)
        echo "signals: $n"
        grep -q Counters "$BATS_TEST_TMPDIR/signals"
        ((n >= 2 && n <= 5))
}
