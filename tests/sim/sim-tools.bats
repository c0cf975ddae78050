# vgpu-sim: --profile mixed
#
# Fidelity with unmodified Debian tools: lspci, mdevctl, driverctl, modprobe
# and udevadm see the simulated host as they would see a real one.
load sim-helpers
bats_require_minimum_version 1.5.0 # run ! (a negated command that can fail the test)

T4=0000:3b:00.0
IGD=0000:00:02.0
A16=0000:41:00.0
A16_VF0=0000:41:00.4
A16_VF1=0000:41:00.5
A5000=0000:65:00.0
L40S=0000:ca:00.0
U=3f1d2c4b-5a69-4788-9a0b-c1d2e3f40516

setup() {
        sim_reset
}

teardown() {
        monitor_stop
}

@test "lspci -nn lists every GPU of the profile with its IDs" {
        run lspci -nn
        expect_ok
        [[ $output == *"00:02.0 VGA compatible controller [0300]: Intel Corporation"*"[8086:3e92]"* ]]
        [[ $output == *"3b:00.0 3D controller [0302]: NVIDIA Corporation TU104GL [Tesla T4] [10de:1eb8] (rev a1)"* ]]
        [[ $output == *"41:00.0 3D controller [0302]: NVIDIA Corporation"*"[10de:25b6]"* ]]
        [[ $output == *"4d:00.0 Display controller [0380]: Intel Corporation"*"[8086:56c0]"* ]]
        [[ $output == *"65:00.0 VGA compatible controller [0300]: NVIDIA Corporation"*"[10de:2231]"* ]]
        [[ $output == *"65:00.1 Audio device [0403]: NVIDIA Corporation"*"[10de:1aef]"* ]]
        [[ $output == *"ca:00.0 3D controller [0302]: NVIDIA Corporation"*"[10de:26b9]"* ]]
        # the A16's 16 VFs, enabled at boot, are listed too
        [ "$(grep -c '10de:25b6' <<<"$output")" -eq 17 ]
}

@test "lspci -k shows the bound drivers and lspci -vvv decodes the SR-IOV capability" {
        run lspci -k -s 65:00
        expect_ok
        [[ $output == *"Kernel driver in use: nvidia"* ]]
        [[ $output == *"Kernel driver in use: snd_hda_intel"* ]]
        run lspci -vvv -s 41:00.0
        [[ $output == *"Single Root I/O Virtualization (SR-IOV)"* ]]
        [[ $output == *"Total VFs: 16, Number of VFs: 16"* ]]
        [[ $output == *"VF offset: 4, stride: 1, Device ID: 25b6"* ]]
}

@test "mdevctl types lists the parents and types; an SR-IOV PF shows none" {
        run mdevctl types
        expect_ok
        [[ $output == *"$IGD"* && $output == *"$T4"* && $output == *"$A16_VF0"* ]]
        local types=$output
        run ! grep -qx "$A16" <<<"$types"
        [ "$status" -eq 1 ]
        run ! grep -qx "$L40S" <<<"$types"
        [ "$status" -eq 1 ]
        output=$types
        [[ $output == *"nvidia-222"*"Available instances: 16"*"Name: GRID T4-1B"* ]]
        [[ $output == *"Description: num_heads=4, frl_config=60, framebuffer=2048M, max_resolution=7680x4320, max_instance=8"* ]]
        [[ $output == *"i915-GVTg_V5_4"*"Available instances: 3"*"Name: GVTg_V5_4"* ]]
        # every VF of the A16 is a parent
        [ "$(grep -c '^0000:41:' <<<"$output")" -eq 16 ]
        run mdevctl types --dumpjson
        [[ $output == *'"nvidia-231"'* && $output == *'"available_instances": 8'* ]]
}

@test "mdevctl start/list/stop create and remove a device the tree shows; one type per T4" {
        uuid=6c0c2b7e-4b8e-4d8c-9d7b-4b2f1f1c0a01
        run mdevctl start -u $uuid -p $T4 -t nvidia-231
        expect_ok
        [ -L /sys/bus/mdev/devices/$uuid ]
        [ "$(basename "$(readlink /sys/bus/mdev/devices/$uuid/mdev_type)")" = nvidia-231 ]
        [ -L "$(type_dir $T4 nvidia-231)/devices/$uuid" ]
        [ "$(available $T4 nvidia-231)" -eq 7 ]
        [ "$(available $T4 nvidia-222)" -eq 0 ]
        [ "$(available $T4 nvidia-234)" -eq 0 ]
        run mdevctl list
        [[ $output == "$uuid $T4 nvidia-231 manual"* ]]
        run mdevctl stop -u $uuid
        expect_ok
        [ ! -e /sys/bus/mdev/devices/$uuid ]
        [ "$(available $T4 nvidia-222)" -eq 16 ]
        run mdevctl list
        [ -z "$output" ]
}

