# Crash consistency on Debian 12's real kernel (issue 14): tests/chaos/vgpu-chaos --host kernel runs
# random mdev (mbochs, mdpy, mtty) and whole-VF (QEMU's NVMe PF) operations through vgpuctl while
# vgpud is killed with SIGKILL between and in the middle of them, parents are unloaded and loaded
# again (rmmod/modprobe) and VFIO groups are held open; after every restart the records, sysfs,
# mdevctl's and driverctl's directories and the acknowledged operations must agree. Inside the VM:
#   tests/vm/vgpu-vm run --devices mbochs,mdpy,mtty,nvme -- bats --tap tests/vm/kernel/chaos.bats
# (make check runs it with the other suites of tests/vm/kernel in one boot: tests/vm/kernel.vm), with
# vgpud, vgpuctl and VGPU_TEST_SRCDIR from a build's tests/vgpu-test-env. CHAOS_OPS (default 60:
# ~2-3 minutes of the guest under TCG on an idle 2-core machine), CHAOS_SEED and CHAOS_VERBOSE=1 as
# for tests/integration/chaos.bats.

load vm

setup_file() {
        vm_require
}

# A failed run may leave mdevs, VFs, overrides or an unloaded parent: the suites after this one in the
# same boot must not find them.
teardown_file() {
        vm_clean_host
        local f d
        for f in /sys/bus/pci/devices/*/driver_override; do
                [[ $(<"$f") == "(null)" ]] || echo >"$f"
        done
        for d in mbochs mdpy mtty; do
                [[ -d /sys/class/mdev_bus/$d ]] || modprobe "$d"
        done
        return 0
}

@test "chaos on the kernel: ${CHAOS_OPS:-60} operations, SIGKILLs, rmmod/modprobe, held groups, no discrepancy" {
        run "$VGPU_TEST_SRCDIR/tests/chaos/vgpu-chaos" --host kernel --ops "${CHAOS_OPS:-60}" \
                ${CHAOS_SEED:+--seed "$CHAOS_SEED"} ${CHAOS_VERBOSE:+--verbose}
        # The summary (and any discrepancy with the seed to reproduce it) in the TAP log.
        printf '# %s\n' "${lines[@]}" >&3
        [ "$status" -eq 0 ]
        printf '%s\n' "${lines[@]}" | grep -q "^vgpu-chaos: seed=.* discrepancies=0 "
}

@test "chaos on the kernel: the guest is left as it was found" {
        [ -z "$(ls /sys/bus/mdev/devices)" ]
        local f
        for f in /sys/bus/pci/devices/*/sriov_numvfs; do
                [ "$(cat "$f")" = 0 ]
        done
        for f in /sys/bus/pci/devices/*/driver_override; do
                [ "$(cat "$f")" = "(null)" ]
        done
        [ -z "$(ls /etc/driverctl.d 2>/dev/null)" ]
        run ls /etc/mdevctl.d/mbochs /etc/mdevctl.d/mdpy /etc/mdevctl.d/mtty
        [[ $output != *-*-*-*-* ]]
        for f in mbochs mdpy mtty; do
                [ -d /sys/class/mdev_bus/$f ]
        done
}
