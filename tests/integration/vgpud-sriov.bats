# vgpu-sim: --profile sriov-plain
# SR-IOV VFs passed through whole (Intel Flex 170, VFs off at boot): enabling
# and disabling VFs and every refusal of it, the vf backend (create binds the
# VF to vfio-pci, destroy gives it back), bind/unbind and driverctl both ways,
# and what a restart and a reboot bring back, in order: VF count, bindings,
# instances.
load helpers
load vgpud

PF=0000:4d:00.0
VF1=0000:4d:00.1
VF2=0000:4d:00.2

setup() {
        bus_start_with_policy
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        vgpud_config >/dev/null <<CONF
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
        vgpu-sim ctl reboot
        rm -f /etc/driverctl.d/pci-*
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

driver_of() {
        local l
        l=$(readlink "/sys/bus/pci/devices/$1/driver") || { echo none; return 0; }
        basename "$l"
}
numvfs() { cat /sys/bus/pci/devices/$PF/sriov_numvfs; }
gpu_json() { vgpuctl gpus --json | jq -r ".[] | select(.address == \"$PF\") | $1"; }

@test "sriov enable/show/disable: VFs appear, persist, and are listed with driver and group" {
        run vgpuctl sriov show
        [ "$status" -eq 0 ]
        [[ $output == *"$PF"*31*0* ]]

        run vgpuctl sriov enable "$PF" --vfs 4
        [ "$status" -eq 0 ]
        [ "$(numvfs)" -eq 4 ]
        # answered after the VFs are in vgpud's model: they are listed at once
        run vgpuctl --json sriov show "$PF"
        [ "$status" -eq 0 ]
        [ "$(jq -r .num_vfs <<<"$output")" -eq 4 ]
        [ "$(jq -r .configured_vfs <<<"$output")" -eq 4 ]
        [ "$(jq -r .status <<<"$output")" = ok ]
        [ "$(jq -r '.virtual_functions | length' <<<"$output")" -eq 4 ]
        [ "$(jq -r '.virtual_functions[0].address' <<<"$output")" = "$VF1" ]
        # not NVIDIA: VFs do not autoprobe (they go to vfio-pci on demand)
        [ "$(jq -r '.virtual_functions[0].driver' <<<"$output")" = "" ]
        [ "$(cat /sys/bus/pci/devices/$PF/sriov_drivers_autoprobe)" = 0 ]
        [ "$(gpu_json .sriov_num_vfs)" -eq 4 ]
        [ -f "$VGPUD_DIR/state/sriov/$PF.json" ]

        # a change between two non-zero counts goes through 0
        run vgpuctl sriov enable "$PF" --vfs 2
        [ "$status" -eq 0 ]
        [ "$(numvfs)" -eq 2 ]

        run vgpuctl sriov disable "$PF"
        [ "$status" -eq 0 ]
        [ "$(numvfs)" -eq 0 ]
        # without its VFs the PF probes them again as the kernel's default has it
        [ "$(cat /sys/bus/pci/devices/$PF/sriov_drivers_autoprobe)" = 1 ]
        [ ! -e "$VGPUD_DIR/state/sriov/$PF.json" ]
        [ "$(gpu_json .sriov_configured_vfs)" -eq 0 ]
}

@test "sriov refusals: ERANGE, ENOENT without a PF driver, EBUSY while a VF is held, usage errors" {
        run vgpuctl sriov enable "$PF" --vfs 32
        [ "$status" -ne 0 ]
        [[ $output == *"at most 31 VFs"* ]]
        [ "$(numvfs)" -eq 0 ]

        run vgpuctl sriov enable "$PF" --vfs 0
        [ "$status" -eq 2 ]
        run vgpuctl sriov enable "$PF"
        [ "$status" -eq 2 ]
        run vgpuctl sriov frobnicate "$PF"
        [ "$status" -eq 2 ]

        # the kernel refuses while a VM holds a VF: EBUSY, nothing changes
        vgpuctl sriov enable "$PF" --vfs 2
        vgpu-sim ctl hold "$VF1"
        run vgpuctl sriov disable "$PF"
        [ "$status" -eq 4 ]
        [[ $output == *EBUSY* ]]
        [ "$(numvfs)" -eq 2 ]
        run vgpuctl sriov enable "$PF" --vfs 3
        [ "$status" -eq 4 ]
        vgpu-sim ctl release "$VF1"

        # without the PF's driver the kernel cannot enable VFs: ENOENT, said in words
        vgpuctl sriov disable "$PF"
        echo "$PF" >/sys/bus/pci/drivers/i915/unbind
        wait_for 5 bash -c "vgpuctl gpus --json | jq -e '.[] | select(.address == \"$PF\") | .driver == \"\"'"
        run vgpuctl sriov enable "$PF" --vfs 2
        [ "$status" -ne 0 ]
        [[ $output == *ENOENT* ]]
        [[ $output == *"no driver"* ]]
        [ "$(numvfs)" -eq 0 ]
        [ ! -e "$VGPUD_DIR/state/sriov/$PF.json" ]
        echo "$PF" >/sys/bus/pci/drivers/i915/bind
}

@test "a slow VF appearance: the change completes, reads are answered meanwhile" {
        vgpu-sim ctl latency "/sys/bus/pci/devices/$PF/sriov_numvfs" 1500
        vgpuctl sriov enable "$PF" --vfs 3 &
        local pid=$!
        sleep 0.3
        # the loop is not blocked by the write in flight
        run timeout 1 vgpuctl gpus --quiet
        [ "$status" -eq 0 ]
        wait "$pid"
        [ "$(numvfs)" -eq 3 ]
        [ "$(vgpuctl --json sriov show "$PF" | jq -r '.virtual_functions | length')" -eq 3 ]
}

@test "vf instances: create binds a free VF to vfio-pci, list shows backend and device, destroy gives it back" {
        vgpuctl sriov enable "$PF" --vfs 2
        run vgpuctl create --type vf
        [ "$status" -eq 0 ]
        local u=$output
        [ "$(driver_of "$VF1")" = vfio-pci ]
        run vgpuctl list
        [[ $output == *"$u"*vf*"$VF1"*created* ]]
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")" = "$VF1" ]
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .backend")" = vf ]

        # the second goes to the other VF, a third finds no room
        u2=$(vgpuctl create --type vf)
        [ "$(driver_of "$VF2")" = vfio-pci ]
        run vgpuctl create --type vf
        [ "$status" -eq 4 ]

        # a count change would pull the VFs from under the instances
        run vgpuctl sriov disable "$PF"
        [ "$status" -eq 4 ]
        [[ $output == *"destroy it first"* ]]
        [ "$(numvfs)" -eq 2 ]

        # unbinding a VF an instance uses is refused
        run vgpuctl unbind "$VF1"
        [ "$status" -eq 4 ]

        vgpuctl destroy "$u"
        vgpuctl destroy "$u2"
        [ "$(driver_of "$VF1")" = none ]
        [ "$(driver_of "$VF2")" = none ]
        [ -z "$(vgpuctl list --quiet)" ]
        [ -z "$(ls "$VGPUD_DIR/run/bindings" 2>/dev/null)" ]
}