@test "mdevctl start without a UUID, and define --auto / start / undefine" {
        run mdevctl start -p $T4 -t nvidia-222
        expect_ok
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 1 ]
        uuid=2f6a3e2c-1d1a-4c55-9d3e-7b1f0c2d3e4f
        run mdevctl define --auto -u $uuid -p $T4 -t nvidia-222
        expect_ok
        run mdevctl list -d
        [[ $output == *"$uuid $T4 nvidia-222 auto"* ]]
        run mdevctl start -u $uuid
        expect_ok
        [ "$(available $T4 nvidia-222)" -eq 14 ]
        run mdevctl stop -u $uuid
        run mdevctl undefine -u $uuid
        expect_ok
        run mdevctl list -d
        [[ $output != *"$uuid"* ]]
}

@test "GVT-g types share one pool: every create lowers every count, mixed types allowed" {
        [ "$(available $IGD i915-GVTg_V5_8)" -eq 7 ]
        run mdevctl start -p $IGD -t i915-GVTg_V5_4
        expect_ok
        [ "$(available $IGD i915-GVTg_V5_8)" -eq 5 ]
        [ "$(available $IGD i915-GVTg_V5_4)" -eq 2 ]
        [ "$(available $IGD i915-GVTg_V5_2)" -eq 1 ]
        run mdevctl start -p $IGD -t i915-GVTg_V5_8
        expect_ok
        # low 448-128-64=256, high 3072-512-384=2176, fences 28-8=20
        [ "$(available $IGD i915-GVTg_V5_8)" -eq 4 ]
        [ "$(available $IGD i915-GVTg_V5_2)" -eq 1 ]
        [ "$(available $IGD i915-GVTg_V5_1)" -eq 0 ]
        run cat "$(type_dir $IGD i915-GVTg_V5_4)/description"
        [ "$output" = "$(printf 'low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4')" ]
}

@test "A16: each VF is a parent offering 0 or 1, narrowed to the GPU's type" {
        [ ! -e /sys/bus/pci/devices/$A16/mdev_supported_types ]
        [ "$(available $A16_VF0 nvidia-684)" -eq 1 ]
        run mdevctl start -p $A16_VF0 -t nvidia-687
        expect_ok
        [ "$(available $A16_VF0 nvidia-687)" -eq 0 ]
        [ "$(available $A16_VF1 nvidia-687)" -eq 1 ]
        [ "$(available $A16_VF1 nvidia-684)" -eq 0 ]
}

@test "driverctl set-override moves the driver link, unset-override moves it back" {
        [ ! -d /sys/module/vfio-pci ] # driverctl will run modprobe, which must succeed
        run driverctl set-override $A5000 vfio-pci
        expect_ok
        [ "$(basename "$(readlink /sys/bus/pci/devices/$A5000/driver)")" = vfio-pci ]
        [ "$(cat /sys/bus/pci/devices/$A5000/driver_override)" = vfio-pci ]
        run driverctl list-overrides
        [[ $output == *"$A5000 vfio-pci"* ]]
        run driverctl unset-override $A5000
        expect_ok
        [ "$(basename "$(readlink /sys/bus/pci/devices/$A5000/driver)")" = nvidia ]
        [ "$(cat /sys/bus/pci/devices/$A5000/driver_override)" = "(null)" ]
}

@test "modprobe answers for the simulated drivers like a real kernel's built-ins" {
        run modprobe -q vfio-pci
        expect_ok
        run modprobe -q nvidia
        expect_ok
        run modprobe -q no_such_module
        [ "$status" -ne 0 ]
}

