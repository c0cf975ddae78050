# vgpu-sim: --profile sriov-plain
# vgpuctl apply / export with whole VFs (Intel Flex 170, VFs off at boot): the
# file sets the VF count (sriov-vfs) and the vf instances on them in one
# apply; dry run, the second apply that changes nothing, a rollback that also
# gives back the VF count, two applies racing, --force, and the export round
# trip (the VF count included).
load helpers
load vgpud
load apply

PF=0000:4d:00.0

setup() {
        export APPLY_CONF="[libvirt]
refresh_interval = 0
[autostart]
initial_delay = 200ms"
        apply_setup
        BASE=$(apply_file base.yaml <<EOF
version: v1
vgpu-configs:
  vfs:
    - devices: ["$PF"]
      sriov-vfs: 3
      vgpu-devices:
        vf-8086-56c0: 2
EOF
        )
}

teardown() {
        apply_teardown
}

numvfs() { cat /sys/bus/pci/devices/$PF/sriov_numvfs; }

@test "dry run, apply, second apply: the VFs and the instances on them in one apply" {
        check_dry_run "$BASE"
        run vgpuctl apply -f "$BASE" --dry-run
        [[ $output == *"set SR-IOV VFs of $PF from 0 to 3"* ]]
        [ "$(numvfs)" -eq 0 ]
        check_apply_twice "$BASE" 2
        [ "$(numvfs)" -eq 3 ]
        [ "$(vgpuctl --json gpus | jq -r '.[0].sriov_configured_vfs')" -eq 3 ]
        [ "$(vgpuctl --json list | jq -r '[.[] | .backend] | unique | .[]')" = vf ]
}

@test "a failing VF create rolls back the instances and the VF count, naming the step" {
        vgpuctl sriov enable $PF --vfs 2 >/dev/null
        local before
        before=$(host_state)
        for vf in 0000:4d:00.1 0000:4d:00.2; do
                vgpu-sim ctl fail /sys/bus/pci/devices/$vf/driver_override EIO 1
        done
        check_rollback "$BASE" "create vf-8086-56c0 on $PF" "$before"
        [[ $output == *"Step 2 of 3 failed"* ]]
        [[ $output == *"driver_override"* ]]
        [ "$(numvfs)" -eq 2 ]
        grep -q "Apply: undoing: set SR-IOV VFs of $PF from 2 to 3" "$VGPUD_LOG"
}

@test "two applies at once: the second is refused" {
        local other
        other=$(apply_file other.yaml <<EOF
version: v1
vgpu-configs:
  x:
    - devices: [0]
      sriov-vfs: 1
      vgpu-devices: {}
EOF
        )
        check_race "$BASE" "$other"
        [ "$(numvfs)" -eq 3 ]
}

@test "an assigned VF needs --force; export and apply on a fresh host reproduce VFs and instances" {
        vgpuctl apply -f "$BASE"
        local u f
        u=$(vgpuctl --json list | jq -r '.[0].uuid')
        f=$(apply_file fewer.yaml <<EOF
version: v1
vgpu-configs:
  vfs:
    - devices: ["$PF"]
      vgpu-devices: {}
EOF
        )
        check_force "$f" "$u"
        [ "$(n_instances)" -eq 0 ]
        vgpuctl apply -f "$BASE"
        check_round_trip vgpud
        grep -q 'sriov-vfs: 3' "$BATS_TEST_TMPDIR/exported-vgpud.yaml"
        [ "$(numvfs)" -eq 3 ]
}
