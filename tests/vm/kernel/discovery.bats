# vgpud's view of a real kernel: the sample mdev parents and the NVMe PF, with the values the kernel
# itself shows in sysfs.
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
        vgpud_stop
        bus_stop
        vm_clean_host
}

@test "gpus: the sample parents and the SR-IOV PF, as the kernel shows them" {
        run vgpuctl --json gpus
        [ "$status" -eq 0 ]
        local gpus=$output p
        for p in mbochs mdpy mtty; do
                [ "$(jq -r ".[] | select(.address == \"$p\") | .backends | join(\",\")" <<<"$gpus")" = mdev ]
                [ "$(jq -r ".[] | select(.address == \"$p\") | .types" <<<"$gpus")" = \
                        "$(ls /sys/class/mdev_bus/$p/mdev_supported_types | wc -l)" ]
        done
        local group
        group=$(basename "$(readlink /sys/bus/pci/devices/"$PF"/iommu_group)")
        [ "$(jq -r ".[] | select(.address == \"$PF\") | .iommu_group" <<<"$gpus")" = "$group" ]
        [ "$(jq -r ".[] | select(.address == \"$PF\") | .sriov_total_vfs" <<<"$gpus")" = \
                "$(cat /sys/bus/pci/devices/"$PF"/sriov_totalvfs)" ]
        [ "$(jq -r ".[] | select(.address == \"$PF\") | .driver" <<<"$gpus")" = nvme ]
        # the table an administrator reads
        run vgpuctl gpus
        [[ $output == *"mbochs "* && $output == *"$PF"* ]]
}

@test "types: every type of the sample parents with the kernel's name, device_api and availability" {
        run vgpuctl --json types
        [ "$status" -eq 0 ]
        local types=$output t id parent n
        n=0
        for t in /sys/class/mdev_bus/*/mdev_supported_types/*; do
                id=$(basename "$t")
                parent=$(basename "$(dirname "$(dirname "$t")")")
                local sel=".[] | select(.id == \"$id\" and .gpu == \"$parent\")"
                [ "$(jq -r "$sel | .available" <<<"$types")" = "$(cat "$t/available_instances")" ]
                [ "$(jq -r "$sel | .device_api" <<<"$types")" = "$(cat "$t/device_api")" ]
                [ "$(jq -r "$sel | .name" <<<"$types")" = "$(cat "$t/name")" ]
                n=$((n + 1))
        done
        [ "$n" -eq 8 ] # mbochs 3, mdpy 3, mtty 2
        # the kernel's own descriptions are passed on
        [[ $(jq -r '.[] | select(.id == "mtty-2") | .description' <<<"$types") == *"$(head -1 /sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2/description)"* ]]
}

@test "types: the VF type appears with SR-IOV and goes with it" {
        run vgpuctl sriov enable "$PF" --vfs 2 --no-persist
        [ "$status" -eq 0 ]
        run vgpuctl --json types
        [ "$(jq -r '.[] | select(.backend == "vf") | .available' <<<"$output")" = 2 ]
        run vgpuctl sriov disable "$PF" --no-persist
        [ "$status" -eq 0 ]
        run vgpuctl --json types
        [ "$(jq -r '[.[] | select(.backend == "vf")] | length' <<<"$output")" = 0 ]
}

@test "an alias that resolves on this host: mtty's vendor name normalized" {
        run vgpuctl types --quiet
        [[ $output == *"single-port-serial"* ]]
        local u
        u=$(vgpuctl create --type single-port-serial)
        [ -e /sys/bus/mdev/devices/"$u" ]
        [ "$(basename "$(readlink /sys/bus/mdev/devices/"$u"/mdev_type)")" = mtty-1 ]
        vgpuctl destroy "$u"
        [ ! -e /sys/bus/mdev/devices/"$u" ]
}

@test "doctor: no vfio_mdev on a kernel >= 5.16 is no problem (each parent's driver serves the mdev bus)" {
        [ ! -e /sys/bus/mdev/drivers/vfio_mdev ]
        run vgpuctl doctor
        echo "$output"
        [[ $output != *"vfio_mdev"* ]]
}