@test "udevadm monitor --udev sees mdev add/bind/unbind/remove with DRIVER and, as Linux 6.1, no MDEV_TYPE" {
        monitor_start
        uuid=0b1e0f5a-3b55-4d2c-8d3e-1a2b3c4d5e6f
        echo $uuid >"$(type_dir $T4 nvidia-222)/create"
        echo 1 >/sys/bus/mdev/devices/$uuid/remove
        monitor_wait "^UDEV .* remove +/devices/pci0000:3b/$T4/$uuid \(mdev\)"
        grep -qE "^UDEV .* add +/devices/pci0000:3b/$T4/$uuid \(mdev\)" "$MONITOR_LOG"
        grep -qE "^UDEV .* bind +/devices/pci0000:3b/$T4/$uuid \(mdev\)" "$MONITOR_LOG"
        grep -qx "DRIVER=vfio_mdev" "$MONITOR_LOG"
        run grep -c "^MDEV_TYPE=" "$MONITOR_LOG"
        [ "$output" = 0 ]
}

@test "udev events on driver unbind/bind carry MDEV_STATE=unregistered/registered" {
        monitor_start
        echo $T4 >/sys/bus/pci/drivers/nvidia/unbind
        [ ! -e /sys/class/mdev_bus/$T4 ]
        echo $T4 >/sys/bus/pci/drivers/nvidia/bind
        [ -L /sys/class/mdev_bus/$T4 ]
        monitor_wait "^MDEV_STATE=registered"
        grep -qx "MDEV_STATE=unregistered" "$MONITOR_LOG"
        grep -qE "^UDEV .* unbind +/devices/pci0000:3b/$T4 \(pci\)" "$MONITOR_LOG"
        grep -qE "^UDEV .* bind +/devices/pci0000:3b/$T4 \(pci\)" "$MONITOR_LOG"
}

@test "writing change into a uevent file re-sends the event, as udevadm trigger does" {
        monitor_start
        run udevadm trigger --action=change /sys/bus/pci/devices/$T4
        expect_ok
        monitor_wait "^UDEV .* change +/devices/pci0000:3b/$T4 \(pci\)"
        grep -qx "PCI_ID=10DE:1EB8" "$MONITOR_LOG"
        grep -q "^SYNTH_UUID=" "$MONITOR_LOG"
        sysfs_write "bogus" /sys/bus/pci/devices/$T4/uevent
        expect_errno "Invalid argument"
}

@test "libudev: udev_enumerate finds the simulated devices with their properties and attributes" {
        run test-libudev enumerate pci
        expect_ok
        [[ $output == *"0000:3b:00.0 driver=nvidia vendor=0x10de mdev_type=- initialized=1"* ]]
        [ "$(wc -l <<<"$output")" -eq 23 ]
        echo $U >"$(type_dir $T4 nvidia-222)/create"
        run test-libudev enumerate mdev
        expect_ok
        [ "$output" = "$U driver=vfio_mdev vendor=- mdev_type=nvidia-222 initialized=1" ]
        [ -f /run/udev/data/+mdev:$U ]
        echo 1 >/sys/bus/mdev/devices/$U/remove
        [ ! -e /run/udev/data/+mdev:$U ]
}

@test "libudev: a subsystem-filtered udev monitor receives the simulator's events" {
        test-libudev monitor mdev 2 >"$BATS_TEST_TMPDIR/mon" 3>&- &
        mon=$!
        for _ in $(seq 100); do grep -q ready "$BATS_TEST_TMPDIR/mon" && break; sleep 0.05; done
        echo $T4 >/sys/bus/pci/drivers/nvidia/unbind # pci events: filtered out
        echo $T4 >/sys/bus/pci/drivers/nvidia/bind
        echo $U >"$(type_dir $T4 nvidia-222)/create"
        wait $mon
        run cat "$BATS_TEST_TMPDIR/mon"
        [ "$output" = "$(printf 'ready\nadd /devices/pci0000:3b/%s/%s mdev\nbind /devices/pci0000:3b/%s/%s mdev' $T4 $U $T4 $U)" ]
}

@test "udevadm info reads the device's properties from its uevent file" {
        run udevadm info /sys/bus/pci/devices/$T4
        expect_ok
        [[ $output == *"E: PCI_ID=10DE:1EB8"* ]]
        [[ $output == *"E: PCI_SLOT_NAME=$T4"* ]]
        [[ $output == *"E: DRIVER=nvidia"* ]]
        [[ $output == *"E: USEC_INITIALIZED="* ]] # udev's database says it was processed
}

