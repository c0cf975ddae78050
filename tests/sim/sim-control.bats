# vgpu-sim: --profile mixed
#
# The control interface while running: injected failures and latency, the window of an unfinished mdev,
# hot-unplug and re-plug with their uevents, reboot, loading another profile.
load sim-helpers

T4=0000:3b:00.0
A16=0000:41:00.0
A5000=0000:65:00.0
U1=cccccccc-3333-4333-8333-333333333333

setup() {
        sim_reset
}

teardown() {
        monitor_stop
}

@test "fail: the next N writes fail with the chosen errno, then writes work again" {
        create="$(type_dir $T4 nvidia-222)/create"
        vgpu-sim ctl fail "$create" EAGAIN 2
        run vgpu-sim ctl faults
        [[ $output == *"/devices/pci0000:3b/$T4/mdev_supported_types/nvidia-222/create EAGAIN 2"* ]]
        sysfs_write $U1 "$create"
        expect_errno "Resource temporarily unavailable"
        sysfs_write $U1 "$create"
        expect_errno "Resource temporarily unavailable"
        [ ! -e /sys/bus/mdev/devices/$U1 ]
        sysfs_write $U1 "$create"
        expect_ok
        [ -d /sys/bus/mdev/devices/$U1 ]
}

@test "fail: a path through a symlink names the same attribute; numbers work as errno" {
        vgpu-sim ctl fail /sys/bus/pci/devices/$A16/sriov_numvfs 16
        sysfs_write 0 /sys/devices/pci0000:41/$A16/sriov_numvfs
        expect_errno "Device or resource busy"
        [ "$(cat /sys/bus/pci/devices/$A16/sriov_numvfs)" = 16 ]
}

@test "fail: bad requests are refused with an errno of their own" {
        run vgpu-sim ctl fail /sys/bus/pci/devices/$T4/vendor ENOTANERRNO
        [ "$status" -ne 0 ]
        run vgpu-sim ctl fail /sys/bus/pci/devices/$T4/nonexistent EBUSY
        [ "$status" -ne 0 ]
        sysfs_write "x" /sys/kernel/debug/vgpu-sim/fail
        expect_errno "Invalid argument"
        sysfs_write "/bus/pci/devices EBUSY" /sys/kernel/debug/vgpu-sim/fail
        expect_errno "Is a directory"
        sysfs_write "nonsense" /sys/kernel/debug/vgpu-sim/unplug
        expect_errno "No such device"
        sysfs_write "$T4 extra words" /sys/kernel/debug/vgpu-sim/unplug
        expect_errno "Invalid argument"
}

@test "latency: a slow write does not hold up reads, and the write completes" {
        create="$(type_dir $T4 nvidia-222)/create"
        # An ordering test, not a timing one: the reads must finish while the write is still held.
        vgpu-sim ctl latency "$create" 5000
        bash -c 'echo $1 > $2' _ $U1 "$create" &
        writer=$!
        sleep 0.3
        kill -0 $writer
        [ ! -e /sys/bus/mdev/devices/$U1 ]
        cat "$(type_dir $T4 nvidia-222)/available_instances"
        lspci -n >/dev/null
        kill -0 $writer
        [ ! -e /sys/bus/mdev/devices/$U1 ]
        wait $writer
        [ -d /sys/bus/mdev/devices/$U1 ]
        vgpu-sim ctl latency "$create" 0
        run vgpu-sim ctl faults
        [ -z "$output" ]
}

@test "latency on everything applies to every attribute write" {
        vgpu-sim ctl latency all 200
        start=$(date +%s%N)
        echo $U1 >"$(type_dir $T4 nvidia-222)/create"
        echo 1 >/sys/bus/mdev/devices/$U1/remove
        [ $(($(date +%s%N) - start)) -ge 400000000 ]
        vgpu-sim ctl fail clear
        run vgpu-sim ctl faults
        [ -z "$output" ]
}

