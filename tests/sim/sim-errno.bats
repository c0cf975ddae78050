# vgpu-sim: --profile mixed
#
# Every errno row of shared/reference/sysfs-abi.md, written with plain echo
# into the simulated files, plus the kernfs rules around them.
load sim-helpers

T4=0000:3b:00.0
IGD=0000:00:02.0
A16=0000:41:00.0
FLEX=0000:4d:00.0
A5000=0000:65:00.0
AUDIO=0000:65:00.1
L40S=0000:ca:00.0
U1=aaaaaaaa-1111-4111-8111-111111111111
U2=bbbbbbbb-2222-4222-8222-222222222222

setup() {
        sim_reset
}

driver_of() {
        basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
}

# --- mdev create ---

@test "create: 35 or 38 bytes is EINVAL; 36 bytes (echo -n) and 37 work" {
        sysfs_write_n "${U1:0:35}" "$(type_dir $T4 nvidia-222)/create"
        expect_errno "Invalid argument"
        sysfs_write "${U1}x" "$(type_dir $T4 nvidia-222)/create"
        expect_errno "Invalid argument"
        sysfs_write_n "$U1" "$(type_dir $T4 nvidia-222)/create"
        expect_ok
        sysfs_write "$U2" "$(type_dir $T4 nvidia-222)/create"
        expect_ok
        [ -d /sys/bus/mdev/devices/$U1 ] && [ -d /sys/bus/mdev/devices/$U2 ]
}

@test "create: the kernel never looks at a 37th byte, only at the length" {
        sysfs_write_n "${U1}x" "$(type_dir $T4 nvidia-222)/create"
        expect_ok
        [ -d /sys/bus/mdev/devices/$U1 ]
}

@test "create: an unparsable UUID is EINVAL; upper case is accepted and shown lower case" {
        sysfs_write "zzzzzzzz-1111-4111-8111-111111111111" "$(type_dir $T4 nvidia-222)/create"
        expect_errno "Invalid argument"
        sysfs_write "aaaaaaaa+1111-4111-8111-111111111111" "$(type_dir $T4 nvidia-222)/create"
        expect_errno "Invalid argument"
        sysfs_write "AAAAAAAA-1111-4111-8111-111111111111" "$(type_dir $T4 nvidia-222)/create"
        expect_ok
        [ -d /sys/bus/mdev/devices/$U1 ]
}

@test "create: a UUID already used on any parent is EEXIST" {
        echo $U1 >"$(type_dir $T4 nvidia-222)/create"
        sysfs_write $U1 "$(type_dir $T4 nvidia-222)/create"
        expect_errno "File exists"
        sysfs_write $U1 "$(type_dir $IGD i915-GVTg_V5_8)/create"
        expect_errno "File exists"
}

@test "create: the parent going away under a slow create is ENODEV" {
        vgpu-sim ctl latency "$(type_dir $T4 nvidia-222)/create" 1000
        bash -c 'echo $1 > $2' _ $U1 "$(type_dir $T4 nvidia-222)/create" 2>"$BATS_TEST_TMPDIR/err" &
        writer=$!
        sleep 0.3
        vgpu-sim ctl unplug $T4
        local rc=0
        wait $writer || rc=$?
        [ "$rc" -ne 0 ]
        grep -q "No such device" "$BATS_TEST_TMPDIR/err"
        [ ! -e /sys/bus/mdev/devices/$U1 ]
}

@test "create: NVIDIA refuses a second type on a GPU, and a full type, with EINVAL" {
        echo $U1 >"$(type_dir $T4 nvidia-234)/create" # T4-16Q: the whole GPU
        sysfs_write $U2 "$(type_dir $T4 nvidia-234)/create"
        expect_errno "Invalid argument"
        sysfs_write $U2 "$(type_dir $T4 nvidia-222)/create"
        expect_errno "Invalid argument"
}

@test "create: GVT-g with no room left is ENOSPC" {
        sysfs_write $U1 "$(type_dir $IGD i915-GVTg_V5_1)/create"
        expect_errno "No space left on device"
        echo $U1 >"$(type_dir $IGD i915-GVTg_V5_2)/create"
        sysfs_write $U2 "$(type_dir $IGD i915-GVTg_V5_2)/create"
        expect_errno "No space left on device"
}

