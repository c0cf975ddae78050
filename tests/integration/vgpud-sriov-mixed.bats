# vgpu-sim: --profile mixed
# SR-IOV and binding among other GPUs: an IOMMU group with a non-viable
# member (RTX A5000 + its HDMI audio), the A16's per-VF mdev parents (VFs on
# at boot) refusing a count change while an mdev lives on a VF, and a
# persisted count that differs from the power-on one.
load helpers
load vgpud

A5000=0000:65:00.0
AUDIO=0000:65:00.1
A16=0000:41:00.0

setup() {
        bus_start_with_policy
        # shellcheck disable=SC2034 # read by vgpud_start (vgpud.bash)
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        vgpud_start
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        vgpu-sim ctl reboot
        rm -f /etc/driverctl.d/pci-*
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

driver_of() {
        local l
        l=$(readlink "/sys/bus/pci/devices/$1/driver") || { echo none; return 0; }
        basename "$l"
}

@test "a group with a non-viable member is refused, naming the member and its driver; --group binds both" {
        run vgpuctl bind "$A5000"
        [ "$status" -eq 4 ]
        [[ $output == *"$AUDIO"* ]]
        [[ $output == *snd_hda_intel* ]]
        [[ $output == *"IOMMU group 60"* ]]
        [ "$(driver_of "$A5000")" = nvidia ]
        [ "$(driver_of "$AUDIO")" = snd_hda_intel ]

        run vgpuctl bind "$A5000" --group --persistent
        [ "$status" -eq 0 ]
        [ "$(driver_of "$A5000")" = vfio-pci ]
        [ "$(driver_of "$AUDIO")" = vfio-pci ]
        run driverctl list-overrides
        [[ $output == *"$A5000 vfio-pci"* ]]
        [[ $output == *"$AUDIO vfio-pci"* ]]

        # unbind gives each its own driver back
        vgpuctl unbind "$AUDIO"
        vgpuctl unbind "$A5000"
        [ "$(driver_of "$A5000")" = nvidia ]
        [ "$(driver_of "$AUDIO")" = snd_hda_intel ]
        run driverctl list-overrides
        [[ $output != *"$A5000"* ]]
}

@test "an mdev parent is not bound away; a count change with an mdev on a VF is refused" {
        local vf
        vf=$(vgpuctl --json sriov show "$A16" | jq -r '.virtual_functions[0].address')
        run vgpuctl bind "$vf"
        [ "$status" -eq 4 ]
        [[ $output == *"mdev parent"* ]]

        u=$(vgpuctl create --type A16-2Q --gpu "$A16")
        run vgpuctl sriov enable "$A16" --vfs 8
        [ "$status" -eq 4 ]
        [[ $output == *"$u"* ]]
        [ "$(cat /sys/bus/pci/devices/$A16/sriov_numvfs)" -eq 16 ]
        vgpuctl destroy "$u"
}

@test "a persisted count different from the power-on one is restored through 0" {
        vgpuctl sriov enable "$A16" --vfs 8
        [ "$(cat /sys/bus/pci/devices/$A16/sriov_numvfs)" -eq 8 ]
        [ "$(vgpuctl --json sriov show "$A16" | jq -r '.virtual_functions | length')" -eq 8 ]
        vgpud_stop
        vgpu-sim ctl reboot
        [ "$(cat /sys/bus/pci/devices/$A16/sriov_numvfs)" -eq 16 ]
        vgpud_start
        [ "$(cat /sys/bus/pci/devices/$A16/sriov_numvfs)" -eq 8 ]
        run vgpuctl --json sriov show "$A16"
        [ "$(jq -r .status <<<"$output")" = ok ]
        [ "$(jq -r '.virtual_functions | length' <<<"$output")" -eq 8 ]
        # the types are merged over the 8 VF parents that remain
        [ "$(vgpuctl --json types --gpu "$A16" | jq -r '.[] | select(.name == "NVIDIA A16-2Q") | .available')" -gt 0 ]
}