@test "bind/unbind and driverctl, both ways" {
        vgpuctl sriov enable "$PF" --vfs 2
        run vgpuctl bind "$VF1" --persistent
        [ "$status" -eq 0 ]
        [ "$(driver_of "$VF1")" = vfio-pci ]
        run driverctl list-overrides
        [[ $output == *"$VF1 vfio-pci"* ]]
        # bound already: bind again is fine
        run vgpuctl bind "$VF1"
        [ "$status" -eq 0 ]

        run vgpuctl unbind "$VF1"
        [ "$status" -eq 0 ]
        [ "$(driver_of "$VF1")" = none ]
        run driverctl list-overrides
        [[ $output != *"$VF1"* ]]

        # driverctl's override, undone through vgpud
        driverctl set-override "$VF2" vfio-pci
        wait_for 5 bash -c "[ \"\$(basename \"\$(readlink /sys/bus/pci/devices/$VF2/driver)\")\" = vfio-pci ]"
        run vgpuctl unbind "$VF2"
        [ "$status" -eq 0 ]
        [ "$(driver_of "$VF2")" = none ]
        [ ! -e "/etc/driverctl.d/pci-$VF2" ]

        # unbind of what is not on vfio-pci, bind of what does not exist, of a bad address
        run vgpuctl unbind "$VF2"
        [ "$status" -ne 0 ]
        [[ $output == *"not bound to vfio-pci"* ]]
        run vgpuctl bind 0000:4d:07.7
        [ "$status" -eq 3 ]
        run vgpuctl bind not-an-address
        [ "$status" -ne 0 ]
        [ "$status" -ne 6 ]

        # (A VF a VM holds is refused by vgpud's own check of /dev/vfio holders; the simulator's `hold`
        # is not an open file, and vfio-pci's unbind would block, so that case is not run here.)
}