# --- mdev remove ---

@test "remove: a non-number is EINVAL, 0 does nothing, non-zero removes" {
        echo $U1 >"$(type_dir $T4 nvidia-222)/create"
        sysfs_write abc /sys/bus/mdev/devices/$U1/remove
        expect_errno "Invalid argument"
        sysfs_write 0 /sys/bus/mdev/devices/$U1/remove
        expect_ok
        [ -d /sys/bus/mdev/devices/$U1 ]
        sysfs_write 0x2 /sys/bus/mdev/devices/$U1/remove
        expect_ok
        [ ! -e /sys/bus/mdev/devices/$U1 ]
}

@test "remove: the vendor refuses while a VM holds the device (EBUSY)" {
        echo $U1 >"$(type_dir $T4 nvidia-222)/create"
        vgpu-sim ctl hold $U1
        sysfs_write 1 /sys/bus/mdev/devices/$U1/remove
        expect_errno "Device or resource busy"
        vgpu-sim ctl release $U1
        sysfs_write 1 /sys/bus/mdev/devices/$U1/remove
        expect_ok
}

# --- NVIDIA vendor-specific VFIO ---

@test "current_vgpu_type: base-10 only, set needs 0 first, in use cannot be cleared, unknown is EINVAL" {
        echo 2 >/sys/bus/pci/devices/$L40S/sriov_numvfs
        cur=/sys/bus/pci/devices/0000:ca:00.4/nvidia/current_vgpu_type
        sysfs_write abc $cur
        expect_errno "Invalid argument"
        sysfs_write 9999 $cur
        expect_errno "Invalid argument"
        sysfs_write 1148 $cur
        expect_ok
        sysfs_write 1150 $cur
        expect_errno "Device or resource busy"
        vgpu-sim ctl hold 0000:ca:00.4
        sysfs_write 0 $cur
        expect_errno "Device or resource busy"
        vgpu-sim ctl release 0000:ca:00.4
        sysfs_write 0 $cur
        expect_ok
        [ "$(cat $cur)" = 0 ]
        # another VF cannot take a type the GPU's current type excludes
        echo 1148 >$cur
        sysfs_write 1150 /sys/bus/pci/devices/0000:ca:00.5/nvidia/current_vgpu_type
        expect_errno "Invalid argument"
}

# --- SR-IOV ---

@test "sriov_numvfs: not a u16 (70000 included, as Linux 6.1 answers) is EINVAL, above totalvfs ERANGE" {
        f=/sys/bus/pci/devices/$L40S/sriov_numvfs
        sysfs_write abc $f
        expect_errno "Invalid argument"
        sysfs_write -1 $f
        expect_errno "Invalid argument"
        sysfs_write 70000 $f
        expect_errno "Invalid argument"
        sysfs_write 33 $f
        expect_errno "Numerical result out of range"
        [ "$(cat $f)" = 0 ]
}

@test "sriov_numvfs: the current value is a no-op; a change while enabled is EBUSY; 0 disables" {
        f=/sys/bus/pci/devices/$A16/sriov_numvfs
        sysfs_write 16 $f
        expect_ok
        sysfs_write 4 $f
        expect_errno "Device or resource busy"
        [ "$(cat $f)" = 16 ]
        sysfs_write 0 $f
        expect_ok
        [ ! -e /sys/bus/pci/devices/0000:41:00.4 ]
        [ ! -e /sys/bus/pci/devices/$A16/virtfn0 ]
        sysfs_write 0x4 $f
        expect_ok
        [ -L /sys/bus/pci/devices/$A16/virtfn3 ] && [ ! -e /sys/bus/pci/devices/$A16/virtfn4 ]
        [ "$(readlink /sys/bus/pci/devices/0000:41:00.7/physfn)" = ../$A16 ]
}