@test "mdev-settle: a new mdev is announced and bound before its type is linked, as Linux does" {
        type=$(type_dir $T4 nvidia-222)
        # An ordering test, not a timing one: the window lasts until ctl mdev-settle 0 ends it.
        vgpu-sim ctl mdev-settle 600000
        run vgpu-sim ctl mdev-settle
        [ "$output" = 600000 ]
        monitor_start
        bash -c 'echo $1 > $2' _ $U1 "$type/create" &
        writer=$!
        monitor_wait "^UDEV .* bind +/devices/pci0000:3b/$T4/$U1 \(mdev\)"
        [ -d /sys/bus/mdev/devices/$U1 ]
        [ -e /sys/bus/mdev/devices/$U1/driver ]
        [ ! -e /sys/bus/mdev/devices/$U1/mdev_type ]
        [ ! -e "$type/devices/$U1" ]
        # mdev_device_remove() refuses a device not created to the end; the UUID is taken already
        run bash -c "echo 1 >/sys/bus/mdev/devices/$U1/remove"
        [[ $output == *"Resource temporarily unavailable"* ]]
        run bash -c "echo $U1 >$(type_dir $T4 nvidia-231)/create"
        [[ $output == *"File exists"* ]]
        kill -0 $writer
        vgpu-sim ctl mdev-settle 0
        wait $writer
        [ "$(basename "$(readlink /sys/bus/mdev/devices/$U1/mdev_type)")" = nvidia-222 ]
        [ -e "$type/devices/$U1" ]
        # no uevent says so
        run grep -cE "^UDEV .* +/devices/pci0000:3b/$T4/$U1 \(mdev\)" "$MONITOR_LOG"
        [ "$output" -eq 2 ]
        echo 1 >/sys/bus/mdev/devices/$U1/remove
        [ ! -e /sys/bus/mdev/devices/$U1 ]
}

@test "mdev-settle: the parent going away in the window takes the device, and the create fails" {
        vgpu-sim ctl mdev-settle 600000
        bash -c "echo $U1 >$(type_dir $T4 nvidia-222)/create; echo \$? >$BATS_TEST_TMPDIR/rc" 2>"$BATS_TEST_TMPDIR/err" &
        writer=$!
        for _ in $(seq 200); do [ -e /sys/bus/mdev/devices/$U1 ] && break; sleep 0.05; done
        [ -e /sys/bus/mdev/devices/$U1 ]
        vgpu-sim ctl unplug $T4
        wait $writer || true
        [ "$(cat "$BATS_TEST_TMPDIR/rc")" -ne 0 ]
        grep -q "No such device" "$BATS_TEST_TMPDIR/err"
        [ ! -e /sys/bus/mdev/devices/$U1 ]
        vgpu-sim ctl replug $T4
        vgpu-sim ctl mdev-settle 0
        # the same UUID again, on the GPU as it came back: made to the end
        echo $U1 >"$(type_dir $T4 nvidia-222)/create"
        [ -e /sys/bus/mdev/devices/$U1/mdev_type ]
}

@test "unplug removes a GPU with its mdevs and uevents; replug brings it back as at power-on" {
        echo $U1 >"$(type_dir $T4 nvidia-231)/create"
        monitor_start
        vgpu-sim ctl unplug $T4
        [ ! -e /sys/bus/pci/devices/$T4 ]
        [ ! -e /sys/class/mdev_bus/$T4 ]
        [ ! -e /sys/bus/mdev/devices/$U1 ]
        [ ! -e /sys/devices/pci0000:3b/$T4 ]
        run lspci -n -s 3b:00.0
        [ "$status" -eq 0 ] && [ -z "$output" ]
        monitor_wait "^UDEV .* remove +/devices/pci0000:3b/$T4 \(pci\)"
        grep -qE "^UDEV .* remove +/devices/pci0000:3b/$T4/$U1 \(mdev\)" "$MONITOR_LOG"
        grep -qx "MDEV_STATE=unregistered" "$MONITOR_LOG"
        vgpu-sim ctl replug $T4
        monitor_wait "^MDEV_STATE=registered"
        grep -qE "^UDEV .* add +/devices/pci0000:3b/$T4 \(pci\)" "$MONITOR_LOG"
        grep -qE "^UDEV .* bind +/devices/pci0000:3b/$T4 \(pci\)" "$MONITOR_LOG"
        [ "$(basename "$(readlink /sys/bus/pci/devices/$T4/driver)")" = nvidia ]
        [ "$(available $T4 nvidia-231)" -eq 8 ]
        run vgpu-sim ctl replug $T4
        [ "$status" -ne 0 ] && [[ $output == *"File exists"* ]]
}

