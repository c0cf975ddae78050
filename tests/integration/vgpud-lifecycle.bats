# vgpu-sim: --profile t4
# What must survive and what must not: daemon restarts, a simulated reboot,
# GPU hot-unplug and replug, mdevctl on the same host (both ways), autostart
# with retries while the parent is absent, reconciliation findings, and a bad
# configuration file.
load helpers
load vgpud

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0

setup() {
        bus_start_with_policy
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        vgpud_config >/dev/null <<CONF
[mdevctl]
write_definitions = yes
[autostart]
initial_delay = 200ms
max_delay = 1s
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        vgpu-sim ctl fail clear || true
        vgpu-sim ctl reboot # the next test starts from the power-on state
        rm -rf /etc/mdevctl.d/0000:*
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

state_is() { [ "$(instance_prop "$1" State)" = "\"$2\"" ]; }

@test "a daemon restart keeps persistent and transient instances" {
        local p t
        p=$(vgpuctl create --type grid-2q --persistent)
        t=$(vgpuctl create --type grid-2q)
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        run vgpuctl list
        [[ $output =~ $p\ .*created\ +manual\ +vgpud ]]
        [[ $output =~ $t\ .*created\ +transient\ +vgpud ]]
        # created, so not reported as "defined but not created"
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings
        [[ $output != *"\"missing\" \"$p\""* ]]
        # the transient one is still vgpud's: it can be made persistent
        run vgpuctl define "$t"
        [ "$status" -eq 0 ]
}

@test "a reboot keeps definitions, restarts autostart ones and forgets transient ones" {
        local a p t
        a=$(vgpuctl create --type grid-2q --autostart)
        p=$(vgpuctl create --type grid-2q --persistent)
        t=$(vgpuctl create --type grid-2q)
        vgpud_stop
        vgpu-sim ctl reboot
        [ -z "$(ls /sys/bus/mdev/devices)" ]
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        wait_for 5 state_is "$a" created
        state_is "$p" defined
        run vgpuctl show "$t"
        [ "$status" -eq 3 ]
        [ ! -e "$VGPUD_DIR/run/instances/$t.json" ]
        # the manual one is reported, not started
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings
        [[ $output == *"\"missing\" \"$p\""* ]]
}

@test "hot-unplug keeps the GPU's definitions (Present=false); replug restarts autostart instances" {
        local a
        a=$(vgpuctl create --type grid-2q --autostart --gpu $GPU0)
        vgpu-sim ctl unplug $GPU0
        wait_for 5 state_is "$a" defined
        run busctl --system get-property org.vgpud1 /org/vgpud1/gpu/pci_0000_3b_00_0 org.vgpud1.Gpu Present
        [ "$output" = "b false" ]
        run vgpuctl gpus
        [[ $output == *"(absent)"* ]]
        vgpu-sim ctl replug $GPU0
        wait_for 5 state_is "$a" created
        run busctl --system get-property org.vgpud1 /org/vgpud1/gpu/pci_0000_3b_00_0 org.vgpud1.Gpu Present
        [ "$output" = "b true" ]
}

@test "an unplugged GPU without definitions disappears from the bus" {
        vgpu-sim ctl unplug $GPU1
        wait_for 5 bash -c "! vgpuctl gpus --quiet | grep -q $GPU1"
        vgpu-sim ctl replug $GPU1
        wait_for 5 bash -c "vgpuctl gpus --quiet | grep -q $GPU1"
        run vgpuctl types --gpu $GPU1 --quiet
        [[ $output == *grid-2q* ]]
}

@test "autostart waits for an absent parent with backoff, and starts when it appears" {
        local a
        a=$(vgpuctl create --type grid-2q --autostart --gpu $GPU0)
        vgpud_stop
        vgpu-sim ctl reboot
        vgpu-sim ctl unplug $GPU0
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        state_is "$a" defined
        run instance_prop "$a" StartStatus
        [[ $output == *"waiting"* && $output == *"retry"* ]]
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Status
        [[ $output == *"1 waiting"* ]]
        vgpu-sim ctl replug $GPU0
        wait_for 5 state_is "$a" created
        run instance_prop "$a" StartStatus
        [ "$output" = '""' ]
}

@test "autostart gives up when told to, and says so" {
        vgpud_stop
        vgpud_config >/dev/null <<CONF
[autostart]
initial_delay = 100ms
max_delay = 100ms
give_up_after = 500ms
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        local a
        a=$(vgpuctl define --type grid-2q --autostart --gpu $GPU0)
        vgpud_stop
        vgpu-sim ctl unplug $GPU0
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        wait_for 5 state_is "$a" failed
        run instance_prop "$a" StartStatus
        [[ $output == *"gave up after"* ]]
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings
        [[ $output == *"autostart-failed"* ]]
}

@test "mdevctl sees vgpud's persistent definitions (write_definitions)" {
        local p
        p=$(vgpuctl create --type grid-2q --autostart --gpu $GPU0)
        [ -f /etc/mdevctl.d/$GPU0/"$p" ]
        run mdevctl list -d
        [[ $output == *"$p $GPU0 nvidia-231 auto"* ]]
        vgpuctl autostart "$p" off
        run mdevctl list -d
        [[ $output == *"$p $GPU0 nvidia-231 manual"* ]]
        vgpuctl destroy "$p"
        [ ! -e /etc/mdevctl.d/$GPU0/"$p" ]
}

@test "a definition whose mdevctl mirror a crash cut short gets it at the next start" {
        local p
        p=$(vgpuctl define --type grid-2q --gpu $GPU0)
        [ -f /etc/mdevctl.d/$GPU0/"$p" ]
        # killed between the record and its mirror (tests/chaos/vgpu-chaos found it)
        # shellcheck disable=SC2153 # VGPUD_PID is set by vgpud_start (vgpud.bash)
        kill -KILL "$VGPUD_PID"
        wait "$VGPUD_PID" || true
        rm /etc/mdevctl.d/$GPU0/"$p"
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        run mdevctl list -d
        [[ $output == *"$p $GPU0 nvidia-231 manual"* ]]
        [ "$(vgpuctl --json list --all | jq -r ".[] | select(.uuid == \"$p\") | .origin")" = vgpud ]
        vgpuctl destroy "$p"
        [ ! -e /etc/mdevctl.d/$GPU0/"$p" ]
}

@test "vgpud manages what mdevctl defined and started" {
        local d=11111111-2222-4333-8444-555555555555 s=66666666-7777-4888-8999-aaaaaaaaaaaa
        vgpud_stop
        mdevctl define -u $d -p $GPU1 -t nvidia-222 --auto
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        # defined with start=auto: vgpud starts it
        wait_for 5 state_is $d created
        run vgpuctl show $d
        [[ $output == *"Origin:      mdevctl"* ]]
        [[ $output == *"Start:       auto"* ]]
        # started by mdevctl while vgpud runs: seen at once
        mdevctl start -u $s -p $GPU1 -t nvidia-222
        wait_for 5 bash -c "vgpuctl list --quiet | grep -q $s"
        run vgpuctl show $s
        [[ $output == *"Origin:      external"* ]]
        # vgpud stops what mdevctl defined; mdevctl sees it stopped, the definition stays
        run vgpuctl stop $d
        [ "$status" -eq 0 ]
        run mdevctl list -d
        [[ $output == *"$d $GPU1 nvidia-222 auto"* ]]
        run mdevctl list
        [[ $output != *"$d"* ]]
        # undefine through vgpud removes mdevctl's file
        run vgpuctl undefine $d
        [ "$status" -eq 0 ]
        [ ! -e /etc/mdevctl.d/$GPU1/$d ]
        mdevctl stop -u $s
}

@test "start-up reports orphans instead of removing them" {
        local u=bbbbbbbb-cccc-4ddd-8eee-ffffffffffff
        vgpud_stop
        echo $u >/sys/class/mdev_bus/$GPU0/mdev_supported_types/nvidia-231/create
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings
        [[ $output == *"\"orphan\" \"$u\""* ]]
        [ -d /sys/bus/mdev/devices/$u ]
        run vgpuctl show $u
        [[ $output == *"Origin:      external"* ]]
}

@test "a corrupt record is reported with its path; the others still load" {
        local p
        p=$(vgpuctl create --type grid-2q --persistent)
        vgpud_stop
        echo '{"version": 1, "uuid": ' >"$VGPUD_DIR/state/instances/cccccccc-dddd-4eee-8fff-000000000000.json"
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings
        [[ $output == *"corrupt-record"* ]]
        [[ $output == *"cccccccc-dddd-4eee-8fff-000000000000.json"* ]]
        run vgpuctl show "$p"
        [ "$status" -eq 0 ]
}

@test "a bad configuration stops start-up with file:line" {
        vgpud_stop
        printf '[vgpud]\nadmin_group = vgpu\nbogus = 1\n' >"$VGPUD_DIR/bad.conf"
        run vgpud --config "$VGPUD_DIR/bad.conf" --state-dir "$VGPUD_DIR/state" --runtime-dir "$VGPUD_DIR/run"
        [ "$status" -eq 1 ]
        [[ $output == *"$VGPUD_DIR/bad.conf:3: unknown key \"bogus\" in [vgpud]"* ]]
        run vgpud --config "$VGPUD_DIR/missing.conf"
        [ "$status" -eq 1 ]
        [[ $output == *"missing.conf"* ]]
}

@test "a slow sysfs write does not stop reads" {
        vgpu-sim ctl latency /sys/class/mdev_bus/$GPU0/mdev_supported_types/nvidia-231/create 2000
        vgpuctl create --type grid-2q --gpu $GPU0 >"$BATS_TEST_TMPDIR/created" &
        local job=$!
        sleep 0.3
        local start end
        start=$(date +%s%N)
        run vgpuctl list --all
        end=$(date +%s%N)
        [ "$status" -eq 0 ]
        wait $job
        # A read answered while the write was in flight (the create took 2 s).
        [ $(((end - start) / 1000000)) -lt 1500 ]
        [ -s "$BATS_TEST_TMPDIR/created" ]
}

@test "root's vgpuctl works over the private socket alone, without dbus-daemon" {
        local sock=$VGPUD_DIR/run/private u
        [ -S "$sock" ]
        [ "$(stat -c '%a %U' "$sock")" = "600 root" ]
        # A bus address that leads nowhere: only the private socket can answer.
        u=$(VGPUCTL_PRIVATE_SOCKET=$sock DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent \
                vgpuctl create --type grid-2q --gpu $GPU0)
        run env VGPUCTL_PRIVATE_SOCKET="$sock" DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent vgpuctl list
        [ "$status" -eq 0 ]
        [[ $output == *"$u"* ]]
        # The bus sees the same daemon: the instance is there, with its signals' result.
        [ "$(instance_prop "$u" State)" = '"created"' ]
        # Following changes needs the bus's signals: events does not use the private socket.
        run env VGPUCTL_PRIVATE_SOCKET="$sock" DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent vgpuctl events
        [ "$status" -eq 6 ]
        [[ $output == *"cannot connect to the system bus"* ]]
        run env VGPUCTL_PRIVATE_SOCKET="$sock" DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent vgpuctl destroy "$u"
        [ "$status" -eq 0 ]
        run vgpuctl list --quiet
        [ "$status" -eq 0 ]
        [[ $output != *"$u"* ]]
}

@test "the private socket is root's; others, and a stale socket, go through the bus" {
        local sock=$VGPUD_DIR/run/private
        # nobody is refused by the daemon's authorization on the bus, not by a socket error.
        run as_user "" env VGPUCTL_PRIVATE_SOCKET="$sock" vgpuctl create --type grid-2q
        [ "$status" -ne 0 ]
        [[ $output == *"requires root"* ]]
        run as_user "" env VGPUCTL_PRIVATE_SOCKET="$sock" vgpuctl list
        [ "$status" -eq 0 ]
        # A vgpud killed without cleaning up leaves the socket: vgpuctl falls back to the bus and says
        # vgpud is not running.
        kill -KILL "$VGPUD_PID"
        wait "$VGPUD_PID" || true
        unset VGPUD_PID
        [ -S "$sock" ]
        run env VGPUCTL_PRIVATE_SOCKET="$sock" vgpuctl list
        [ "$status" -eq 6 ]
        # The next vgpud replaces it; a clean stop removes it.
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        run env VGPUCTL_PRIVATE_SOCKET="$sock" DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent vgpuctl list
        [ "$status" -eq 0 ]
        vgpud_stop
        [ ! -e "$sock" ]
}
