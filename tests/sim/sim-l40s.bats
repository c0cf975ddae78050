# vgpu-sim: --profile l40s
#
# NVIDIA vendor-specific VFIO on its own profile: VFs enabled the way
# sriov-manage does it, and the two narrowing modes side by side (the first
# GPU homogeneous, the second in mixed-size/heterogeneous mode).
load sim-helpers

HOMO=0000:ca:00.0
HETERO=0000:e1:00.0

setup() {
        sim_reset
}

types_of() {
        tail -n +2 "/sys/bus/pci/devices/$1/nvidia/creatable_vgpu_types" | awk '{print $1}' | tr '\n' ' '
}

@test "no mdev parents; VFs come with sriov_numvfs and bring nvidia/ with them" {
        [ -z "$(ls /sys/class/mdev_bus)" ]
        run mdevctl types
        [ -z "$output" ]
        echo 32 >/sys/bus/pci/devices/$HOMO/sriov_numvfs
        [ "$(ls -d /sys/bus/pci/devices/0000:ca:*/nvidia | wc -l)" -eq 32 ]
        [ "$(readlink /sys/bus/pci/devices/$HOMO/virtfn31)" = ../0000:ca:04.3 ]
        echo 0 >/sys/bus/pci/devices/$HOMO/sriov_numvfs
        [ -z "$(ls -d /sys/bus/pci/devices/0000:ca:0*.[1-7] 2>/dev/null)" ]
}

@test "homogeneous GPU: after an L40S-2Q only L40S-2Q is creatable; heterogeneous: every 2 GB type" {
        echo 2 >/sys/bus/pci/devices/$HOMO/sriov_numvfs
        echo 2 >/sys/bus/pci/devices/$HETERO/sriov_numvfs
        echo 1148 >/sys/bus/pci/devices/0000:ca:00.4/nvidia/current_vgpu_type
        echo 1148 >/sys/bus/pci/devices/0000:e1:00.4/nvidia/current_vgpu_type
        [ "$(types_of 0000:ca:00.5)" = "1148 " ]
        [ "$(types_of 0000:e1:00.5)" = "1146 1148 1157 " ] # L40S-2B, -2Q, -2A
        # the VF that holds a vGPU offers nothing more
        [ -z "$(types_of 0000:ca:00.4)" ]
        sysfs_write 1157 /sys/bus/pci/devices/0000:ca:00.5/nvidia/current_vgpu_type
        expect_errno "Invalid argument"
        sysfs_write 1157 /sys/bus/pci/devices/0000:e1:00.5/nvidia/current_vgpu_type
        expect_ok
}

@test "a VF bound to vfio-pci has no nvidia/ directory; back on nvidia it has" {
        echo 1 >/sys/bus/pci/devices/$HOMO/sriov_numvfs
        vf=0000:ca:00.4
        echo vfio-pci >/sys/bus/pci/devices/$vf/driver_override
        echo $vf >/sys/bus/pci/drivers/nvidia/unbind
        echo $vf >/sys/bus/pci/drivers_probe
        [ ! -e /sys/bus/pci/devices/$vf/nvidia ]
        echo >/sys/bus/pci/devices/$vf/driver_override
        echo $vf >/sys/bus/pci/drivers/vfio-pci/unbind
        echo $vf >/sys/bus/pci/drivers_probe
        [ -e /sys/bus/pci/devices/$vf/nvidia/current_vgpu_type ]
}