@test "vendor-specific VFIO (L40S): creatable types narrow and a full GPU lists only the header" {
        [ ! -e /sys/class/mdev_bus/$L40S ]
        echo 2 >/sys/bus/pci/devices/$L40S/sriov_numvfs
        vf0=/sys/bus/pci/devices/0000:ca:00.4/nvidia
        vf1=/sys/bus/pci/devices/0000:ca:00.5/nvidia
        [ "$(head -n1 $vf0/creatable_vgpu_types)" = "ID    : vGPU Name" ]
        grep -qx "1148  : NVIDIA L40S-2Q" $vf0/creatable_vgpu_types
        [ "$(cat $vf0/current_vgpu_type)" = 0 ]
        echo 1156 >$vf0/current_vgpu_type # L40S-48Q: one per GPU
        [ "$(cat $vf0/current_vgpu_type)" = 1156 ]
        [ "$(cat $vf1/creatable_vgpu_types)" = "ID    : vGPU Name" ]
        echo 0 >$vf0/current_vgpu_type
        echo 1148 >$vf0/current_vgpu_type
        run cat $vf1/creatable_vgpu_types
        [ "$output" = "$(printf 'ID    : vGPU Name\n1148  : NVIDIA L40S-2Q')" ]
}

@test "IOMMU groups: a GPU shares its group with its audio function, VFs and mdevs get their own" {
        [ "$(readlink /sys/bus/pci/devices/$A5000/iommu_group)" = ../../../kernel/iommu_groups/60 ]
        run ls /sys/kernel/iommu_groups/60/devices
        [ "$output" = "$(printf '0000:65:00.0\n0000:65:00.1')" ]
        g0=$(basename "$(readlink /sys/bus/pci/devices/$A16_VF0/iommu_group)")
        g1=$(basename "$(readlink /sys/bus/pci/devices/$A16_VF1/iommu_group)")
        [ "$g0" != "$g1" ]
        [ "$(ls /sys/kernel/iommu_groups/"$g0"/devices)" = "$A16_VF0" ]
        uuid=5e3d7e5c-93c9-4f0e-9c39-6a1f27b9d0a7
        echo $uuid >"$(type_dir $T4 nvidia-222)/create"
        g=$(basename "$(readlink /sys/bus/mdev/devices/$uuid/iommu_group)")
        [ "$(ls /sys/kernel/iommu_groups/"$g"/devices)" = "$uuid" ]
        echo 1 >/sys/bus/mdev/devices/$uuid/remove
        [ ! -e "/sys/kernel/iommu_groups/$g" ]
}

@test "a non-root user inside the namespace reads /sys but cannot write root's attributes" {
        run setpriv --reuid=65534 --regid=65534 --clear-groups -- cat /sys/bus/pci/devices/$T4/vendor
        expect_ok
        [ "$output" = 0x10de ]
        run setpriv --reuid=65534 --regid=65534 --clear-groups -- lspci -n -s 3b:00.0
        [[ $output == *"10de:1eb8"* ]]
        # like the kernel, only the first 64 bytes of config space for the unprivileged
        run setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c "cat /sys/bus/pci/devices/$T4/config | wc -c"
        [ "$output" -eq 64 ]
        [ "$(wc -c </sys/bus/pci/devices/$T4/config)" -eq 4096 ]
        run setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c "echo $U > $(type_dir $T4 nvidia-222)/create"
        [[ $status -ne 0 && $output == *"Permission denied"* ]]
}

@test "sysfs links are relative, as the kernel makes them" {
        [ "$(readlink /sys/bus/pci/devices/$T4)" = ../../../devices/pci0000:3b/$T4 ]
        [ "$(readlink /sys/class/mdev_bus/$T4)" = ../../devices/pci0000:3b/$T4 ]
        [ "$(readlink /sys/bus/pci/devices/$A16_VF0/physfn)" = ../$A16 ]
        [ "$(readlink /sys/bus/pci/devices/$A16/virtfn0)" = ../$A16_VF0 ]
        [ "$(readlink /sys/bus/pci/devices/$T4/driver)" = ../../../bus/pci/drivers/nvidia ]
        [ "$(readlink /sys/bus/pci/drivers/vfio-pci/module)" = ../../../../module/vfio_pci ]
}