@test "unplug takes an SR-IOV GPU's VFs and the slot's audio function along" {
        vgpu-sim ctl unplug $A16
        [ ! -e /sys/bus/pci/devices/0000:41:00.4 ]
        [ -z "$(find /sys/class/mdev_bus/ -mindepth 1 -maxdepth 1 -name '0000:41:*')" ]
        vgpu-sim ctl unplug $A5000
        [ ! -e /sys/bus/pci/devices/0000:65:00.1 ]
        [ ! -e /sys/kernel/iommu_groups/60 ]
        vgpu-sim ctl replug $A5000
        [ -e /sys/bus/pci/devices/0000:65:00.1 ]
        [ "$(ls /sys/kernel/iommu_groups/60/devices | wc -l)" -eq 2 ]
        vgpu-sim ctl replug $A16
        [ "$(cat /sys/bus/pci/devices/$A16/sriov_numvfs)" = 16 ]
}

@test "hold and release show in the held list" {
        echo $U1 >"$(type_dir $T4 nvidia-222)/create"
        vgpu-sim ctl hold $U1
        vgpu-sim ctl hold $A5000
        run vgpu-sim ctl held
        [ "$output" = "$(printf '%s\n%s' $A5000 $U1)" ]
        vgpu-sim ctl release $U1
        vgpu-sim ctl release $A5000
        run vgpu-sim ctl held
        [ -z "$output" ]
        run vgpu-sim ctl hold 11111111-0000-0000-0000-000000000000
        [ "$status" -ne 0 ]
}

@test "reboot returns to the power-on state in place" {
        echo $U1 >"$(type_dir $T4 nvidia-222)/create"
        echo 0 >/sys/bus/pci/devices/$A16/sriov_numvfs
        echo vfio-pci >/sys/bus/pci/devices/$A5000/driver_override
        vgpu-sim ctl reboot
        [ ! -e /sys/bus/mdev/devices/$U1 ]
        [ "$(cat /sys/bus/pci/devices/$A16/sriov_numvfs)" = 16 ]
        [ "$(cat /sys/bus/pci/devices/$A5000/driver_override)" = "(null)" ]
        run vgpu-sim ctl status
        [[ $output == *"profile mixed"* && $output == *"mdevs 0"* ]]
}

@test "profile loads another host in place; a bad profile is refused and the host kept" {
        vgpu-sim ctl profile t4
        [ "$(vgpu-sim ctl profile)" = t4 ]
        [ "$(lspci -n | wc -l)" -eq 2 ]
        [ ! -e /sys/bus/pci/drivers/i915 ]
        run vgpu-sim ctl profile no-such-profile
        [ "$status" -ne 0 ]
        [ "$(vgpu-sim ctl profile)" = t4 ]
        vgpu-sim ctl profile mixed
        [ "$(vgpu-sim ctl profile)" = mixed ]
        [ -d /sys/bus/pci/drivers/i915 ]
}

@test "outside a simulator, vgpu-sim ctl says so" {
        VGPU_SIM_ROOT=/nonexistent run vgpu-sim ctl status
        [ "$status" -ne 0 ]
        [[ $output == *"No such file or directory"* ]]
}