@test "placement leaves a VF bound to vfio-pci on request alone: only a create that names it takes it" {
        vgpuctl sriov enable "$PF" --vfs 2
        # The administrator's own binding (a VM of theirs gets the VF as a hostdev), with driverctl.
        driverctl set-override "$VF1" vfio-pci
        wait_for 5 bash -c "[ \"\$(basename \"\$(readlink /sys/bus/pci/devices/$VF1/driver)\")\" = vfio-pci ]"
        local u
        u=$(vgpuctl create --type vf)
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")" = "$VF2" ]
        # Nothing else is free: the refusal says which VF is held and how to take it anyway.
        run vgpuctl create --type vf
        [ "$status" -eq 4 ]
        [[ $output == *"bound to vfio-pci on request ($VF1)"*"--gpu"* ]]
        run vgpuctl create --type vf --gpu "$PF"
        [ "$status" -eq 4 ]
        # Named, it is taken; destroyed, it stays the administrator's (on vfio-pci).
        local named
        named=$(vgpuctl create --type vf --gpu "$VF1")
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$named\") | .device")" = "$VF1" ]
        vgpuctl destroy "$named"
        [ "$(driver_of "$VF1")" = vfio-pci ]
        vgpuctl destroy "$u"
        [ "$(driver_of "$VF2")" = none ]
        vgpuctl unbind "$VF1" # undoes driverctl's override too
        [ ! -e "/etc/driverctl.d/pci-$VF1" ]
}

@test "restart and reboot restore the VF count, then the persistent bindings, then the instances" {
        vgpuctl sriov enable "$PF" --vfs 3
        vgpuctl bind "$VF2" --persistent
        u=$(vgpuctl create --type vf --gpu "$PF" --autostart)
        local dev
        dev=$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")
        [ "$dev" = "$VF1" ]

        # a restart changes nothing and recognises the instance
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .state")" = created ]
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")" = "$VF1" ]

        # a reboot: no VFs, no bindings; vgpud brings back all three in order
        vgpud_stop
        vgpu-sim ctl reboot
        [ "$(numvfs)" -eq 0 ]
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(numvfs)" -eq 3 ]
        [ "$(driver_of "$VF2")" = vfio-pci ]
        wait_for 5 bash -c "vgpuctl --json list | jq -e '.[] | select(.uuid == \"$u\") | .state == \"created\"'"
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")" = "$VF1" ]
        [ "$(driver_of "$VF1")" = vfio-pci ]
        grep -q "Restored 3 VF(s) on $PF" "$VGPUD_LOG"
        # the VF count came first, then the binding, then the instance
        local vfs bound started
        vfs=$(grep -n "Restored 3 VF" "$VGPUD_LOG" | tail -1 | cut -d: -f1)
        bound=$(grep -n "Bound $VF2 to vfio-pci (persistent)" "$VGPUD_LOG" | tail -1 | cut -d: -f1)
        started=$(grep -n "Autostarted $u" "$VGPUD_LOG" | tail -1 | cut -d: -f1)
        [ "$vfs" -lt "$bound" ]
        [ "$bound" -lt "$started" ]

        vgpuctl destroy "$u"
        vgpuctl unbind "$VF2"
}

