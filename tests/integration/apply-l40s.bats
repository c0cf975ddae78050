# vgpu-sim: --profile l40s
# vgpuctl apply / export with NVIDIA's vendor-specific VFIO (two L40S, VFs off
# at boot: the types appear with the VFs the same apply enables): dry run,
# apply, the second apply that changes nothing, a rollback naming the failed
# step, two applies racing, --force, and the export round trip.
load helpers
load vgpud
load apply

GPU0=0000:ca:00.0
GPU1=0000:e1:00.0

setup() {
        export APPLY_CONF="[libvirt]
refresh_interval = 0
[autostart]
initial_delay = 200ms"
        apply_setup
        BASE=$(apply_file base.yaml <<'EOF'
version: v1
vgpu-configs:
  l40s:
    - model: L40S
      devices: all
      sriov-vfs: 4
      vgpu-devices:
        L40S-4Q: 2
EOF
        )
}

teardown() {
        apply_teardown
}

current() { cat "/sys/bus/pci/devices/$1/nvidia/current_vgpu_type"; }

@test "dry run, apply, second apply: VFs enabled and vGPUs set on them in one apply" {
        check_dry_run "$BASE"
        run vgpuctl apply -f "$BASE" --dry-run
        [[ $output == *"set SR-IOV VFs of $GPU0 from 0 to 4"* ]]
        [[ $output == *"set SR-IOV VFs of $GPU1 from 0 to 4"* ]]
        check_apply_twice "$BASE" 4
        [ "$(vgpuctl --json list | jq -r '[.[] | .backend] | unique | .[]')" = nvidia-vfio ]
        [ "$(vgpuctl --json list | jq "[.[] | select(.gpu == \"$GPU1\")] | length")" -eq 2 ]
}

@test "a failing current_vgpu_type write rolls back the apply and names the step" {
        vgpuctl apply -f "$BASE"
        local before f
        before=$(host_state)
        f=$(apply_file more.yaml <<'EOF'
version: v1
vgpu-configs:
  l40s:
    - devices: [0, 1]
      vgpu-devices:
        L40S-4Q: 3
EOF
        )
        # one more on each GPU: GPU0's is set, GPU1's fails on whichever free VF it takes
        local vfs=() vf
        for vf in "/sys/bus/pci/devices/$GPU1"/virtfn*; do
                vf=$(basename "$(readlink -f "$vf")")
                [ "$(current "$vf")" -eq 0 ] && vfs+=("$vf")
        done
        for vf in "${vfs[@]}"; do vgpu-sim ctl fail "/sys/bus/pci/devices/$vf/nvidia/current_vgpu_type" EIO 1; done
        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"Step 2 of 2 failed (create L40S-4Q on $GPU1"*"current_vgpu_type"* ]]
        [[ $output == *"Rolled back: 1 step(s) undone, the host is as it was."* ]]
        vgpu-sim ctl fail clear
        [ "$(host_state)" = "$before" ]
        run vgpuctl apply -f "$f"
        [ "$status" -eq 0 ]
        [ "$(n_instances)" -eq 6 ]
}

@test "two applies at once: the second is refused" {
        local other
        other=$(apply_file other.yaml <<'EOF'
version: v1
vgpu-configs:
  x:
    - devices: [0]
      sriov-vfs: 2
      vgpu-devices: {}
EOF
        )
        check_race "$BASE" "$other"
        [ "$(n_instances)" -eq 4 ]
}

@test "an assigned vGPU needs --force; export and apply on a fresh host reproduce it" {
        vgpuctl apply -f "$BASE"
        local u f
        u=$(vgpuctl --json list | jq -r ".[] | select(.gpu == \"$GPU0\") | .uuid" | head -n 1)
        f=$(apply_file one.yaml <<'EOF'
version: v1
vgpu-configs:
  l40s:
    - devices: [0]
      vgpu-devices: {L40S-4Q: 1}
EOF
        )
        # the one a domain holds is the one kept
        busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager AcquireForDomain 'sasa{sv}' vm1 1 \
                "$u" 0 >/dev/null
        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(vgpuctl --json list | jq -r ".[] | select(.gpu == \"$GPU0\") | .uuid")" = "$u" ]
        f=$(apply_file none.yaml <<'EOF'
version: v1
vgpu-configs:
  l40s:
    - devices: [0]
      vgpu-devices: {}
EOF
        )
        check_force "$f" "$u"
        check_round_trip vgpud
        grep -q 'sriov-vfs: 4' "$BATS_TEST_TMPDIR/exported-vgpud.yaml"
}
