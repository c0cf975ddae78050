# vgpu-sim: --profile large
#
# The large profile: 64 GPUs and room for 1,024 vGPUs; lookups stay cheap as
# the tree grows (timings are reported by tests/bench, not asserted here).
load sim-helpers

@test "large: 64 mdev parents with 16 GRID T4-1B each" {
        [ "$(ls /sys/class/mdev_bus | wc -l)" -eq 64 ]
        [ "$(lspci -n | wc -l)" -eq 64 ]
        [ "$(available 0000:4f:00.0 nvidia-222)" -eq 16 ]
}

@test "large: 1,024 instances are created, listed by mdevctl and removed" {
        i=0
        for p in /sys/class/mdev_bus/*; do
                for _ in $(seq 16); do
                        printf '%08x-0000-4000-8000-%012x\n' $i $i >"$p/mdev_supported_types/nvidia-222/create"
                        i=$((i + 1))
                done
        done
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 1024 ]
        [ "$(available 0000:10:00.0 nvidia-222)" -eq 0 ]
        sysfs_write ffffffff-0000-4000-8000-000000000000 "$(type_dir 0000:10:00.0 nvidia-222)/create"
        expect_errno "Invalid argument"
        [ "$(mdevctl list | grep -c ' nvidia-222 manual$')" -eq 1024 ]
        [[ $(vgpu-sim ctl status) == *"mdevs 1024"* ]]
        for d in /sys/bus/mdev/devices/*; do echo 1 >"$d/remove"; done
        [ -z "$(ls /sys/bus/mdev/devices)" ]
        [ "$(available 0000:10:00.0 nvidia-222)" -eq 16 ]
}
