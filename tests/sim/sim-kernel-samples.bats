# vgpu-sim: --profile kernel-samples
#
# The kernel-samples profile: the parents of tests/vm/vgpu-vm's guest (Linux 6.1's sample mdev
# drivers as virtual devices, QEMU's NVMe PF with SR-IOV), and the two ways a parent is counted.
# mdpy leaves the count to the mdev core, which answers EUSERS when the parent is full; mtty and
# mbochs keep their own and answer ENOSPC. tests/vm/kernel/sim-diff.bats compares the whole
# profile with the real kernel; this suite pins the counting rules without a VM.
load sim-helpers

setup() {
        sim_reset
}

uuid() { printf 'c0ffee00-0000-4000-8000-%012x\n' "$1"; }

@test "the sample parents are virtual devices with their own class, module and mdev driver" {
        for p in mbochs mdpy mtty; do
                [ "$(readlink /sys/class/mdev_bus/$p)" = "../../devices/virtual/$p/$p" ]
                [ "$(readlink /sys/devices/virtual/$p/$p/subsystem)" = "../../../../class/$p" ]
                [ -d /sys/bus/mdev/drivers/$p ]
                [ "$(readlink /sys/bus/mdev/drivers/$p/module)" = "../../../../module/$p" ]
        done
        [ ! -e /sys/bus/mdev/drivers/vfio_mdev ]
        # mtty's types have a pretty name and no description; mdpy's and mbochs' the reverse.
        [ "$(cat "$(type_dir mtty mtty-2)/name")" = "Dual port serial" ]
        [ ! -e "$(type_dir mtty mtty-2)/description" ]
        [ "$(cat "$(type_dir mdpy mdpy-hd)/description")" = "virtual display, 1920x1080 framebuffer" ]
        [ "$(cat "$(type_dir mbochs mbochs-small)/name")" = "mbochs-small" ]
}

@test "mdpy: the mdev core counts for the whole parent and answers EUSERS when it is full" {
        for i in 1 2 3 4; do
                uuid $i >"$(type_dir mdpy mdpy-vga)/create"
                [ "$(available mdpy mdpy-hd)" = $((4 - i)) ]
        done
        [ "$(available mdpy mdpy-vga)" = 0 ]
        sysfs_write "$(uuid 5)" "$(type_dir mdpy mdpy-xga)/create"
        expect_errno "Too many users"
        [ ! -e /sys/bus/mdev/devices/"$(uuid 5)" ]
        echo 1 >/sys/bus/mdev/devices/"$(uuid 1)"/remove
        [ "$(available mdpy mdpy-xga)" = 1 ]
        uuid 5 >"$(type_dir mdpy mdpy-xga)/create"
        [ "$(readlink /sys/bus/mdev/devices/"$(uuid 5)"/driver)" = "../../../../../bus/mdev/drivers/mdpy" ]
}

@test "mtty and mbochs: the driver's pool is shared by the types, and full is ENOSPC" {
        uuid 1 >"$(type_dir mtty mtty-2)/create"
        [ "$(available mtty mtty-1)" = 22 ]
        [ "$(available mtty mtty-2)" = 11 ]
        for i in $(seq 2 12); do uuid "$i" >"$(type_dir mtty mtty-2)/create"; done
        sysfs_write "$(uuid 13)" "$(type_dir mtty mtty-1)/create"
        expect_errno "No space left on device"
        uuid 20 >"$(type_dir mbochs mbochs-large)/create"
        [ "$(available mbochs mbochs-small)" = 48 ]
        [ "$(available mbochs mbochs-medium)" = 12 ]
        for i in 21 22 23; do uuid "$i" >"$(type_dir mbochs mbochs-large)/create"; done
        sysfs_write "$(uuid 24)" "$(type_dir mbochs mbochs-small)/create"
        expect_errno "No space left on device"
}

@test "an mdev's uevent has its driver and, as on Linux 6.1, no MDEV_TYPE" {
        uuid 1 >"$(type_dir mtty mtty-1)/create"
        [ "$(cat /sys/bus/mdev/devices/"$(uuid 1)"/uevent)" = "DRIVER=mtty" ]
}

@test "the NVMe PF sits behind its root port; VFs come and go first to last, with the kernel's events" {
        PF=/sys/bus/pci/devices/0000:01:00.0
        [ "$(readlink $PF)" = "../../../devices/pci0000:00/0000:00:04.0/0000:01:00.0" ]
        [ "$(cat $PF/numa_node)" = -1 ]
        [ "$(cat /sys/kernel/iommu_groups/6/type)" = identity ]
        monitor_start
        echo 2 >$PF/sriov_numvfs
        echo 0 >$PF/sriov_numvfs
        monitor_wait "remove +/devices/pci0000:00/0000:00:04.0/0000:01:00.2 "
        run grep -E -o "^UDEV .* (add|change|remove|bind|unbind) +[^ ]+" "$MONITOR_LOG"
        actions=$(sed -E 's/^UDEV +\[[^]]*\] +//; s/ +/ /g; s|/devices/pci0000:00/0000:00:04.0/||' <<<"$output")
        [ "$actions" = "$(printf '%s\n' 'add 0000:01:00.1' 'change 0000:01:00.1' 'bind 0000:01:00.1' \
                'add 0000:01:00.2' 'change 0000:01:00.2' 'bind 0000:01:00.2' 'change 0000:01:00.0' \
                'unbind 0000:01:00.1' 'remove 0000:01:00.1' 'unbind 0000:01:00.2' 'remove 0000:01:00.2')" ]
}