@test "sriov_numvfs 0 is refused while a VM holds a VF or an mdev on one" {
        echo $U1 >"$(type_dir 0000:41:00.4 nvidia-686)/create"
        vgpu-sim ctl hold $U1
        sysfs_write 0 /sys/bus/pci/devices/$A16/sriov_numvfs
        expect_errno "Device or resource busy"
        vgpu-sim ctl release $U1
        vgpu-sim ctl hold 0000:41:01.0
        sysfs_write 0 /sys/bus/pci/devices/$A16/sriov_numvfs
        expect_errno "Device or resource busy"
        vgpu-sim ctl release 0000:41:01.0
        sysfs_write 0 /sys/bus/pci/devices/$A16/sriov_numvfs
        expect_ok
        [ ! -e /sys/bus/mdev/devices/$U1 ]
}

@test "sriov_numvfs: a PF without a driver, or whose driver has no sriov_configure, is ENOENT" {
        echo $L40S >/sys/bus/pci/drivers/nvidia/unbind
        sysfs_write 2 /sys/bus/pci/devices/$L40S/sriov_numvfs
        expect_errno "No such file or directory"
        echo $FLEX >/sys/bus/pci/drivers/i915/unbind
        echo pci-stub >/sys/bus/pci/devices/$FLEX/driver_override
        echo $FLEX >/sys/bus/pci/drivers_probe
        [ "$(driver_of $FLEX)" = pci-stub ]
        sysfs_write 2 /sys/bus/pci/devices/$FLEX/sriov_numvfs
        expect_errno "No such file or directory"
        # vfio-pci has the callback but refuses unless loaded with enable_sriov=1
        echo $FLEX >/sys/bus/pci/drivers/pci-stub/unbind
        echo vfio-pci >/sys/bus/pci/devices/$FLEX/driver_override
        echo $FLEX >/sys/bus/pci/drivers_probe
        sysfs_write 2 /sys/bus/pci/devices/$FLEX/sriov_numvfs
        expect_errno "No such file or directory"
}

@test "VFs: offset/stride addressing, own IOMMU groups, and sriov_drivers_autoprobe" {
        echo 3 >/sys/bus/pci/devices/$FLEX/sriov_numvfs
        for vf in 0000:4d:00.1 0000:4d:00.2 0000:4d:00.3; do
                [ "$(driver_of $vf)" = i915 ]
                [ "$(cat /sys/bus/pci/devices/$vf/device)" = 0x56c0 ]
        done
        echo 0 >/sys/bus/pci/devices/$FLEX/sriov_numvfs
        echo 0 >/sys/bus/pci/devices/$FLEX/sriov_drivers_autoprobe
        echo 2 >/sys/bus/pci/devices/$FLEX/sriov_numvfs
        [ ! -e /sys/bus/pci/devices/0000:4d:00.1/driver ]
        # a VF of a PF without autoprobe binds only through driver_override
        sysfs_write 0000:4d:00.1 /sys/bus/pci/drivers/i915/bind
        expect_errno "No such device"
        echo vfio-pci >/sys/bus/pci/devices/0000:4d:00.1/driver_override
        echo 0000:4d:00.1 >/sys/bus/pci/drivers_probe
        [ "$(driver_of 0000:4d:00.1)" = vfio-pci ]
        sysfs_write maybe /sys/bus/pci/devices/$FLEX/sriov_drivers_autoprobe
        expect_errno "Invalid argument"
}

# --- driver binding ---

@test "unbind: ENODEV unless the device is bound to that driver" {
        sysfs_write $T4 /sys/bus/pci/drivers/vfio-pci/unbind
        expect_errno "No such device"
        sysfs_write 0000:99:00.0 /sys/bus/pci/drivers/nvidia/unbind
        expect_errno "No such device"
        sysfs_write $T4 /sys/bus/pci/drivers/nvidia/unbind
        expect_ok
        [ ! -e /sys/bus/pci/devices/$T4/driver ]
        [ ! -e /sys/bus/pci/drivers/nvidia/$T4 ]
}

