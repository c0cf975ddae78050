# vgpu-sim measured against the kernel (issue 14, section 3), in one VM boot: the differential probe
# (tests/vm/probe/sysfs-probe) runs on the guest's real /sys (Debian 12's kernel, the sample mdev
# drivers mbochs/mdpy/mtty, QEMU's NVMe PF with SR-IOV), then inside vgpu-sim's kernel-samples
# profile in the same guest, and the two outputs must be equal but for the rows of the documented
# allow-list (sim-diff.allow, docs/vgpu-sim.md "Measured against the kernel"). A new difference,
# on either side, fails. Run by hand:
#   tests/vm/vgpu-vm run --devices mbochs,mdpy,mtty,nvme -- bats --tap tests/vm/kernel/sim-diff.bats

setup_file() {
        # The probe starts from the kernel's defaults: an earlier suite's vgpud may have turned the PF's
        # VF autoprobing off (it does so to keep VFs from their PF's driver).
        local a
        for a in /sys/bus/pci/devices/*/sriov_drivers_autoprobe; do echo 1 >"$a"; done
        TOP=$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)
        PROBE=$TOP/tests/vm/probe/sysfs-probe
        ALLOW=$BATS_TEST_DIRNAME/sim-diff.allow
        OUT=$BATS_FILE_TMPDIR
        export TOP PROBE ALLOW OUT
}

# The vgpu-sim of this build: on PATH (make check's environment), else the newest build tree's.
find_sim() {
        local s
        s=$(command -v vgpu-sim) && { echo "$s"; return 0; }
        [[ -n ${VGPU_TEST_BUILDDIR:-} && -x $VGPU_TEST_BUILDDIR/tests/sim/vgpu-sim ]] && {
                echo "$VGPU_TEST_BUILDDIR/tests/sim/vgpu-sim"
                return 0
        }
        s=$(ls -t "$TOP"/build/*/tests/sim/vgpu-sim 2>/dev/null | head -n 1)
        [[ -n $s ]] && { echo "$s"; return 0; }
        return 1
}

# The state a probe must leave behind: mdevs, VFs, autoprobe, overrides and every type's count.
host_state() {
        ls /sys/bus/mdev/devices
        local d
        for d in /sys/class/mdev_bus/*/mdev_supported_types/*; do
                echo "$d $(cat "$d/available_instances")"
        done
        for d in /sys/bus/pci/devices/*; do
                [[ -f $d/sriov_numvfs ]] && echo "$d $(cat "$d/sriov_numvfs") $(cat "$d/sriov_drivers_autoprobe")"
                echo "$d $(cat "$d/driver_override")"
        done
}

# Probe rows minus the allow-list.
filtered() {
        grep -v -E -f <(grep -v -e '^#' -e '^$' "$ALLOW") "$1" || true
}

@test "sim-diff: the guest has the sample mdev parents and an SR-IOV PF with its VFs off" {
        for p in mbochs mdpy mtty; do
                [[ -d /sys/class/mdev_bus/$p ]] || {
                        echo "no mdev parent $p: run this suite through tests/vm/vgpu-vm --devices mbochs,mdpy,mtty,nvme" >&2
                        return 1
                }
        done
        run grep -l 0x1b36 /sys/bus/pci/devices/*/vendor
        [[ $output == */0000:01:00.0/vendor* ]] || {
                echo "no QEMU NVMe PF at 0000:01:00.0 (vgpu-vm --devices nvme)" >&2
                return 1
        }
        [ "$(cat /sys/bus/pci/devices/0000:01:00.0/sriov_numvfs)" = 0 ]
        [ -z "$(ls /sys/bus/mdev/devices)" ]
}

@test "sim-diff: the probe runs on the real kernel and leaves the host as it found it" {
        host_state >"$OUT/state.before"
        "$PROBE" >"$OUT/kernel.out" 2>"$OUT/kernel.err" || {
                cat "$OUT/kernel.err" >&2
                return 1
        }
        host_state >"$OUT/state.after"
        diff -u "$OUT/state.before" "$OUT/state.after"
        [ "$(wc -l <"$OUT/kernel.out")" -gt 300 ]
}

@test "sim-diff: the probe runs inside vgpu-sim's kernel-samples profile in the same guest" {
        sim=$(find_sim) || {
                echo "no vgpu-sim built: run scripts/build first (looked on PATH and in $TOP/build/*/tests/sim)" >&2
                return 1
        }
        [[ -e /dev/fuse ]] || modprobe fuse || {
                echo "no /dev/fuse and modprobe fuse failed: vgpu-sim needs FUSE in the guest" >&2
                return 1
        }
        "$sim" run --profile kernel-samples -- "$PROBE" >"$OUT/sim.out" 2>"$OUT/sim.err" || {
                cat "$OUT/sim.err" >&2
                return 1
        }
        [ "$(wc -l <"$OUT/sim.out")" -gt 300 ]
}

@test "sim-diff: vgpu-sim answers as the kernel does, row for row, but for the allow-list" {
        [[ -s $OUT/kernel.out && -s $OUT/sim.out ]]
        total=$(wc -l <"$OUT/kernel.out")
        equal=$(diff --old-line-format= --new-line-format= --unchanged-line-format='%L' \
                "$OUT/kernel.out" "$OUT/sim.out" | wc -l)
        echo "# sim-diff: $total probe rows on the kernel, $equal equal in vgpu-sim, $((total - equal)) allowed" >&3
        run diff -u <(filtered "$OUT/kernel.out") <(filtered "$OUT/sim.out")
        if [[ $status -ne 0 ]]; then
                echo "new differences (- kernel, + vgpu-sim): fix vgpu-sim, or document them in docs/vgpu-sim.md and sim-diff.allow" >&2
                echo "$output" >&2
                return 1
        fi
}

@test "sim-diff: every allow-list entry hides a row the kernel prints and vgpu-sim does not" {
        [[ -s $OUT/kernel.out && -s $OUT/sim.out ]]
        while read -r pattern; do
                [[ -z $pattern || $pattern == \#* ]] && continue
                grep -q -E -- "$pattern" "$OUT/kernel.out" || {
                        echo "stale allow-list entry (the kernel prints no such row): $pattern" >&2
                        return 1
                }
                if grep -q -E -- "$pattern" "$OUT/sim.out"; then
                        echo "allow-list entry also matches vgpu-sim's rows, so it could hide a difference: $pattern" >&2
                        return 1
                fi
        done <"$ALLOW"
}