@test "restoration waits with backoff while the PF's driver is absent, and proceeds when it binds" {
        vgpuctl sriov enable "$PF" --vfs 2
        vgpud_stop
        vgpu-sim ctl reboot
        echo "$PF" >/sys/bus/pci/drivers/i915/unbind
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(numvfs)" -eq 0 ]
        run vgpuctl --json sriov show "$PF"
        [[ $(jq -r .status <<<"$output") == "waiting for driver i915 (retry "* ]]
        [ "$(jq -r .configured_vfs <<<"$output")" -eq 2 ]
        run vgpuctl gpus
        [[ $output == *"0/31 (waiting for driver i915"* ]]

        echo "$PF" >/sys/bus/pci/drivers/i915/bind
        wait_for 5 bash -c "[ \$(cat /sys/bus/pci/devices/$PF/sriov_numvfs) -eq 2 ]"
        wait_for 5 bash -c "vgpuctl --json sriov show $PF | jq -e '.status == \"ok\"'"
}

# vgpud killed with SIGKILL (as tests/chaos/vgpu-chaos does), the kill's interrupted sysfs write let land.
vgpud_crash() {
        # shellcheck disable=SC2153 # VGPUD_PID is set by vgpud_start (vgpud.bash)
        kill -KILL "$VGPUD_PID"
        wait "$VGPUD_PID" || true
        unset VGPUD_PID
        sleep "${1:-0}"
        vgpu-sim ctl fail clear
}