@test "bind: ENODEV for no such device or no match, EBUSY when already bound" {
        sysfs_write 0000:99:00.0 /sys/bus/pci/drivers/nvidia/bind
        expect_errno "No such device"
        sysfs_write $T4 /sys/bus/pci/drivers/nvidia/bind
        expect_errno "Device or resource busy"
        echo $T4 >/sys/bus/pci/drivers/nvidia/unbind
        sysfs_write $T4 /sys/bus/pci/drivers/snd_hda_intel/bind
        expect_errno "No such device"
        sysfs_write $T4 /sys/bus/pci/drivers/vfio-pci/bind
        expect_errno "No such device"
        sysfs_write $T4 /sys/bus/pci/drivers/nvidia/bind
        expect_ok
        [ "$(driver_of $T4)" = nvidia ]
}

@test "drivers_probe: ENODEV for an unknown device; probes a driverless one" {
        sysfs_write 0000:99:00.0 /sys/bus/pci/drivers_probe
        expect_errno "No such device"
        echo $AUDIO >/sys/bus/pci/drivers/snd_hda_intel/unbind
        sysfs_write $AUDIO /sys/bus/pci/drivers_probe
        expect_ok
        [ "$(driver_of $AUDIO)" = snd_hda_intel ]
}

@test "driver_override: restricts binding, 'none' opts out, empty clears; it neither unbinds nor loads" {
        f=/sys/bus/pci/devices/$A5000/driver_override
        [ "$(cat $f)" = "(null)" ]
        echo vfio-pci >$f
        [ "$(cat $f)" = vfio-pci ]
        [ "$(driver_of $A5000)" = nvidia ] # not unbound by the override
        echo $A5000 >/sys/bus/pci/drivers/nvidia/unbind
        sysfs_write $A5000 /sys/bus/pci/drivers/nvidia/bind
        expect_errno "No such device"
        echo $A5000 >/sys/bus/pci/drivers_probe
        [ "$(driver_of $A5000)" = vfio-pci ]
        echo $A5000 >/sys/bus/pci/drivers/vfio-pci/unbind
        echo none >$f
        echo $A5000 >/sys/bus/pci/drivers_probe
        [ ! -e /sys/bus/pci/devices/$A5000/driver ]
        echo >$f
        [ "$(cat $f)" = "(null)" ]
        echo $A5000 >/sys/bus/pci/drivers_probe
        [ "$(driver_of $A5000)" = nvidia ]
}

@test "the usual detach and restore: override, unbind, drivers_probe" {
        echo vfio-pci >/sys/bus/pci/devices/$AUDIO/driver_override
        echo $AUDIO >/sys/bus/pci/devices/$AUDIO/driver/unbind
        echo $AUDIO >/sys/bus/pci/drivers_probe
        [ "$(driver_of $AUDIO)" = vfio-pci ]
        echo >/sys/bus/pci/devices/$AUDIO/driver_override
        echo $AUDIO >/sys/bus/pci/devices/$AUDIO/driver/unbind
        echo $AUDIO >/sys/bus/pci/drivers_probe
        [ "$(driver_of $AUDIO)" = snd_hda_intel ]
}

@test "unbind from vfio-pci blocks while a VM holds the device, and completes on release" {
        echo vfio-pci >/sys/bus/pci/devices/$A5000/driver_override
        echo $A5000 >/sys/bus/pci/drivers/nvidia/unbind
        echo $A5000 >/sys/bus/pci/drivers_probe
        vgpu-sim ctl hold $A5000
        bash -c 'echo $1 > /sys/bus/pci/drivers/vfio-pci/unbind' _ $A5000 &
        writer=$!
        sleep 0.3
        kill -0 $writer # still blocked in write()
        [ "$(driver_of $A5000)" = vfio-pci ]
        cat /sys/bus/pci/devices/$A5000/vendor # the rest of sysfs answers meanwhile
        vgpu-sim ctl release $A5000
        wait $writer
        [ ! -e /sys/bus/pci/devices/$A5000/driver ]
}

