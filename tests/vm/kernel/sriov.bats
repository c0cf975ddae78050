# SR-IOV and VFIO on the real kernel: VFs of QEMU's NVMe controller with their own IOMMU groups, bound
# to vfio-pci through driver_override and drivers_probe, a whole-VF instance, persistence across a
# vgpud restart, driverctl on the same host, a VF bound on request left to whoever bound it, and a
# process holding /dev/vfio/N (as QEMU does).
load vm

setup_file() {
        vm_require
        bus_start
        vm_vgpud_start
}

teardown() {
        vm_log_if_failed
}

teardown_file() {
        vm_vgpud_stop
        bus_stop
        vm_clean_host
}

vf_of() { basename "$(readlink /sys/bus/pci/devices/"$PF"/virtfn"$1")"; }
driver_of() { basename "$(readlink /sys/bus/pci/devices/"$1"/driver 2>/dev/null)" 2>/dev/null || true; }

@test "sriov enable: the kernel's VFs, each in an IOMMU group of its own" {
        run vgpuctl sriov enable "$PF" --vfs 2
        [ "$status" -eq 0 ]
        [ "$(cat /sys/bus/pci/devices/"$PF"/sriov_numvfs)" = 2 ]
        local g0 g1 gpf
        g0=$(basename "$(readlink /sys/bus/pci/devices/"$(vf_of 0)"/iommu_group)")
        g1=$(basename "$(readlink /sys/bus/pci/devices/"$(vf_of 1)"/iommu_group)")
        gpf=$(basename "$(readlink /sys/bus/pci/devices/"$PF"/iommu_group)")
        [ "$g0" != "$g1" ] && [ "$g0" != "$gpf" ]
        run vgpuctl --json gpus
        [ "$(jq -r ".[] | select(.address == \"$PF\") | .sriov_num_vfs" <<<"$output")" = 2 ]
        run vgpuctl sriov show "$PF"
        [[ $output == *"$(vf_of 0)"* ]]
}

@test "bind and unbind a VF to vfio-pci; driverctl sees a persistent binding" {
        local vf group
        vf=$(vf_of 1)
        run vgpuctl bind "$vf" --persistent
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(driver_of "$vf")" = vfio-pci ]
        group=$(basename "$(readlink /sys/bus/pci/devices/"$vf"/iommu_group)")
        [ -c /dev/vfio/"$group" ]
        run driverctl list-overrides
        [[ $output == *"$vf vfio-pci"* ]]
        run vgpuctl unbind "$vf"
        [ "$status" -eq 0 ]
        [ "$(driver_of "$vf")" != vfio-pci ]
        run driverctl list-overrides
        [[ $output != *"$vf vfio-pci"* ]]
}

@test "a VF bound to vfio-pci on request is taken only by a create that names it" {
        local held free u named
        held=$(vf_of 0) free=$(vf_of 1)
        vgpuctl bind "$held"
        [ "$(driver_of "$held")" = vfio-pci ]
        u=$(vgpuctl create --type vf)
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")" = "$free" ]
        run vgpuctl create --type vf
        [ "$status" -eq 4 ]
        [[ $output == *"bound to vfio-pci on request ($held)"* ]]
        named=$(vgpuctl create --type vf --gpu "$held")
        [ "$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$named\") | .device")" = "$held" ]
        vgpuctl destroy "$named"
        [ "$(driver_of "$held")" = vfio-pci ]
        vgpuctl destroy "$u"
        [ "$(driver_of "$free")" != vfio-pci ]
        vgpuctl unbind "$held"
        [ "$(driver_of "$held")" != vfio-pci ]
}

@test "a whole-VF instance: created on vfio-pci, kept across a vgpud restart, destroyed back" {
        local u vf
        u=$(vgpuctl create --type vf --persistent)
        vf=$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")
        [ "$(driver_of "$vf")" = vfio-pci ]
        vm_vgpud_restart
        run vgpuctl list
        [[ $output =~ $u\ .*vf\ +$vf\ +created ]]
        [ "$(driver_of "$vf")" = vfio-pci ]
        vgpuctl destroy "$u"
        [ "$(driver_of "$vf")" != vfio-pci ]
}

@test "in use: /dev/vfio/N held open makes destroy, stop and unbind refuse with InUse" {
        local u vf group holder
        u=$(vgpuctl create --type vf --persistent)
        vf=$(vgpuctl --json list | jq -r ".[] | select(.uuid == \"$u\") | .device")
        group=$(basename "$(readlink /sys/bus/pci/devices/"$vf"/iommu_group)")
        # what QEMU holds: the group node, open
        sleep 300 <>/dev/vfio/"$group" &
        holder=$!
        run vgpuctl destroy "$u"
        echo "$output"
        [ "$status" -eq 4 ]
        [[ $output == *"$holder"* || $output == *"in use"* || $output == *"InUse"* ]]
        run vgpuctl stop "$u"
        [ "$status" -eq 4 ]
        [ "$(driver_of "$vf")" = vfio-pci ]
        kill "$holder"
        wait "$holder" || true
        run vgpuctl destroy "$u"
        [ "$status" -eq 0 ]
        [ "$(driver_of "$vf")" != vfio-pci ]
}

@test "in use: an mdev whose /dev/vfio/N is held open is not destroyed" {
        local u group holder
        u=$(vgpuctl create --type mbochs-small)
        group=$(basename "$(readlink /sys/bus/mdev/devices/"$u"/iommu_group)")
        sleep 300 <>/dev/vfio/"$group" &
        holder=$!
        run vgpuctl destroy "$u"
        echo "$output"
        [ "$status" -eq 4 ]
        [ -e /sys/bus/mdev/devices/"$u" ]
        kill "$holder"
        wait "$holder" || true
        run vgpuctl destroy "$u"
        [ "$status" -eq 0 ]
        [ ! -e /sys/bus/mdev/devices/"$u" ]
}

@test "sriov disable: refused while a VF is an instance, done after" {
        local u
        u=$(vgpuctl create --type vf)
        run vgpuctl sriov disable "$PF"
        echo "$output"
        [ "$status" -ne 0 ]
        [ "$(cat /sys/bus/pci/devices/"$PF"/sriov_numvfs)" = 2 ]
        vgpuctl destroy "$u"
        [ "$(cat /sys/bus/pci/devices/"$PF"/sriov_drivers_autoprobe)" = 0 ] # vgpud's, for its VFs
        run vgpuctl sriov disable "$PF"
        [ "$status" -eq 0 ]
        [ "$(cat /sys/bus/pci/devices/"$PF"/sriov_numvfs)" = 0 ]
        [ "$(cat /sys/bus/pci/devices/"$PF"/sriov_drivers_autoprobe)" = 1 ] # the kernel's default again
}
