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
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

teardown() {
        vgpud_stop || true
        bus_stop
        vgpu-sim ctl reboot
}

wait_for() { # wait_for SECONDS COMMAND...: until COMMAND succeeds
        local n=$(($1 * 10))
        shift
        for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
        "$@"
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
