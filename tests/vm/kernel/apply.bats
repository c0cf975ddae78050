# vgpuctl apply / export on the real kernel (tests/vm/kernel.vm): the kernel's mbochs mdev parent and
# the VFs of QEMU's NVMe controller in one file, applied as one transaction. The dry run, the apply,
# the second apply that changes nothing, a rollback when mbochs runs out of memory half way (the
# kernel's own refusal, nothing injected), and the export applied on a freshly booted host state.
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

host_state() { vgpuctl export --config host | sed -e 's/ *#.*//' -e '/^$/d'; }
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null || true; }

# The file: two VFs of the PF as whole-VF instances, three mbochs vGPUs.
fleet() {
        cat >"$BATS_FILE_TMPDIR/fleet.yaml" <<EOF
version: v1
vgpu-configs:
  vm:
    - devices: ["$PF"]
      sriov-vfs: 2
      vgpu-devices:
        vf-1b36-0010: 2
    - devices: [mbochs]
      vgpu-devices:
        mbochs-medium: 2
        mbochs-small: 1
EOF
        echo "$BATS_FILE_TMPDIR/fleet.yaml"
}

@test "dry run, apply, second apply on the real kernel: VFs on vfio-pci and mbochs mdevs" {
        local f before
        f=$(fleet)
        before=$(host_state)
        run vgpuctl apply -f "$f" --dry-run
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"set SR-IOV VFs of $PF from 0 to 2"* ]]
        [ "$(grep -c '^  create ' <<<"$output")" -eq 5 ]
        [ "$(host_state)" = "$before" ]
        [ "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")" = 0 ]

        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(cat "/sys/bus/pci/devices/$PF/sriov_numvfs")" = 2 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 3 ]
        local vf
        for vf in $(vgpuctl --json list | jq -r '.[] | select(.backend == "vf") | .device'); do
                [ "$(driver_of "$vf")" = vfio-pci ]
        done
        vgpuctl --json list --all | jq -e 'length == 5 and all(.persistent and .autostart)'

        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == "Nothing to change: the host already matches $f"*"; 5 instance(s) kept." ]]
}

@test "mbochs out of memory half way: the apply is rolled back, the failed step named" {
        local f before
        before=$(host_state)
        # 4 large (128 MiB each) and 8 medium take more than mbochs's 512 MiB
        cat >"$BATS_FILE_TMPDIR/big.yaml" <<EOF
version: v1
vgpu-configs:
  vm:
    - devices: [mbochs]
      vgpu-devices:
        mbochs-large: 3
        mbochs-medium: 8
EOF
        run vgpuctl apply -f "$BATS_FILE_TMPDIR/big.yaml"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"failed (create mbochs-"* ]]
        [[ $output == *"the host is as it was."* ]]
        [ "$(host_state)" = "$before" ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 3 ]
}

@test "export, a clean host, apply the export: the same VFs and mdevs" {
        local before exported=$BATS_FILE_TMPDIR/exported.yaml
        vgpuctl export >"$exported"
        cat "$exported"
        before=$(host_state)
        # vgpud came from setup_file, not this test's shell: stop it by its pid
        kill -TERM "$VGPUD_PID"
        wait_for 20 bash -c "! kill -0 $VGPUD_PID 2>/dev/null"
        unset VGPUD_PID
        vm_clean_host
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 0 ]
        vm_vgpud_start
        run vgpuctl apply -f "$exported"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(host_state)" = "$before" ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 3 ]
        vgpud_stop # this one is the test's own
}