@test "new_id: EINVAL with fewer than two fields, EEXIST when already matched, binds what now matches" {
        sysfs_write "10de" /sys/bus/pci/drivers/vfio-pci/new_id
        expect_errno "Invalid argument"
        # snd_hda_intel's table matches by class: an id with that class already matches
        sysfs_write "10de 1aef ffffffff ffffffff 040300 ffffff" /sys/bus/pci/drivers/snd_hda_intel/new_id
        expect_errno "File exists"
        echo $AUDIO >/sys/bus/pci/drivers/snd_hda_intel/unbind
        sysfs_write "10de 1aef" /sys/bus/pci/drivers/vfio-pci/new_id
        expect_ok
        [ "$(driver_of $AUDIO)" = vfio-pci ]
        sysfs_write "10de 1aef" /sys/bus/pci/drivers/vfio-pci/new_id
        expect_errno "File exists"
        sysfs_write "10de 1aef" /sys/bus/pci/drivers/vfio-pci/remove_id
        expect_ok
        sysfs_write "10de 1aef" /sys/bus/pci/drivers/vfio-pci/remove_id
        expect_errno "No such device"
        sysfs_write "10de" /sys/bus/pci/drivers/vfio-pci/remove_id
        expect_errno "Invalid argument"
}

@test "remove and rescan: a soft-removed function comes back on rescan, an unplugged one does not" {
        sysfs_write abc /sys/bus/pci/devices/$A5000/remove
        expect_errno "Invalid argument"
        echo 0 >/sys/bus/pci/devices/$A5000/remove
        [ -e /sys/bus/pci/devices/$A5000 ]
        echo 1 >/sys/bus/pci/devices/$A5000/remove
        [ ! -e /sys/bus/pci/devices/$A5000 ]
        [ -e /sys/bus/pci/devices/$AUDIO ] # only that function
        vgpu-sim ctl unplug $T4
        echo 1 >/sys/bus/pci/rescan
        [ "$(driver_of $A5000)" = nvidia ]
        [ ! -e /sys/bus/pci/devices/$T4 ]
        [ ! -e /sys/bus/pci/devices/0000:41:00.4/remove ] # VFs go through sriov_numvfs
}

# --- kernfs rules ---

@test "kernfs: a write-only attribute cannot be read, a read-only one not written, nothing created" {
        run cat "$(type_dir $T4 nvidia-222)/create"
        [[ $status -ne 0 && $output == *"Permission denied"* ]]
        sysfs_write 0x1234 /sys/bus/pci/devices/$T4/vendor
        expect_errno "Permission denied"
        sysfs_write x /sys/bus/pci/devices/$T4/new_file
        expect_errno "Permission denied"
        run mkdir /sys/bus/pci/devices/$T4/dir
        [[ $status -ne 0 && $output == *"Operation not permitted"* ]]
        run rm /sys/bus/pci/devices/$T4/vendor
        [ "$status" -ne 0 ]
        [ "$(stat -c %s /sys/bus/pci/devices/$T4/vendor)" = 4096 ]
}

@test "config space: 4096 bytes, IDs and class where lspci reads them, VFs read 0xffff" {
        [ "$(stat -c %s /sys/bus/pci/devices/$T4/config)" = 4096 ]
        [ "$(od -An -tx2 -N4 /sys/bus/pci/devices/$T4/config | tr -s ' ')" = " 10de 1eb8" ]
        [ "$(od -An -tx1 -j9 -N3 /sys/bus/pci/devices/$T4/config | tr -s ' ')" = " 00 02 03" ]
        [ "$(od -An -tx2 -N4 /sys/bus/pci/devices/0000:41:00.4/config | tr -s ' ')" = " ffff ffff" ]
        [ "$(cat /sys/bus/pci/devices/0000:41:00.4/device)" = 0x25b6 ]
        # writes past the end of the binary attribute are EFBIG, as sysfs says
        run dd if=/dev/zero of=/sys/bus/pci/devices/$T4/config bs=1 seek=4096 count=1 conv=notrunc
        [[ $status -ne 0 && $output == *"File too large"* ]]
        # the command register takes writes; the IDs do not
        printf '\x02' | dd of=/sys/bus/pci/devices/$T4/config bs=1 seek=4 count=1 conv=notrunc status=none
        printf '\xff\xff' | dd of=/sys/bus/pci/devices/$T4/config bs=1 seek=0 count=2 conv=notrunc status=none
        [ "$(od -An -tx2 -N6 /sys/bus/pci/devices/$T4/config | tr -s ' ')" = " 10de 1eb8 0002" ]
}
