# vgpu-sim: --profile l40s
# NVIDIA vendor-specific VFIO (two L40S, VFs off at boot): types from the
# VFs' creatable_vgpu_types merged per GPU, create picks a free VF and sets
# nvidia/current_vgpu_type, destroy clears it, refusals while a VF is in use,
# a failing current_vgpu_type write, a vGPU made outside vgpud, and restart
# and reboot bringing back the VFs before the instances.
load helpers
load vgpud

GPU0=0000:ca:00.0
GPU1=0000:e1:00.0

setup() {
        bus_start_with_policy
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        vgpud_config >/dev/null <<CONF
[autostart]
initial_delay = 200ms
max_delay = 1s
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        vgpuctl sriov enable "$GPU0" --vfs 4 >/dev/null
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        vgpu-sim ctl fail clear || true
        vgpu-sim ctl reboot
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

current() { cat "/sys/bus/pci/devices/$1/nvidia/current_vgpu_type"; }
inst() { vgpuctl --json list --all | jq -r ".[] | select(.uuid == \"$1\") | .$2"; }

@test "types come from the VFs, merged per GPU; NVIDIA VFs autoprobe to nvidia" {
        [ "$(cat /sys/bus/pci/devices/$GPU0/sriov_drivers_autoprobe)" = 1 ]
        run vgpuctl --json types --gpu "$GPU0"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[] | select(.name == "NVIDIA L40S-4Q") | .backend' <<<"$output")" = nvidia-vfio ]
        [ "$(jq -r '.[] | select(.name == "NVIDIA L40S-4Q") | .available' <<<"$output")" -eq 4 ]
        run vgpuctl --json gpus
        [ "$(jq -r ".[] | select(.address == \"$GPU0\") | .backends | join(\",\")" <<<"$output")" = nvidia-vfio ]
        # the second GPU has no VFs: it offers nothing yet
        [ "$(jq -r ".[] | select(.address == \"$GPU1\") | .types" <<<"$output")" -eq 0 ]
}

@test "create sets current_vgpu_type on a free VF, list shows it, destroy clears it" {
        run vgpuctl create --type L40S-4Q
        [ "$status" -eq 0 ]
        local u=$output vf
        vf=$(inst "$u" device)
        [ "$(inst "$u" backend)" = nvidia-vfio ]
        [ "$(current "$vf")" -eq 1150 ]
        run vgpuctl list
        [[ $output == *"$u"*nvidia-vfio*"$vf"*created* ]]

        # the next one goes to another VF; the GPU-wide rule limits the other types
        u2=$(vgpuctl create --type L40S-4Q --gpu "$GPU0")
        [ "$(inst "$u2" device)" != "$vf" ]

        vgpuctl destroy "$u"
        [ "$(current "$vf")" -eq 0 ]
        vgpuctl destroy "$u2"
        [ -z "$(vgpuctl list --quiet)" ]
}

@test "a VF in use: destroy and an SR-IOV change are refused, nothing changes" {
        u=$(vgpuctl create --type L40S-4Q)
        vf=$(inst "$u" device)
        vgpu-sim ctl hold "$vf"
        run vgpuctl destroy "$u"
        [ "$status" -eq 4 ]
        [[ $output == *"in use"* ]]
        [ "$(current "$vf")" -eq 1150 ]
        [ "$(inst "$u" state)" = created ]
        run vgpuctl sriov disable "$GPU0"
        [ "$status" -eq 4 ]
        vgpu-sim ctl release "$vf"
        vgpuctl destroy "$u"
}

@test "a failing current_vgpu_type write leaves no instance and the VF as it was" {
        local vf=0000:ca:00.4
        vgpu-sim ctl fail "/sys/bus/pci/devices/$vf/nvidia/current_vgpu_type" EIO 2
        run vgpuctl create --type L40S-4Q --gpu "$GPU0"
        [ "$status" -eq 1 ]
        [[ $output == *EIO* ]]
        [ "$(current "$vf")" -eq 0 ]
        [ -z "$(vgpuctl list --all --quiet)" ]
        [ -z "$(find "$VGPUD_DIR/run" -mindepth 1 -maxdepth 1 -name '[!.]*json*')" ]
        # the type is still offered on every VF
        [ "$(vgpuctl --json types --gpu "$GPU0" | jq -r '.[] | select(.name == "NVIDIA L40S-4Q") | .available')" -eq 4 ]
        vgpu-sim ctl fail clear
        run vgpuctl create --type L40S-4Q --gpu "$GPU0"
        [ "$status" -eq 0 ]
        vgpuctl destroy "$output"
}

@test "a vGPU made outside vgpud is listed with a stable UUID and can be destroyed" {
        echo 1150 >/sys/bus/pci/devices/0000:ca:00.5/nvidia/current_vgpu_type
        # the simulator sends no uevent for it: a restart scans it
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        run vgpuctl --json list
        [ "$(jq -r '.[0].device' <<<"$output")" = 0000:ca:00.5 ]
        [ "$(jq -r '.[0].origin' <<<"$output")" = external ]
        local u
        u=$(jq -r '.[0].uuid' <<<"$output")
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        [ "$(vgpuctl --json list | jq -r '.[0].uuid')" = "$u" ]
        vgpuctl destroy "$u"
        [ "$(current 0000:ca:00.5)" -eq 0 ]
}

@test "restart keeps the instance; reboot restores the VFs, then the autostart instance" {
        u=$(vgpuctl create --type L40S-2Q --gpu "$GPU0" --autostart)
        vf=$(inst "$u" device)
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        [ "$(inst "$u" state)" = created ]
        [ "$(inst "$u" device)" = "$vf" ]

        vgpud_stop
        vgpu-sim ctl reboot
        [ "$(cat /sys/bus/pci/devices/$GPU0/sriov_numvfs)" -eq 0 ]
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(cat /sys/bus/pci/devices/$GPU0/sriov_numvfs)" -eq 4 ]
        wait_for 5 bash -c "vgpuctl --json list | jq -e '.[] | select(.uuid == \"$u\") | .state == \"created\"'"
        [ "$(inst "$u" device)" = "$vf" ]
        [ "$(current "$vf")" -eq 1148 ]
        vgpuctl destroy "$u"
}