@test "a persistent VF instance placed at start is on its VF after a restart; undefined, it stays there" {
        vgpuctl sriov enable "$PF" --vfs 3
        local u=2f1e7c9a-41d3-4b6e-9a0c-5e8f7d6c4b3a u2=2f1e7c9a-41d3-4b6e-9a0c-5e8f7d6c4b3b
        # defined without a function: the VF is chosen when it starts, known only to this boot
        vgpuctl define --type vf --uuid $u
        vgpuctl start $u
        [ "$(driver_of "$VF1")" = vfio-pci ]
        vgpuctl define --type vf --uuid $u2
        vgpuctl start $u2
        vgpuctl undefine $u2

        vgpud_crash
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        run vgpuctl --json list --all
        [ "$(jq -r ".[] | select(.uuid == \"$u\") | .state + \" \" + .device" <<<"$output")" = "created $VF1" ]
        [ "$(jq -r ".[] | select(.uuid == \"$u2\") | .state + \" \" + .device" <<<"$output")" = "created $VF2" ]
        # so the count is not changed from under it, and a stop gives the VF back
        run vgpuctl sriov disable "$PF"
        [ "$status" -eq 4 ]
        vgpuctl stop $u
        [ "$(driver_of "$VF1")" = none ]
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        [ "$(vgpuctl --json list --all | jq -r ".[] | select(.uuid == \"$u\") | .state")" = defined ]
        [ "$(driver_of "$VF1")" = none ]
        vgpuctl destroy $u
        vgpuctl destroy $u2
        [ -z "$(ls "$VGPUD_DIR/run/instances")" ]
}

@test "persistent bindings apply again to the VFs a count change brings back" {
        vgpuctl sriov enable "$PF" --vfs 2
        vgpuctl bind "$VF2" --persistent
        vgpuctl sriov disable "$PF"
        vgpuctl sriov enable "$PF" --vfs 3
        [ "$(driver_of "$VF2")" = vfio-pci ]
        [ "$(driver_of "$VF1")" = none ]
        grep -q "Bound $VF2 to vfio-pci (persistent)" "$VGPUD_LOG"
        # a VF instance takes a free VF, not the bound one
        u=$(vgpuctl create --type vf)
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")" = "$VF1" ]
        vgpuctl destroy "$u"
        vgpuctl unbind "$VF2"
}

@test "a bind cut by a crash before driverctl's override: the next start completes it" {
        vgpuctl sriov enable "$PF" --vfs 2
        vgpu-sim ctl latency /sys/bus/pci/drivers_probe 1500
        vgpuctl bind "$VF1" --persistent >/dev/null 2>&1 &
        local job=$!
        sleep 0.7 # the note is written, vfio-pci's probe is in flight
        vgpud_crash 2
        wait $job || true
        [ -f "$VGPUD_DIR/state/bindings/$VF1.json" ]
        [ ! -e "/etc/driverctl.d/pci-$VF1" ]
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(driver_of "$VF1")" = vfio-pci ]
        [ "$(cat "/etc/driverctl.d/pci-$VF1")" = vfio-pci ]
        vgpuctl unbind "$VF1"
        [ ! -e "/etc/driverctl.d/pci-$VF1" ]
        [ ! -e "$VGPUD_DIR/state/bindings/$VF1.json" ]
}

@test "an SR-IOV change cut by a crash leaves the count kept with the VFs; a failed one the old count" {
        # killed while the VFs are being enabled: the kept count is the one the host ends with
        vgpu-sim ctl latency "/sys/bus/pci/devices/$PF/sriov_numvfs" 1500
        vgpuctl sriov enable "$PF" --vfs 2 >/dev/null 2>&1 &
        local job=$!
        sleep 0.7
        vgpud_crash 2
        wait $job || true
        [ "$(numvfs)" -eq 2 ]
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(numvfs)" -eq 2 ]
        [ "$(jq -r .num_vfs "$VGPUD_DIR/state/sriov/$PF.json")" -eq 2 ]
        [ "$(gpu_json .sriov_configured_vfs)" -eq 2 ]

        # the write fails: the VFs and the kept count stay as they were
        vgpu-sim ctl fail "/sys/bus/pci/devices/$PF/sriov_numvfs" EIO 1
        run vgpuctl sriov enable "$PF" --vfs 4
        [ "$status" -eq 1 ]
        [[ $output == *EIO* ]]
        [ "$(numvfs)" -eq 2 ]
        [ "$(jq -r .num_vfs "$VGPUD_DIR/state/sriov/$PF.json")" -eq 2 ]
        vgpuctl sriov disable "$PF"
        vgpu-sim ctl fail "/sys/bus/pci/devices/$PF/sriov_numvfs" EIO 1
        run vgpuctl sriov enable "$PF" --vfs 4
        [ "$status" -eq 1 ]
        [ ! -e "$VGPUD_DIR/state/sriov/$PF.json" ]
        [ "$(gpu_json .sriov_configured_vfs)" -eq 0 ]
}

@test "a VF create cut by a crash before vfio-pci took the VF: the next start gives the VF back" {
        vgpuctl sriov enable "$PF" --vfs 2
        local u=3c2b1a09-8f7e-4d6c-b5a4-938271605f4e
        vgpu-sim ctl latency "/sys/bus/pci/devices/$VF1/driver_override" 1500
        vgpuctl create --type vf --uuid $u >/dev/null 2>&1 &
        local job=$!
        sleep 0.7 # noted (journal entry, binding note), the driver_override write in flight
        vgpud_crash 2
        wait $job || true
        [ -f "$VGPUD_DIR/run/bindings/$VF1.json" ]
        [ "$(cat "/sys/bus/pci/devices/$VF1/driver_override")" = vfio-pci ]
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ -z "$(vgpuctl list --all --quiet)" ]
        [ "$(driver_of "$VF1")" = none ]
        [ "$(cat "/sys/bus/pci/devices/$VF1/driver_override")" = "(null)" ]
        [ ! -e "$VGPUD_DIR/run/bindings/$VF1.json" ]
        # the VF is free: the next create takes it
        u=$(vgpuctl create --type vf)
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")" = "$VF1" ]
        vgpuctl destroy "$u"
}

# A VF bound on request (here persistently) is on vfio-pci with or without an instance on it: its
# driver cannot say whether the instance a definition keeps it for is created or stopped. (vgpu-chaos
# found it: "stopped" answered, the instance still created, before and after a restart.)
vf_state() { vgpuctl --json list --all | jq -r ".[] | select(.uuid == \"$1\") | .state + \" \" + .device"; }
missing_reported() {
        busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings | grep -q "\"missing\" \"$1\""
}

@test "a persistent VF instance on a VF bound on request: created across a crash, stop leaves the VF bound" {
        vgpuctl sriov enable "$PF" --vfs 3
        vgpuctl bind "$VF2" --persistent
        local u=5a8e2d6c-1b7f-4c3e-9d2a-6f4b8c1e7a90
        vgpuctl create --type vf --gpu "$VF2" --uuid $u
        vgpuctl define $u
        [ "$(vf_state $u)" = "created $VF2" ]

        vgpud_crash
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(vf_state $u)" = "created $VF2" ]
        run ! missing_reported $u
        run vgpuctl unbind "$VF2"
        [ "$status" -eq 4 ]

        # stopped: the instance is not on the VF any more, the binding keeps the VF on vfio-pci
        vgpuctl stop $u
        [ "$(vf_state $u)" = "defined " ]
        [ "$(driver_of "$VF2")" = vfio-pci ]
        vgpud_crash
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(vf_state $u)" = "defined " ]
        missing_reported $u
        [ "$(driver_of "$VF2")" = vfio-pci ]

        vgpuctl start $u
        [ "$(vf_state $u)" = "created $VF2" ]
        vgpuctl destroy $u
        [ "$(driver_of "$VF2")" = vfio-pci ]
        [ -z "$(ls "$VGPUD_DIR/run/bindings")" ]
        vgpuctl unbind "$VF2"
        [ "$(driver_of "$VF2")" = none ]
}

@test "a VF bound on request under a stopped definition: the instance stays stopped until started" {
        vgpuctl sriov enable "$PF" --vfs 2
        local u=5a8e2d6c-1b7f-4c3e-9d2a-6f4b8c1e7a91
        vgpuctl create --type vf --gpu "$VF1" --uuid $u
        vgpuctl define $u
        vgpuctl stop $u
        [ "$(driver_of "$VF1")" = none ]
        # bound for something else while the definition keeps the VF: not the instance
        vgpuctl bind "$VF1"
        [ "$(vf_state $u)" = "defined " ]
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        [ "$(vf_state $u)" = "defined " ]

        # started on it, and stopped again: the runtime binding and its note are as they were
        local before
        before=$(cat "$VGPUD_DIR/run/bindings/$VF1.json")
        vgpuctl start $u
        [ "$(vf_state $u)" = "created $VF1" ]
        [ "$(jq -r .instance "$VGPUD_DIR/run/bindings/$VF1.json")" = $u ]
        vgpuctl stop $u
        [ "$(vf_state $u)" = "defined " ]
        [ "$(driver_of "$VF1")" = vfio-pci ]
        [ "$(cat "$VGPUD_DIR/run/bindings/$VF1.json")" = "$before" ]
        vgpuctl destroy $u
        vgpuctl unbind "$VF1"
        [ "$(driver_of "$VF1")" = none ]
}
